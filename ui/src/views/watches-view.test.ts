// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { TrashedFile } from "../bindings/TrashedFile";
import type { WatchStatus } from "../bindings/WatchStatus";
import { WatchStore } from "../lib/watches";
import { createWatchesView, type WatchActions } from "./watches-view";

const DEFAULTS = ["*.tmp", "*.part", ".git"];

const status = (over: Partial<WatchStatus> = {}): WatchStatus => ({
  id: 1,
  root: "/media/cam/DCIM",
  bucket: "photos",
  prefix: "",
  enabled: true,
  delete_remote: false,
  profile: "hoist-local",
  include: [],
  exclude: DEFAULTS,
  phase: "watching",
  pending: 0,
  uploading: 0,
  synced_files: 0,
  last_synced_at: null,
  failures: 0,
  retrying: 0,
  held_deletions: 0,
  cannot_read: [],
  error: null,
  ...over,
});

const trashed: TrashedFile = {
  trash_key: "hoist-trash/f.txt/20261202T014640.123Z",
  key: "f.txt",
  path: "f.txt",
  deleted_at: 1_796_176_000_123,
  size: 11,
};

function setup(picked: string | null = "/home/u/Exports", over: Partial<WatchActions> = {}) {
  const store = new WatchStore();
  const calls: unknown[][] = [];
  const errors: unknown[] = [];
  const notes: string[] = [];
  const view = createWatchesView(store, {
    pickFolder: async () => picked,
    profiles: async () => [
      { name: null, label: "Local store (built-in)", bucket: null },
      { name: "work", label: "Profile work", bucket: "team-photos" },
    ],
    defaultExcludes: async () => DEFAULTS,
    add: async (...a) => void calls.push(["add", ...a]),
    update: async (...a) => void calls.push(["update", ...a]),
    setEnabled: async (...a) => void calls.push(["enabled", ...a]),
    remove: async (...a) => void calls.push(["remove", ...a]),
    rescan: async (...a) => void calls.push(["rescan", ...a]),
    trash: async (id) => (calls.push(["trash", id]), [trashed]),
    restore: async (...a) => (calls.push(["restore", ...a]), "/media/cam/DCIM/f.txt"),
    decideDeletions: async (...a) => (calls.push(["decide", ...a]), 200),
    onError: (e) => errors.push(e),
    notify: (m) => notes.push(m),
    ...over,
  });
  document.body.replaceChildren(view.element);
  return { store, calls, errors, notes, view };
}

const flush = () => new Promise((r) => setTimeout(r, 0));
const rows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="watch-row"]')];
const q = <T extends HTMLElement>(sel: string, root: ParentNode = document) => root.querySelector<T>(sel)!;
const click = (sel: string, root: ParentNode = document) => q<HTMLButtonElement>(sel, root).click();
const type = (sel: string, value: string, root: ParentNode = document) => {
  const el = q<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(sel, root);
  el.value = value;
  el.dispatchEvent(new Event("change"));
};

