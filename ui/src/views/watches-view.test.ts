// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { WatchStatus } from "../bindings/WatchStatus";
import { WatchStore } from "../lib/watches";
import { createWatchesView } from "./watches-view";

const status = (over: Partial<WatchStatus> = {}): WatchStatus => ({
  id: 1,
  root: "/media/cam/DCIM",
  bucket: "photos",
  prefix: "",
  enabled: true,
  delete_remote: false,
  phase: "watching",
  pending: 0,
  uploading: 0,
  synced_files: 0,
  last_synced_at: null,
  failures: 0,
  error: null,
  ...over,
});

function setup(picked: string | null = "/home/u/Exports") {
  const store = new WatchStore();
  const calls: unknown[][] = [];
  const errors: unknown[] = [];
  const view = createWatchesView(store, {
    pickFolder: async () => picked,
    add: async (...a) => void calls.push(["add", ...a]),
    setEnabled: async (...a) => void calls.push(["enabled", ...a]),
    remove: async (...a) => void calls.push(["remove", ...a]),
    rescan: async (...a) => void calls.push(["rescan", ...a]),
    onError: (e) => errors.push(e),
  });
  document.body.replaceChildren(view.element);
  return { store, calls, errors, view };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const rows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="watch-row"]')];

describe("watches view", () => {
  it("shows each watch's state, including the error state", () => {
    const { store } = setup();
    expect(document.querySelector(".empty")!.hasAttribute("hidden")).toBe(false);
    store.setAll([status(), status({ id: 2, phase: "error", error: "the folder /media/usb is missing" })]);
    expect(rows().map((r) => r.dataset.phase)).toEqual(["watching", "error"]);
    expect(rows()[1]!.querySelector('[data-testid="watch-state"]')!.textContent).toContain("missing");
    store.apply({ event: "watch", status: status({ pending: 7 }) });
    expect(rows()[0]!.textContent).toContain("7 pending");
    expect((document.querySelector(".empty") as HTMLElement).hidden).toBe(true);
  });

  it("adds the picked folder with the prefix and the deletion choice", async () => {
    const { calls } = setup();
    (document.querySelector('[data-testid="watch-prefix"]') as HTMLInputElement).value = " shots ";
    (document.querySelector('[data-testid="watch-delete"]') as HTMLInputElement).checked = true;
    (document.querySelector('[data-testid="watch-add"]') as HTMLButtonElement).click();
    await flush();
    expect(calls).toEqual([["add", "/home/u/Exports", "shots", true]]);
  });

  it("does nothing when the picker is cancelled, and routes row buttons", async () => {
    const { store, calls } = setup(null);
    (document.querySelector('[data-testid="watch-add"]') as HTMLButtonElement).click();
    await flush();
    expect(calls).toEqual([]);
    store.setAll([status({ id: 3 })]);
    const click = (a: string) => (rows()[0]!.querySelector(`[data-action="${a}"]`) as HTMLButtonElement).click();
    click("pause");
    click("rescan");
    click("remove");
    await flush();
    expect(calls).toEqual([
      ["enabled", 3, false],
      ["rescan", 3],
      ["remove", 3],
    ]);
    expect(rows()).toHaveLength(0);
  });
});
