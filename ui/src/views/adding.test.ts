// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";

import type { Destination } from "../bindings/Destination";
import type { DestinationView } from "../bindings/DestinationView";
import type { Listing } from "../bindings/Listing";
import { QueueStore } from "../lib/queue";
import { askConflicts } from "./conflict-dialog";
import { createConflictSetting } from "./conflict-setting";
import { joinFolder, openDestinationPicker, parentFolder } from "./destination-picker";
import { createDropOverlay } from "./drop-overlay";
import { createHeader, TABS } from "./header";

const flush = () => new Promise((r) => setTimeout(r, 0));
const q = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const set = (sel: string, value: string, event = "change") => {
  const el = q<HTMLInputElement | HTMLSelectElement>(sel);
  el.value = value;
  el.dispatchEvent(new Event(event));
};

afterEach(() => document.body.replaceChildren());

const view = (d: Destination): DestinationView => ({
  destination: d,
  label: `${d.profile ?? "Local store"} · ${d.bucket} · ${d.prefix || "/"}`,
  conflict: "ask",
});

describe("destination picker", () => {
  it("folder helpers never climb out or keep empty segments", () => {
    expect(joinFolder("a/", " new / sub ")).toBe("a/new/sub/");
    expect(joinFolder("a/", "../..")).toBe("a/");
    expect(parentFolder("a/b/")).toBe("a/");
    expect(parentFolder("a/")).toBe("");
  });

  it("chooses a profile, a bucket, a folder from the listing and a new folder", async () => {
    const listed: Destination[] = [];
    const chosen: Destination[] = [];
    const listing = (d: Destination): Listing => ({
      prefix: d.prefix,
      folders: d.prefix === "" ? [{ prefix: "trips/", name: "trips" }] : [],
      objects: [],
      next: null,
    });
    const result = openDestinationPicker({
      current: async () => view({ profile: null, bucket: "hoist", prefix: "" }),
      profiles: async () => [
        { name: null, label: "Local store (built-in)", bucket: "hoist" },
        { name: "work", label: "Profile work", bucket: "team" },
      ],
      folders: async (d) => (listed.push(d), listing(d)),
      choose: async (d) => (chosen.push(d), view(d)),
      describeError: String,
    });
    await flush();
    const dialog = q('[data-testid="destination-picker"]');
    expect(dialog.getAttribute("role")).toBe("dialog");
    for (const el of dialog.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input, select")) {
      expect(dialog.querySelector(`label[for="${el.id}"]`), el.id).not.toBeNull();
    }
    set('[data-testid="dest-profile"]', "1");
    await flush();
    expect(q<HTMLInputElement>('[data-testid="dest-bucket"]').value).toBe("team");
    set('[data-testid="dest-bucket"]', "photos");
    await flush();
    // Clicking a folder blurs the bucket field, which fires "change" again with the
    // same name first: that must not reload the list under the click.
    const folderBtn = q<HTMLButtonElement>('[data-testid="dest-folder"]');
    const loads = listed.length;
    set('[data-testid="dest-bucket"]', "photos");
    expect(listed.length).toBe(loads);
    expect(folderBtn.isConnected).toBe(true);
    folderBtn.click();
    await flush();
    expect(q('[data-testid="dest-where"]').textContent).toBe("photos / trips/");
    set('[data-testid="dest-new"]', "2026");
    q<HTMLButtonElement>('[data-testid="dest-new-go"]').click();
    await flush();
    q<HTMLButtonElement>('[data-testid="dest-ok"]').click();
    const v = await result;
    expect(chosen).toEqual([{ profile: "work", bucket: "photos", prefix: "trips/2026/" }]);
    expect(v?.label).toBe("work · photos · trips/2026/");
    expect(listed.map((d) => `${d.profile}:${d.bucket}:${d.prefix}`)).toContain("work:photos:trips/");
    expect(document.querySelector('[data-testid="destination-picker"]')).toBeNull();
  });

  it("shows Rust's refusal in words and stays open; Escape cancels", async () => {
    const result = openDestinationPicker({
      current: async () => view({ profile: null, bucket: "hoist", prefix: "" }),
      profiles: async () => [{ name: null, label: "Local store (built-in)", bucket: "hoist" }],
      folders: async () => Promise.reject(new Error("bucket \"nope\" does not exist on this store")),
      choose: async () => Promise.reject(new Error("\"Bad\" is not a valid bucket name")),
      describeError: (e) => (e as Error).message,
    });
    await flush();
    expect(q('[data-testid="dest-status"]').textContent).toContain("does not exist");
    q<HTMLButtonElement>('[data-testid="dest-ok"]').click();
    await flush();
    expect(q('[data-testid="dest-error"]').textContent).toContain("not a valid bucket name");
    q('[data-testid="destination-picker"]').dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(await result).toBeNull();
  });
});