describe("watches view", () => {
  it("shows each watch's state, target and patterns, including the error state", async () => {
    const { store } = setup();
    await flush();
    expect(q(".empty").hasAttribute("hidden")).toBe(false);
    store.setAll([status(), status({ id: 2, phase: "error", error: "the folder /media/usb is missing", profile: "work", include: ["*.jpg"] })]);
    expect(rows().map((r) => r.dataset.phase)).toEqual(["watching", "error"]);
    expect(q('[data-testid="watch-state"]', rows()[1]!).textContent).toContain("missing");
    expect(q('[data-testid="watch-target"]', rows()[0]!).textContent).toBe("→ Local store · s3://photos/");
    expect(q('[data-testid="watch-target"]', rows()[1]!).textContent).toContain("Profile work");
    expect(q('[data-testid="watch-patterns"]', rows()[0]!).textContent).toBe("every file, skipping temporary and partial files");
    expect(q('[data-testid="watch-patterns"]', rows()[1]!).textContent).toContain("only *.jpg");
    store.apply({ event: "watch", status: status({ pending: 7 }) });
    expect(rows()[0]!.textContent).toContain("7 pending");
    expect(q<HTMLElement>(".empty").hidden).toBe(true);
  });

  it("adds the picked folder with its own target, patterns and deletion choice", async () => {
    const { calls } = setup();
    await flush();
    expect(q<HTMLTextAreaElement>('[data-testid="watch-exclude"]').value).toBe(DEFAULTS.join("\n"));
    type('[data-testid="watch-profile"]', "work");
    expect(q<HTMLInputElement>('[data-testid="watch-bucket"]').placeholder).toContain("team-photos");
    type('[data-testid="watch-bucket"]', " archive ");
    type('[data-testid="watch-prefix"]', " shots ");
    type('[data-testid="watch-include"]', "*.png\n\n*.jpg\n");
    (q('[data-testid="watch-delete"]') as HTMLInputElement).checked = true;
    click('[data-testid="watch-add"]');
    await flush();
    await flush();
    expect(calls).toEqual([
      ["add", "/home/u/Exports", "shots", true, { profile: "work", bucket: "archive", include: ["*.png", "*.jpg"], exclude: null, allow_home: false }],
    ]);
    // The form is ready for the next folder; the target stays.
    expect(q<HTMLInputElement>('[data-testid="watch-prefix"]').value).toBe("");
    expect(q<HTMLSelectElement>('[data-testid="watch-profile"]').value).toBe("work");
  });

  it("edited excludes are sent; the local store is the default target", async () => {
    const { calls } = setup();
    await flush();
    type('[data-testid="watch-exclude"]', "raw/**");
    click('[data-testid="watch-add"]');
    await flush();
    await flush();
    expect(calls[0]![4]).toEqual({ profile: null, bucket: null, include: [], exclude: ["raw/**"], allow_home: false });
  });

  it("asks before watching the whole home folder, then sends the confirmation", async () => {
    let tries = 0;
    const sent: unknown[] = [];
    setup("/home/u", {
      add: async (_root, _prefix, _del, options) => {
        sent.push(options.allow_home);
        if (tries++ === 0) throw { code: "needs_confirmation", message: "/home/u is your whole home folder" };
      },
    });
    await flush();
    click('[data-testid="watch-add"]');
    await flush();
    await flush();
    const ask = q('[data-testid="watch-confirm"]');
    expect(ask.textContent).toContain("whole home folder");
    click('[data-action="confirm"]', ask);
    await flush();
    expect(sent).toEqual([false, true]);
    expect(document.querySelector('[data-testid="watch-confirm"]')).toBeNull();
  });

  it("does nothing when the picker is cancelled, and routes row buttons", async () => {
    const { store, calls } = setup(null);
    click('[data-testid="watch-add"]');
    await flush();
    expect(calls).toEqual([]);
    store.setAll([status({ id: 3 })]);
    const row = rows()[0]!;
    click('[data-action="pause"]', row);
    click('[data-action="rescan"]', row);
    click('[data-action="remove"]', row);
    await flush();
    expect(calls).toEqual([
      ["enabled", 3, false],
      ["rescan", 3],
      ["remove", 3],
    ]);
    expect(rows()).toHaveLength(0);
  });

  it("edits a watch in place; typing survives status updates", async () => {
    const { store, calls } = setup();
    await flush();
    store.setAll([status({ id: 4, profile: "work", bucket: "team-photos", prefix: "cam/", include: ["*.jpg"], delete_remote: true })]);
    click('[data-action="edit"]', rows()[0]!);
    await flush();
    const edit = q('[data-testid="watch-edit"]');
    expect(q<HTMLSelectElement>('[data-testid="edit-profile"]', edit).value).toBe("work");
    expect(q<HTMLInputElement>('[data-testid="edit-bucket"]', edit).value).toBe("team-photos");
    expect(q<HTMLInputElement>('[data-testid="edit-prefix"]', edit).value).toBe("cam");
    expect(q<HTMLTextAreaElement>('[data-testid="edit-include"]', edit).value).toBe("*.jpg");
    expect(q<HTMLInputElement>('[data-testid="edit-delete"]', edit).checked).toBe(true);
    const prefix = q<HTMLInputElement>('[data-testid="edit-prefix"]', edit);
    prefix.focus();
    prefix.value = "camera";
    store.apply({ event: "watch", status: status({ id: 4, profile: "work", bucket: "team-photos", prefix: "cam/", pending: 3 }) });
    expect(document.activeElement).toBe(prefix);
    expect(q<HTMLInputElement>('[data-testid="edit-prefix"]').value).toBe("camera");
    click('[data-action="save"]', edit);
    await flush();
    await flush();
    expect(calls).toEqual([
      ["update", 4, "/media/cam/DCIM", "camera", true, { profile: "work", bucket: "team-photos", include: ["*.jpg"], exclude: null, allow_home: false }],
    ]);
    expect(document.querySelector('[data-testid="watch-edit"]')).toBeNull();
  });

  it("lists the trash and restores a file", async () => {
    const { store, calls, notes } = setup();
    store.setAll([status({ id: 5, delete_remote: true })]);
    click('[data-action="trash"]', rows()[0]!);
    await flush();
    const trash = q('[data-testid="watch-trash"]');
    const row = q('[data-testid="trash-row"]', trash);
    expect(row.textContent).toContain("f.txt");
    expect(row.dataset.key).toBe(trashed.trash_key);
    click('[data-action="restore"]', row);
    await flush();
    await flush();
    expect(calls).toEqual([["trash", 5], ["restore", 5, trashed.trash_key], ["trash", 5]]);
    expect(notes).toEqual(["Restored /media/cam/DCIM/f.txt"]);
  });

  it("asks about held deletions and shows what cannot be read", async () => {
    const { store, calls } = setup();
    store.setAll([
      status({
        id: 6,
        delete_remote: true,
        held_deletions: 200,
        cannot_read: [{ path: "private", reason: "cannot read it: permission denied" }],
      }),
    ]);
    const row = rows()[0]!;
    expect(q('[data-testid="watch-unreadable"]', row).textContent).toContain("private: cannot read it: permission denied");
    const held = q('[data-testid="watch-held"]', row);
    expect(held.textContent).toContain("200 files were deleted here at once");
    click('[data-action="confirm"]', held);
    await flush();
    store.apply({ event: "watch", status: status({ id: 6, held_deletions: 50 }) });
    click('[data-action="cancel-confirm"]', q('[data-testid="watch-held"]'));
    await flush();
    expect(calls).toEqual([
      ["decide", 6, true],
      ["decide", 6, false],
    ]);
  });
});

describe("watches view layout", () => {
  it("is a view that scrolls, and every button has the app's button style", async () => {
    const { store, view } = setup();
    await flush();
    store.setAll([status(), status({ id: 2 })]);
    // `.view` gives the flex child its height (min-height: 0) so `overflow-y: auto` scrolls.
    expect(view.element.classList.contains("view")).toBe(true);
    expect(view.element.classList.contains("scroll-y")).toBe(true);
    const unstyled = [...view.element.querySelectorAll("button")].filter((b) => !b.classList.contains("btn"));
    expect(unstyled.map((b) => b.textContent)).toEqual([]);
  });
});
