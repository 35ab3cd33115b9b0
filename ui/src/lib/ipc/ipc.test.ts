// @vitest-environment jsdom
// The IPC wrappers against Tauri's own IPC mock: command names, argument
// shapes, channel delivery and error normalisation.
import { emit } from "@tauri-apps/api/event";
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
    const calls = mock((cmd) =>
      cmd === "add_paths" ? { ids: [7, 8], pending: null } : cmd === "list_queue" || cmd === "history" ? [] : null,
    );
    expect(await ipc.addPaths(["/a", "/b"])).toEqual({ ids: [7, 8], pending: null });
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
    const request = { aws_profile: "default", name: null, bucket: null, remove_plaintext: true, backup: false };
    await ipc.importAwsProfile(request);
    expect(calls.map((c) => [c.cmd, c.args])).toEqual([
      ["add_paths", { paths: ["/a", "/b"], destination: null }],
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
    run(channelId, { index: 0, message: { type: "events", events: [{ event: "idle" }] } });
    expect(got).toEqual([{ type: "events", events: [{ event: "idle" }] }, { type: "resync" }]);
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

  it("the dialogs are Rust's: the page asks and gets back what was queued, never naming a path", async () => {
    const calls = mock((cmd) =>
      cmd === "pick_files"
        ? { ids: [1, 2], pending: null }
        : cmd === "pick_folders"
          ? { ids: [], pending: null }
          : cmd === "pick_watch_folder"
            ? "/x/shots"
            : null,
    );
    const to = { profile: "work", bucket: "photos", prefix: "trips/" };
    expect(await ipc.pickFiles(to)).toEqual({ ids: [1, 2], pending: null });
    expect(await ipc.pickFolder()).toEqual({ ids: [], pending: null });
    expect(await ipc.pickWatchFolder()).toBe("/x/shots");
    expect(calls).toEqual([
      { cmd: "pick_files", args: { destination: to } },
      { cmd: "pick_folders", args: { destination: null } },
      { cmd: "pick_watch_folder", args: {} },
    ]);
  });
});

describe("file drops", () => {
  it("are queued by Rust: the page shows the overlay and hears the result, never sending a path", async () => {
    const calls: string[] = [];
    mockWindows("main");
    mockIPC((cmd) => void calls.push(cmd), { shouldMockEvents: true });
    const hover: boolean[] = [];
    const added: number[][] = [];
    const pending: string[][] = [];
    const errors: string[] = [];
    const stop = await ipc.onFileDrop({
      onHover: (v) => hover.push(v),
      onAdded: (o) => (o.pending ? pending.push(o.pending.existing) : added.push(o.ids)),
      onError: (e) => errors.push(e.message),
    });
    await emit("tauri://drag-enter", { paths: ["/home/me/a.jpg"], position: { x: 1, y: 1 } });
    await emit("tauri://drag-drop", { paths: ["/home/me/a.jpg"], position: { x: 1, y: 1 } });
    await emit("files-added", { ids: [4, 5], pending: null });
    await emit("files-added", { ids: [], pending: { batch: 1, label: "x", files: 1, existing: ["a.jpg"], unchecked: false } });
    await emit("add-failed", { code: "invalid_input", message: "no files were given" });
    expect(hover).toEqual([true, false]);
    expect(added).toEqual([[4, 5]]);
    expect(pending).toEqual([["a.jpg"]]);
    expect(errors).toEqual(["no files were given"]);
    expect(calls.filter((c) => !c.startsWith("plugin:event|"))).toEqual([]);
    stop();
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
