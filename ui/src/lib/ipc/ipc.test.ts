// @vitest-environment jsdom
// The IPC wrappers against Tauri's own IPC mock: command names, argument
// shapes, channel delivery and error normalisation.
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";

import type { QueueMessage } from "../../bindings/QueueMessage";
import * as ipc from "./index";

type Call = { cmd: string; args: Record<string, unknown> };

function mock(handler: (cmd: string, args: Record<string, unknown>) => unknown = () => null): Call[] {
  const calls: Call[] = [];
  mockWindows("main");
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    return handler(cmd, a);
  });
  return calls;
}

afterEach(() => clearMocks());

describe("ipc commands", () => {
  it("call the contract's command names with its argument shapes", async () => {
    const calls = mock((cmd) => (cmd === "add_paths" ? [7, 8] : cmd === "list_queue" || cmd === "history" ? [] : null));
    expect(await ipc.addPaths(["/a", "/b"])).toEqual([7, 8]);
    await ipc.listQueue();
    await ipc.pauseItem(1);
    await ipc.resumeItem(2);
    await ipc.cancelItem(3);
    await ipc.retryItem(4);
    await ipc.removeItem(5);
    await ipc.pauseAll();
    await ipc.resumeAll();
    await ipc.retryFailed();
    await ipc.history({ limit: 500 });
    await ipc.getSettings();
    await ipc.listProfiles();
    const profile = {
      name: "corp",
      previous_name: null,
      endpoint: null,
      region: null,
      bucket: "b",
      prefix: "",
      path_style: null,
      checksum: "auto",
      access_key_id: "AK",
      secret_access_key: "s",
      session_token: null,
      session_expires_at: null,
    } as const;
    await ipc.saveProfile(profile);
    await ipc.deleteProfile("corp");
    await ipc.useProfile(null);
    await ipc.testProfile("corp");
    await ipc.awsProfiles();
    const request = { aws_profile: "default", name: null, bucket: null, remove_plaintext: true };
    await ipc.importAwsProfile(request);
    expect(calls.map((c) => [c.cmd, c.args])).toEqual([
      ["add_paths", { paths: ["/a", "/b"] }],
      ["list_queue", {}],
      ["pause_item", { id: 1 }],
      ["resume_item", { id: 2 }],
      ["cancel_item", { id: 3 }],
      ["retry_item", { id: 4 }],
      ["remove_item", { id: 5 }],
      ["pause_all", {}],
      ["resume_all", {}],
      ["retry_failed", {}],
      ["history", { limit: 500 }],
      ["get_settings", {}],
      ["list_profiles", {}],
      ["save_profile", { profile }],
      ["delete_profile", { name: "corp" }],
      ["use_profile", { name: null }],
      ["test_profile", { name: "corp", bucket: null }],
      ["aws_profiles", {}],
      ["import_aws_profile", { request }],
    ]);
  });

  it("delivers channel messages in order", async () => {
    let channelId = -1;
    mock((cmd, args) => {
      if (cmd === "subscribe") channelId = (args.channel as { id: number }).id;
      return null;
    });
    const got: QueueMessage[] = [];
    await ipc.subscribe((m) => got.push(m));
    const run = (window as unknown as { __TAURI_INTERNALS__: { runCallback(id: number, data: unknown): void } })
      .__TAURI_INTERNALS__.runCallback;
    // out of order on the wire: the channel restores the order
    run(channelId, { index: 1, message: { type: "resync" } });
    run(channelId, { index: 0, message: { type: "event", event: { event: "idle" } } });
    expect(got).toEqual([{ type: "event", event: { event: "idle" } }, { type: "resync" }]);
  });

  it("passes IpcErrors through and normalises anything else", async () => {
    mock((cmd) => {
      if (cmd === "pause_item") throw { code: "no_such_upload", message: "no upload 9" };
      if (cmd === "pause_all") throw "command pause_all not allowed";
      throw new Error("boom");
    });
    await expect(ipc.pauseItem(9)).rejects.toEqual({ code: "no_such_upload", message: "no upload 9" });
    await expect(ipc.pauseAll()).rejects.toEqual({ code: "rejected", message: "command pause_all not allowed" });
    await expect(ipc.resumeAll()).rejects.toEqual({ code: "rejected", message: "boom" });
  });

  it("pickFiles passes the chosen paths to add_paths, and does nothing when cancelled", async () => {
    let selection: string[] | null = ["/x/one", "/x/two"];
    const calls = mock((cmd) => (cmd === "plugin:dialog|open" ? selection : cmd === "add_paths" ? [1, 2] : null));
    expect(await ipc.pickFiles()).toEqual([1, 2]);
    expect(calls[0]!.cmd).toBe("plugin:dialog|open");
    expect(calls[0]!.args.options).toMatchObject({ multiple: true });
    expect(calls[1]).toEqual({ cmd: "add_paths", args: { paths: ["/x/one", "/x/two"] } });

    selection = null;
    calls.length = 0;
    expect(await ipc.pickFolder()).toEqual([]);
    expect(calls.map((c) => c.cmd)).toEqual(["plugin:dialog|open"]);
    expect(calls[0]!.args.options).toMatchObject({ directory: true, multiple: true });
  });
});

describe("toIpcError", () => {
  it("keeps known codes and rejects unknown ones", () => {
    expect(ipc.isIpcError({ code: "auth", message: "x" })).toBe(true);
    expect(ipc.isIpcError({ code: "weird", message: "x" })).toBe(false);
    expect(ipc.toIpcError({ code: "weird", message: "x" })).toEqual({ code: "rejected", message: "x" });
    expect(ipc.toIpcError(42)).toEqual({ code: "rejected", message: "42" });
  });
});
