// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { Listing } from "../bindings/Listing";
import { Selection } from "./browser-selection";
import { createBrowserView, type BrowserSource } from "./browser-view";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("Selection", () => {
  it("click selects one, ctrl toggles, shift selects a range", () => {
    const s = new Selection();
    s.setOrder(["a", "b", "c", "d", "e"]);
    s.click("b");
    expect(s.keys()).toEqual(["b"]);
    s.click("d", { shift: true });
    expect(s.keys()).toEqual(["b", "c", "d"]);
    s.click("c", { toggle: true });
    expect(s.keys()).toEqual(["b", "d"]);
    s.click("a");
    expect(s.keys()).toEqual(["a"]);
    s.setOrder(["b", "c"]);
    expect(s.keys()).toEqual([]);
  });
});

function fake() {
  const keys = new Set(["a.txt", "b.txt", "c.txt", "d.txt", "docs/x.txt"]);
  const calls: string[] = [];
  const drops: (string | null)[] = [];
  const src: BrowserSource = {
    bucket: () => "bkt",
    async list(req) {
      const entries = [...keys].filter((k) => k.startsWith(req.prefix)).map((k) => k.slice(req.prefix.length));
      const folders = [...new Set(entries.filter((e) => e.includes("/")).map((e) => e.split("/")[0]!))];
      const page: Listing = {
        prefix: req.prefix,
        folders: folders.map((f) => ({ prefix: `${req.prefix}${f}/`, name: f })),
        objects: entries.filter((e) => !e.includes("/")).sort().map((name) => ({ key: req.prefix + name, name, size: 1, modified: 0, etag: null })),
        next: null,
      };
      return page;
    },
    async details(key) {
      return { bucket: "bkt", key, size: 1, content_type: null, modified: 0, etag: null, checksums: {}, metadata: {}, storage_class: null, cache_control: null, content_disposition: null, preview: "none" };
    },
    async remove() {},
    async download() {
      return "";
    },
    async expiry() {
      return { requested_expires_at: 0, expires_at: 0, limited_by_credentials: false, credentials_expire_at: null };
    },
    async share() {
      throw new Error("not used");
    },
    async fetchUrl() {
      throw new Error("not used");
    },
    async uploadLink() {
      throw new Error("not used");
    },
    onError(e) {
      throw e;
    },
    notify(m) {
      calls.push(`notify ${m}`);
    },
    selection: {
      async remove(ks) {
        calls.push(`remove ${ks.join(",")}`);
        for (const k of ks) keys.delete(k);
        return { done: ks.length, bytes: 0, failed: [] };
      },
      async move(ks, dest) {
        calls.push(`move ${ks.join(",")} -> ${dest}`);
        return { done: ks.length, bytes: 0, failed: [] };
      },
      async rename(from, to) {
        calls.push(`rename ${from} -> ${to}`);
        keys.delete(from);
        keys.add(to);
        return { done: 1, bytes: 0, failed: [] };
      },
      async newFolder(parent, name) {
        calls.push(`folder ${parent}${name}/`);
        return `${parent}${name}/`;
      },
      async copyLinks(ks) {
        calls.push(`links ${ks.join(",")}`);
        return ks.length;
      },
    },
    dropInto: (p) => drops.push(p),
  };
  const view = createBrowserView(src);
  document.body.replaceChildren(view.element);
  return { view, calls, drops, keys };
}

const q = <T extends HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`)!;
const row = (key: string) => document.querySelector<HTMLElement>(`[data-key="${key}"] button`)!;
const click = (el: HTMLElement, mods: MouseEventInit = {}) => el.dispatchEvent(new MouseEvent("click", { bubbles: true, ...mods }));

describe("Browser multi-select", () => {
  it("deletes three objects after one confirmation that names the count", async () => {
    const f = fake();
    f.view.shown();
    await tick();
    click(row("a.txt"));
    click(row("c.txt"), { shiftKey: true });
    expect(q("selection-count").textContent).toBe("3 selected");
    click(q("selection-delete"));
    expect(f.calls.filter((c) => c.startsWith("remove"))).toEqual([]);
    expect(q("selection-delete-confirm").textContent).toBe("Delete 3 entries for good?");
    click(q("selection-delete-confirm"));
    await tick();
    await tick();
    expect(f.calls).toContain("remove a.txt,b.txt,c.txt");
    expect(f.calls).toContain("notify Deleted 3");
    expect([...document.querySelectorAll("[data-testid=browser-object]")].map((r) => (r as HTMLElement).dataset.key)).toEqual(["d.txt"]);
  });

  it("renames one entry in its folder, moves a ctrl-selection, copies links, makes a folder", async () => {
    const f = fake();
    f.view.shown();
    await tick();
    click(row("b.txt"));
    const name = q<HTMLInputElement>("rename-name");
    expect(name.value).toBe("b.txt");
    name.value = "beta.txt";
    click(q("rename-go"));
    await tick();
    await tick();
    expect(f.calls).toContain("rename b.txt -> beta.txt");
    click(row("a.txt"));
    click(row("d.txt"), { ctrlKey: true });
    expect(q("selection-count").textContent).toBe("2 selected");
    expect([...q<HTMLSelectElement>("move-dest").options].map((o) => o.value)).toEqual(["docs/"]);
    click(q("move-go"));
    await tick();
    expect(f.calls).toContain("move a.txt,d.txt -> docs/");
    click(row("c.txt"));
    click(q("selection-links"));
    await tick();
    expect(f.calls).toContain("links c.txt");
    q<HTMLInputElement>("new-folder-name").value = "Archive";
    click(q("new-folder-go"));
    await tick();
    expect(f.calls).toContain("folder Archive/");
  });

  it("sends drops to the folder shown, and back to the queue when hidden", async () => {
    const f = fake();
    f.view.shown();
    await tick();
    click(document.querySelector<HTMLElement>('[data-prefix="docs/"] button')!);
    await tick();
    f.view.hidden();
    expect(f.drops).toEqual(["", "docs/", null]);
  });
});
