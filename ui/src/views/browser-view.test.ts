// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { Listing } from "../bindings/Listing";
import type { ListRequest } from "../bindings/ListRequest";
import { createBrowserView, type BrowserSource } from "./browser-view";

const tick = () => new Promise((r) => setTimeout(r, 0));

function fakeStore() {
  const keys = new Set(["top.txt", ...Array.from({ length: 5 }, (_, i) => `photos/p${i}.png`), "photos/2024/x.png"]);
  const requests: ListRequest[] = [];
  const deleted: string[] = [];
  const shared: [string, number][] = [];
  const src: BrowserSource = {
    bucket: () => "bkt",
    async list(req) {
      requests.push(req);
      const entries = [...keys].filter((k) => k.startsWith(req.prefix)).map((k) => k.slice(req.prefix.length));
      const folders = [...new Set(entries.filter((e) => e.includes("/")).map((e) => e.split("/")[0]!))];
      const objects = entries.filter((e) => !e.includes("/")).sort();
      // Pages of 2 objects; folders on the first page.
      const start = req.continuation ? Number(req.continuation) : 0;
      const page: Listing = {
        prefix: req.prefix,
        folders: start === 0 ? folders.map((f) => ({ prefix: `${req.prefix}${f}/`, name: f })) : [],
        objects: objects.slice(start, start + 2).map((name) => ({ key: req.prefix + name, name, size: 10, modified: 0, etag: null })),
        next: start + 2 < objects.length ? String(start + 2) : null,
      };
      return page;
    },
    async details(key) {
      return { bucket: "bkt", key, size: 10, content_type: "image/png", modified: 0, etag: '"e"', checksums: { CRC32C: "abc=" }, metadata: { a: "b" }, storage_class: null, cache_control: null, content_disposition: null, preview: "image" };
    },
    async remove(key) {
      deleted.push(key);
      keys.delete(key);
    },
    async download() {
      return "/tmp/x";
    },
    async expiry(seconds) {
      return { requested_expires_at: seconds * 1000, expires_at: 600_000, limited_by_credentials: seconds > 600, credentials_expire_at: 600_000 };
    },
    async share(key, seconds) {
      shared.push([key, seconds]);
      return { id: 1, url: "u", method: "get", endpoint: null, bucket: "bkt", key, content_type: null, disposition: null, created_at: 0, expires_at: 1, limited_by_credentials: false };
    },
    async fetchUrl() {
      throw new Error("not used");
    },
    async uploadLink(key) {
      shared.push([key, 900]);
      return { id: 2, url: "u", method: "put", endpoint: null, bucket: "bkt", key, content_type: null, disposition: null, created_at: 0, expires_at: 1, limited_by_credentials: false };
    },
    onError(e) {
      throw e;
    },
    notify() {},
  };
  return { src, requests, deleted, shared };
}