describe("conflict dialog", () => {
  const pending = { batch: 7, label: "Local store · hoist · /", files: 3, existing: ["a.txt", "b.txt"], unchecked: false };

  it("lists the existing keys; 'apply to all' answers for every one", async () => {
    const answer = askConflicts(pending);
    const dialog = q('[data-testid="conflict-dialog"]');
    expect(dialog.textContent).toContain("2 files with these names exist");
    expect([...dialog.querySelectorAll(".conflict-key")].map((e) => e.textContent)).toEqual(["a.txt", "b.txt"]);
    set('[data-testid="conflict-all"]', "overwrite");
    q<HTMLButtonElement>('[data-testid="conflict-go"]').click();
    expect(await answer).toEqual({ decisions: [], otherwise: "overwrite" });
  });

  it("without 'apply to all', each key gets its own answer; cancel sends nothing", async () => {
    const answer = askConflicts(pending);
    const all = q<HTMLInputElement>('[data-testid="conflict-apply-all"]');
    all.checked = false;
    all.dispatchEvent(new Event("change"));
    const ones = [...document.querySelectorAll<HTMLSelectElement>('[data-testid="conflict-one"]')];
    expect(ones.every((s) => !s.disabled && s.getAttribute("aria-label"))).toBe(true);
    ones[1]!.value = "skip";
    q<HTMLButtonElement>('[data-testid="conflict-go"]').click();
    expect(await answer).toEqual({
      decisions: [
        { key: "a.txt", policy: "rename" },
        { key: "b.txt", policy: "skip" },
      ],
      otherwise: "rename",
    });
    const cancelled = askConflicts(pending);
    q<HTMLButtonElement>('[data-testid="conflict-cancel"]').click();
    expect(await cancelled).toEqual({ decisions: [], otherwise: null });
  });

  it("keys that could not be checked (write-only) offer only replace or cancel", async () => {
    const unchecked = { ...pending, existing: [], unchecked: true };
    const answer = askConflicts(unchecked);
    const dialog = q('[data-testid="conflict-dialog"]');
    expect(dialog.textContent).toContain("cannot see which names exist");
    expect(dialog.querySelectorAll("select")).toHaveLength(0);
    expect(document.activeElement).toBe(q('[data-testid="conflict-cancel"]'));
    q<HTMLButtonElement>('[data-testid="conflict-go"]').click();
    expect(await answer).toEqual({ decisions: [], otherwise: "overwrite" });
    const cancelled = askConflicts(unchecked);
    q<HTMLButtonElement>('[data-testid="conflict-cancel"]').click();
    expect(await cancelled).toEqual({ decisions: [], otherwise: null });
  });
});

describe("conflict setting", () => {
  it("loads the choice and saves a new one; a refusal puts the old one back", async () => {
    const saved: string[] = [];
    let fail = false;
    const s = createConflictSetting({
      load: async () => ({ conflict: "ask", default_store: null, profiles: {} }),
      save: async (c) => {
        if (fail) throw new Error("disk full");
        saved.push(c);
        return { conflict: c, default_store: null, profiles: {} };
      },
      describeError: (e) => (e as Error).message,
    });
    document.body.append(s.element);
    s.shown();
    await flush();
    expect(q<HTMLInputElement>('[data-testid="conflict-ask"]').checked).toBe(true);
    const rename = q<HTMLInputElement>('[data-testid="conflict-rename"]');
    rename.checked = true;
    rename.dispatchEvent(new Event("change"));
    await flush();
    expect(saved).toEqual(["rename"]);
    fail = true;
    const skip = q<HTMLInputElement>('[data-testid="conflict-skip"]');
    skip.checked = true;
    skip.dispatchEvent(new Event("change"));
    await flush();
    expect(rename.checked).toBe(true);
    expect(s.element.textContent).toContain("disk full");
    for (const r of s.element.querySelectorAll("input")) expect(s.element.querySelector(`label[for="${r.id}"]`)).not.toBeNull();
  });
});

describe("header and drop overlay", () => {
  it("show where added files go", () => {
    const actions: string[] = [];
    const header = createHeader(new QueueStore(), { onAction: (a) => actions.push(a), onTab: () => {} });
    const overlay = createDropOverlay();
    document.body.append(header.element, overlay.element);
    header.setDestination("work · photos · trips/");
    overlay.setDestination("work · photos · trips/");
    expect(q('[data-testid="destination-label"]').textContent).toBe("work · photos · trips/");
    expect(q('[data-testid="drop-destination"]').textContent).toBe("Files and folders go to work · photos · trips/");
    q<HTMLButtonElement>('[data-testid="destination"]').click();
    expect(actions).toEqual(["choose-destination"]);
  });

  it("tabs follow the ARIA pattern: roles, one tab stop, arrow keys", () => {
    const tabs: string[] = [];
    const header = createHeader(new QueueStore(), { onAction: () => {}, onTab: (t) => (tabs.push(t), header.setTab(t)) });
    document.body.append(header.element);
    header.setTab("queue");
    expect(q(".tabs").getAttribute("role")).toBe("tablist");
    const all = [...document.querySelectorAll<HTMLElement>('[role="tab"]')];
    expect(all.map((t) => t.getAttribute("aria-controls"))).toEqual(TABS.map((t) => `view-${t}`));
    expect(all.map((t) => t.tabIndex)).toEqual([0, -1, -1, -1, -1, -1, -1]);
    all[0]!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    all[1]!.dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
    all[6]!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    all[0]!.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    expect(tabs).toEqual(["watches", "diagnostics", "queue", "diagnostics"]);
    expect(document.activeElement).toBe(all[6]);
    expect(all[6]!.getAttribute("aria-selected")).toBe("true");
    expect(all.filter((t) => t.tabIndex === 0)).toEqual([all[6]]);
  });
});

describe("confirm dialog", () => {
  it("asks before cancelling: Keep is the default, Escape keeps", async () => {
    const { confirmDialog } = await import("./modal");
    const a = confirmDialog("Cancel 3 uploads?", "What was sent is discarded.", "Cancel 3 uploads");
    expect((document.activeElement as HTMLElement).textContent).toBe("Keep");
    q<HTMLButtonElement>('[data-action="confirm"]').click();
    expect(await a).toBe(true);
    const b = confirmDialog("Cancel?", "x", "Cancel upload");
    q('[data-testid="confirm-dialog"]').dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(await b).toBe(false);
    expect(document.querySelector(".modal-veil")).toBeNull();
  });
});
