// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { EngineEvent } from "../bindings/EngineEvent";
import { QueueStore } from "../lib/queue";
import { summarize } from "./header";
import { createQueueView } from "./queue-view";

function setup() {
  const frames: (() => void)[] = [];
  const store = new QueueStore({ schedule: (f) => frames.push(f), setTimer: () => {} });
  const clicks: [string, number][] = [];
  const view = createQueueView(store, { onAction: (a, id) => clicks.push([a, id]) }, { viewportHeight: () => 36 * 10 });
  document.body.replaceChildren(view.element);
  const frame = () => frames.splice(0).forEach((f) => f());
  return { store, view, clicks, frame };
}

const queued = (id: number): EngineEvent => ({ event: "queued", id, path: `/p/d/f${id}`, bucket: "b", key: `d/f${id}`, size: 2048 });

describe("queue view", () => {
  it("shows the empty state, then rows with test hooks", () => {
    const { store, view, frame } = setup();
    expect(view.element.querySelector(".empty")!.hasAttribute("hidden")).toBe(false);
    expect(view.element.textContent).toContain("Drop files or folders here, or use Add files");

    store.apply(queued(1));
    store.apply(queued(2));
    store.apply({ event: "started", id: 2, key: "d/f2", size: 2048, parts_total: 1, parts_done: 0, resumed: false });
    store.apply({ event: "retrying", id: 2, attempt: 2, delay_ms: 10, reason: "timeout", code: "store_busy", offline: false });
    frame();

    expect((view.element.querySelector(".empty") as HTMLElement).hidden).toBe(true);
    const rows = [...document.querySelectorAll<HTMLElement>('[data-testid="queue-row"]')];
    expect(rows.map((r) => [r.dataset.id, r.dataset.state, r.dataset.key])).toEqual([
      ["1", "queued", "d/f1"],
      ["2", "retrying", "d/f2"],
    ]);
    expect(rows[1]!.textContent).toContain("retrying (attempt 2): timeout");
    expect(rows[0]!.querySelector(".name")!.textContent).toBe("f1");
    const actions = (r: HTMLElement) => [...r.querySelectorAll("button[data-action]")].map((b) => b.getAttribute("data-action"));
    expect(actions(rows[0]!)).toEqual(["copy-when-done", "pause", "cancel"]);

    store.apply({ event: "failed", id: 1, key: "d/f1", error: { code: "local_file", message: "gone" } });
    frame();
    expect(rows[0]!.dataset.state).toBe("failed");
    expect(actions(rows[0]!)).toEqual(["retry", "remove"]);

    store.apply({ event: "completed", id: 2, bucket: "b", key: "d/f2", size: 2048, etag: null, checksum: null, verification: "crc32c", bytes_sent: 2048, bytes_resent: 0 });
    frame();
    expect(actions(rows[1]!)).toEqual(["copy-link", "remove"]);
  });

  it("a row whose bytes are all sent says finishing, 100 %, and no speed or time left", () => {
    const { store, frame } = setup();
    store.apply(queued(1));
    store.apply({ event: "started", id: 1, key: "d/f1", size: 2048, parts_total: 1, parts_done: 0, resumed: false });
    store.apply({ event: "progress", id: 1, bytes_done: 2048, bytes_total: 2048, rate_bps: 4096, parts_in_flight: 1 });
    frame();
    const row = document.querySelector<HTMLElement>('[data-testid="queue-row"]')!;
    expect(row.dataset.state).toBe("running");
    expect(row.querySelector(".status")!.textContent).toBe("finishing");
    expect(row.querySelector(".status")!.classList.contains("s-finishing")).toBe(true);
    expect(row.querySelector(".pct")!.textContent).toBe("100%");
    expect(row.querySelector(".speed")!.textContent).toBe("");
    expect(row.querySelector(".eta")!.textContent).toBe(""); // not "0s"
    expect([...row.querySelectorAll("button[data-action]")].map((b) => b.getAttribute("aria-label"))).toEqual([
      "Copy link when done",
      "Pause",
      "Cancel",
    ]);
  });

  it("routes row buttons to the handler with the row's id", () => {
    const { store, clicks, frame } = setup();
    store.apply(queued(7));
    frame();
    const btn = document.querySelector<HTMLButtonElement>('[data-id="7"] button[data-action="cancel"]')!;
    btn.click();
    expect(clicks).toEqual([["cancel", 7]]);
  });

  it("renders a bounded number of rows for 10,000 items", () => {
    const { store, frame } = setup();
    for (let i = 1; i <= 10_000; i++) store.apply(queued(i));
    frame();
    const n = document.querySelectorAll('[data-testid="queue-row"]').length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(30);
  });
});

describe("header summary", () => {
  it("says X of Y, uploading, speed and ETA", () => {
    const store = new QueueStore({ schedule: () => {}, setTimer: () => {} });
    expect(summarize(store.totals())).toBe("No uploads");
    store.apply(queued(1));
    store.apply(queued(2));
    store.apply({ event: "completed", id: 1, bucket: "b", key: "d/f1", size: 2048, etag: null, checksum: null, verification: "md5", bytes_sent: 2048, bytes_resent: 0 });
    store.apply({ event: "started", id: 2, key: "d/f2", size: 2048, parts_total: 1, parts_done: 0, resumed: false });
    store.apply({ event: "progress", id: 2, bytes_done: 1024, bytes_total: 2048, rate_bps: 512, parts_in_flight: 1 });
    expect(summarize(store.totals())).toBe("1 of 2 · 1 uploading · 512 B/s · 2s left");
  });
});