describe("browser view", () => {
  it("shows Modified in a short form, with the full time in a tooltip", async () => {
    const { src } = fakeStore();
    const old = new Date(2020, 0, 2, 3, 4, 5).getTime();
    const recent = Date.now() - 5 * 60_000 - 1_000;
    const view = createBrowserView({
      ...src,
      list: async (req) => ({
        prefix: req.prefix,
        folders: [],
        objects: [
          { key: "old.txt", name: "old.txt", size: 1, modified: old, etag: null },
          { key: "new.txt", name: "new.txt", size: 1, modified: recent, etag: null },
        ],
        next: null,
      }),
    });
    document.body.replaceChildren(view.element);
    view.shown();
    await tick();
    const cell = (key: string) => view.element.querySelector<HTMLElement>(`[data-testid="browser-object"][data-key="${key}"] td.time`)!;
    expect(cell("old.txt").textContent).toBe("2020-01-02");
    expect(cell("old.txt").title).toMatch(/^2020-01-02 03:04:05 UTC[+-]\d\d:\d\d$/);
    expect(cell("new.txt").textContent).toBe("5 min ago");
    expect(cell("new.txt").title).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  });

  it("opens folders, pages with load more, and deletes only after confirmation", async () => {
    const { src, requests, deleted, shared } = fakeStore();
    const view = createBrowserView(src);
    document.body.replaceChildren(view.element);
    view.shown();
    await tick();
    const q = (sel: string) => [...view.element.querySelectorAll<HTMLElement>(sel)];
    expect(q('[data-testid="browser-folder"]').map((r) => r.dataset.prefix)).toEqual(["photos/"]);
    expect(q('[data-testid="browser-object"]').map((r) => r.dataset.key)).toEqual(["top.txt"]);

    q('[data-testid="browser-folder"] button')[0]!.click();
    await tick();
    expect(view.prefix()).toBe("photos/");
    expect(q('[data-testid="crumb"]').map((c) => c.textContent)).toEqual(["bkt", "photos"]);
    expect(q('[data-testid="browser-object"]')).toHaveLength(2);
    const more = view.element.querySelector<HTMLButtonElement>('[data-testid="browser-more"]')!;
    expect(more.hidden).toBe(false);
    more.click();
    await tick();
    more.click();
    await tick();
    expect(q('[data-testid="browser-object"]').map((r) => r.dataset.key)).toEqual(["photos/p0.png", "photos/p1.png", "photos/p2.png", "photos/p3.png", "photos/p4.png"]);
    expect(more.hidden).toBe(true);
    expect(requests[requests.length - 1]!.continuation).toBe("4");

    // Details, true expiry, copy link.
    q('[data-testid="browser-object"] button')[1]!.click();
    await tick();
    await tick();
    const details = view.element.querySelector('[data-testid="browser-details"]')!;
    expect(details.textContent).toContain("CRC32C");
    expect(details.textContent).toContain("meta: a");
    expect(details.querySelector('[data-testid="true-expiry"]')!.textContent).toContain("temporary credentials");
    details.querySelector<HTMLButtonElement>('[data-testid="browser-copy-link"]')!.click();
    expect(shared).toEqual([["photos/p1.png", 3600]]);

    // Delete asks first.
    details.querySelector<HTMLButtonElement>('[data-testid="browser-delete"]')!.click();
    await tick();
    expect(deleted).toEqual([]);
    details.querySelector<HTMLButtonElement>('[data-testid="browser-delete-confirm"]')!.click();
    await tick();
    expect(deleted).toEqual(["photos/p1.png"]);
    expect(q('[data-testid="browser-object"]').map((r) => r.dataset.key)).not.toContain("photos/p1.png");

    // Breadcrumb back to the root.
    q('[data-testid="crumb"]')[0]!.click();
    await tick();
    expect(view.prefix()).toBe("");
  });

  it("Download… shows progress and a Cancel that stops it; a cancelled download saves nothing and says so", async () => {
    const { src } = fakeStore();
    const notes: string[] = [];
    const cancels: string[] = [];
    let finish: (p: string | null) => void = () => {};
    const view = createBrowserView({
      ...src,
      notify: (m) => notes.push(m),
      downloadAs: (_key, progress) =>
        new Promise((resolve) => {
          progress(5, 10);
          finish = resolve;
        }),
      cancelDownload: async (key) => {
        cancels.push(key);
        finish(null);
        return true;
      },
    });
    document.body.replaceChildren(view.element);
    view.shown();
    await tick();
    view.element.querySelector<HTMLButtonElement>('[data-testid="browser-object"] button')!.click();
    await tick();
    await tick();
    const details = view.element.querySelector('[data-testid="browser-details"]')!;
    const stop = details.querySelector<HTMLButtonElement>('[data-testid="download-cancel"]')!;
    expect(stop.hidden).toBe(true);
    details.querySelector<HTMLButtonElement>('[data-testid="browser-download"]')!.click();
    expect(stop.hidden).toBe(false);
    expect(details.querySelector('[data-testid="download-progress"]')!.textContent).toBe("50% of 10 B");
    stop.click();
    await tick();
    await tick();
    expect(cancels).toEqual(["top.txt"]);
    expect(stop.hidden).toBe(true);
    expect(notes).toEqual(["Download of top.txt cancelled: nothing was saved"]);
  });
});
