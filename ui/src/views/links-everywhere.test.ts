// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { ShareLink } from "../bindings/ShareLink";
import { QueueStore } from "../lib/queue";
import { createExpiryChooser } from "./expiry-chooser";
import { createHistoryView } from "./history-view";
import { createLinksView } from "./links-view";
import { createQueueView } from "./queue-view";

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("links everywhere", () => {
  it("the expiry chooser offers the Browser's presets, labelled, and explains the true expiry", async () => {
    const c = createExpiryChooser("x-expiry", async (s) => ({ requested_expires_at: Date.now() + s * 1000, expires_at: Date.now() + 60_000, credentials_expire_at: Date.now() + 60_000, limited_by_credentials: true }));
    document.body.replaceChildren(c.element);
    const sel = document.querySelector<HTMLSelectElement>("#x-expiry")!;
    expect(document.querySelector('label[for="x-expiry"]')!.textContent).toBe("Links last");
    expect(c.seconds()).toBe(3600);
    sel.value = String(7 * 86400);
    sel.dispatchEvent(new Event("change"));
    await flush();
    expect(c.seconds()).toBe(604800);
    expect(sel.title).toContain("shorter than chosen");
  });

  it("queue, History and Links show it in their toolbars", () => {
    const q = createQueueView(new QueueStore(), { onAction: () => {}, tools: createExpiryChooser("queue-expiry").element });
    const hv = createHistoryView({ load: async () => [], onError: () => {}, tools: createExpiryChooser("history-expiry").element });
    const lv = createLinksView({ load: async () => [], copy: async () => ({}) as ShareLink, onError: () => {}, tools: createExpiryChooser("links-expiry").element });
    expect(q.element.querySelector(".toolbar #queue-expiry")).not.toBeNull();
    expect(hv.element.querySelector(".toolbar #history-expiry")).not.toBeNull();
    expect(lv.element.querySelector(".toolbar #links-expiry")).not.toBeNull();
  });

  it("a share link can be made again from Links with the chosen expiry", async () => {
    const link: ShareLink = {
      id: 3,
      url: "http://x/a",
      method: "get",
      endpoint: null,
      bucket: "b",
      key: "a.txt",
      created_at: 0,
      expires_at: 1,
      limited_by_credentials: false,
    } as ShareLink;
    const renewed: string[] = [];
    const lv = createLinksView({ load: async () => [link], copy: async () => link, renew: async (l) => renewed.push(l.key), onError: () => {} });
    document.body.replaceChildren(lv.element);
    lv.shown();
    await flush();
    document.querySelector<HTMLButtonElement>('[data-testid="link-renew"]')!.click();
    await flush();
    expect(renewed).toEqual(["a.txt"]);
  });

  it("'copy link when done' is visible on the row once set", () => {
    const frames: (() => void)[] = [];
    const store = new QueueStore({ schedule: (f) => frames.push(f), setTimer: () => {} });
    const view = createQueueView(store, { onAction: () => {} }, { viewportHeight: () => 360 });
    document.body.replaceChildren(view.element);
    store.apply({ event: "queued", id: 1, path: "/p/a", bucket: "b", key: "a", size: 10 });
    frames.splice(0).forEach((f) => f());
    const btn = () => document.querySelector<HTMLElement>('[data-id="1"] button[data-action="copy-when-done"]')!;
    expect(btn().getAttribute("aria-pressed")).toBe("false");
    view.setCopyMarks(new Map([[1, 86400]]));
    expect(btn().getAttribute("aria-pressed")).toBe("true");
    expect(btn().getAttribute("aria-label")).toBe("The link (valid 1 d) is copied when this upload is verified");
    expect(document.querySelector<HTMLElement>('[data-id="1"]')!.dataset.copyWhenDone).toBe("86400");
  });
});
