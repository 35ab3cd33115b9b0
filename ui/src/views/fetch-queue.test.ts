// @vitest-environment jsdom
// Upload from a URL is a queue item: the Browser's form queues it and says so; the
// Queue tab shows the row with the URL as its source, progress and the usual buttons.
import { describe, expect, it } from "vitest";

import type { EngineEvent } from "../bindings/EngineEvent";
import { QueueStore, itemName, itemTitle, urlSource } from "../lib/queue";
import { createBrowserView, type BrowserSource } from "./browser-view";
import { createQueueView } from "./queue-view";

const tick = () => new Promise((r) => setTimeout(r, 0));
const URL_SRC = "https://example.org/files/photo.png?sig=1";

function browserSource(calls: unknown[][], notes: string[]): BrowserSource {
  const link = { id: 1, url: "u", method: "get" as const, endpoint: null, bucket: "bkt", key: "k", content_type: null, disposition: null, created_at: 0, expires_at: 1, limited_by_credentials: false };
  return {
    bucket: () => "bkt",
    list: async (req) => ({ prefix: req.prefix, folders: [], objects: [], next: null }),
    details: async () => {
      throw new Error("not used");
    },
    remove: async () => {},
    download: async () => "/tmp/x",
    expiry: async (s) => ({ requested_expires_at: s * 1000, expires_at: s * 1000, limited_by_credentials: false, credentials_expire_at: null }),
    share: async () => link,
    uploadLink: async () => link,
    async fetchUrl(...args) {
      calls.push(args);
      return 42;
    },
    onError(e) {
      throw e;
    },
    notify: (m) => notes.push(m),
  } as BrowserSource;
}

describe("fetch from a URL, queued", () => {
  it("the Browser's form queues the URL into the open folder and says it is queued", async () => {
    const calls: unknown[][] = [];
    const notes: string[] = [];
    const view = createBrowserView(browserSource(calls, notes));
    document.body.replaceChildren(view.element);
    view.shown();
    await tick();
    const field = (id: string) => view.element.querySelector<HTMLInputElement>(`[data-testid="${id}"]`)!;
    field("fetch-url").value = ` ${URL_SRC} `;
    field("fetch-key").value = "/photo.png";
    field("fetch-types").value = "image/*, application/pdf";
    field("fetch-max").value = "";
    view.element.querySelector<HTMLButtonElement>('[data-testid="fetch-go"]')!.click();
    await tick();
    expect(calls).toEqual([[URL_SRC, "photo.png", ["image/*", "application/pdf"], null]]);
    expect(notes).toEqual(["Queued photo.png: progress in the Queue tab"]);
  });

  it("a URL row names its source, shows progress once the size is known, and has the usual buttons", () => {
    const frames: (() => void)[] = [];
    const store = new QueueStore({ schedule: (f) => frames.push(f), setTimer: () => {} });
    const clicks: [string, number][] = [];
    const view = createQueueView(store, { onAction: (a, id) => clicks.push([a, id]) }, { viewportHeight: () => 360 });
    document.body.replaceChildren(view.element);
    const frame = () => frames.splice(0).forEach((f) => f());

    const queued: EngineEvent = { event: "queued", id: 7, path: URL_SRC, bucket: "b", key: "in/photo.png", size: 0 };
    store.apply(queued);
    frame();
    const row = document.querySelector<HTMLElement>('[data-testid="queue-row"]')!;
    expect(row.dataset.source).toBe("url");
    expect(row.querySelector(".name")!.textContent).toBe("photo.png · from example.org");
    expect((row.querySelector(".name") as HTMLElement).title).toBe(`b/in/photo.png\nfrom ${URL_SRC}`);
    expect(row.querySelector(".size")!.textContent).toBe("—");
    const actions = () => [...row.querySelectorAll("button[data-action]")].map((b) => b.getAttribute("data-action"));
    expect(actions()).toContain("pause");
    expect(actions()).toContain("cancel");

    store.apply({ event: "started", id: 7, key: "in/photo.png", size: 4096, parts_total: 1, parts_done: 0, resumed: false });
    store.apply({ event: "progress", id: 7, bytes_done: 1024, bytes_total: 4096, rate_bps: 512, parts_in_flight: 0 });
    frame();
    expect(row.querySelector(".size")!.textContent).not.toBe("—");
    expect(row.textContent).toContain("25");

    store.apply({ event: "failed", id: 7, key: "in/photo.png", error: { code: "network", message: "the connection was lost" } });
    frame();
    expect(actions()).toEqual(["retry", "remove"]);
    (row.querySelector('button[data-action="retry"]') as HTMLButtonElement).click();
    expect(clicks).toEqual([["retry", 7]]);
  });

  it("a local file is not taken for a URL", () => {
    const base = { id: 1, bucket: "b", key: "d/f", size: 1 } as const;
    const file = { ...base, path: "/home/u/http:/f" } as Parameters<typeof urlSource>[0];
    expect(urlSource(file)).toBeNull();
    expect(itemName(file)).toBe("f");
    expect(itemTitle(file)).toBe("b/d/f\n/home/u/http:/f");
    const url = { ...base, path: "http://h:8080/x" } as Parameters<typeof urlSource>[0];
    expect(urlSource(url)).toBe("http://h:8080/x");
    expect(itemName(url)).toBe("f · from h:8080");
  });
});
