// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { EngineEvent } from "../bindings/EngineEvent";
import type { QueueAction } from "../bindings/QueueAction";
import { QueueStore } from "../lib/queue";
import { createQueueView } from "./queue-view";

function setup(rows = 10) {
  const frames: (() => void)[] = [];
  const store = new QueueStore({ schedule: (f) => frames.push(f), setTimer: () => {} });
  const selections: [QueueAction, number[]][] = [];
  let cleared = 0;
  const view = createQueueView(
    store,
    { onAction: () => {}, onSelection: (a, ids) => selections.push([a, ids]), onClearFinished: () => cleared++ },
    { viewportHeight: () => 36 * rows },
  );
  document.body.replaceChildren(view.element);
  const frame = () => frames.splice(0).forEach((f) => f());
  return { store, view, selections, frame, cleared: () => cleared };
}

const queued = (id: number, key = `d/f${id}.txt`): EngineEvent => ({ event: "queued", id, path: `/p/${key}`, bucket: "b", key, size: 10 });
const done = (id: number, key = `d/f${id}.txt`): EngineEvent => ({
  event: "completed",
  id,
  bucket: "b",
  key,
  size: 10,
  etag: null,
  checksum: null,
  verification: "crc32c",
  bytes_sent: 10,
  bytes_resent: 0,
});
const rows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="queue-row"]')];
const shownIds = () =>
  rows()
    .sort((a, b) => a.style.transform.localeCompare(b.style.transform, undefined, { numeric: true }))
    .map((r) => Number(r.dataset.id));
const q = <T extends HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const clickRow = (id: number, init: MouseEventInit = {}) =>
  q(`[data-testid="queue-row"][data-id="${id}"]`).dispatchEvent(new MouseEvent("click", { bubbles: true, ...init }));

describe("queue toolbar", () => {
  it("finished rows sink below active ones; the filter and the search narrow the list", () => {
    const { store, view, frame } = setup();
    store.apply(queued(1, "photos/cat.jpg"));
    store.apply(queued(2, "photos/dog.jpg"));
    store.apply(queued(3, "docs/report.pdf"));
    store.apply(done(1, "photos/cat.jpg"));
    store.apply({ event: "failed", id: 3, key: "docs/report.pdf", error: { code: "auth", message: "denied" } });
    frame();
    expect(view.visible().map((i) => i.id)).toEqual([2, 3, 1]);
    expect(shownIds()).toEqual([2, 3, 1]);

    const filter = q<HTMLSelectElement>('[data-testid="queue-filter"]');
    filter.value = "finished";
    filter.dispatchEvent(new Event("change"));
    expect(shownIds()).toEqual([1]);
    view.setFilter("failed");
    expect(shownIds()).toEqual([3]);
    view.setFilter("active");
    expect(shownIds()).toEqual([2]);
    view.setFilter("all");

    const search = q<HTMLInputElement>('[data-testid="queue-search"]');
    search.value = "PHOTOS/";
    search.dispatchEvent(new Event("input"));
    expect(shownIds()).toEqual([2, 1]);
    // Labels: every control of the toolbar has a name.
    for (const el of view.element.querySelectorAll<HTMLInputElement | HTMLSelectElement>(".queue-toolbar input, .queue-toolbar select")) {
      expect(document.querySelector(`label[for="${el.id}"]`), el.id).not.toBeNull();
    }
  });

  it("click, ctrl-click, shift-click and select all pick rows; actions get the ids in list order", () => {
    const { store, view, selections, frame } = setup();
    for (let i = 1; i <= 6; i++) store.apply(queued(i));
    frame();
    expect(q('[role="listbox"]').getAttribute("aria-multiselectable")).toBe("true");
    clickRow(2);
    clickRow(4, { ctrlKey: true });
    expect(view.selected()).toEqual([2, 4]);
    clickRow(6, { shiftKey: true });
    expect(view.selected()).toEqual([4, 5, 6]);
    expect(rows().filter((r) => r.getAttribute("aria-selected") === "true").length).toBe(3);
    expect(q('[data-testid="selection-count"]').textContent).toBe("3 selected");
    q<HTMLButtonElement>('[data-testid="sel-pause"]').click();
    q<HTMLButtonElement>('[data-testid="sel-move_to_top"]').click();
    expect(selections).toEqual([
      ["pause", [4, 5, 6]],
      ["move_to_top", [4, 5, 6]],
    ]);
    q<HTMLButtonElement>('[data-testid="select-all"]').click();
    expect(view.selected()).toEqual([1, 2, 3, 4, 5, 6]);
    q<HTMLButtonElement>('[data-testid="clear-selection"]').click();
    expect(view.selected()).toEqual([]);
    expect((q('[data-testid="sel-pause"]').parentElement as HTMLElement).hidden).toBe(true);
    // A removed row leaves the selection.
    clickRow(3);
    store.apply({ event: "removed", id: 3 });
    frame();
    expect(view.selected()).toEqual([]);
  });

  it("rows are focusable and arrow keys move the focus and the selection", () => {
    const { store, view, frame } = setup();
    for (let i = 1; i <= 4; i++) store.apply(queued(i));
    frame();
    clickRow(1);
    const first = q(`[data-testid="queue-row"][data-id="1"]`);
    expect(first.getAttribute("tabindex")).toBe("-1");
    expect(document.activeElement).toBe(first);
    first.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    expect(view.selected()).toEqual([2]);
    expect((document.activeElement as HTMLElement).dataset.id).toBe("2");
    (document.activeElement as HTMLElement).dispatchEvent(new KeyboardEvent("keydown", { key: "End", bubbles: true }));
    expect(view.selected()).toEqual([4]);
  });

  it("clear finished asks the app", () => {
    const { cleared } = setup();
    q<HTMLButtonElement>('[data-testid="clear-finished"]').click();
    expect(cleared()).toBe(1);
  });

  it("10,000 rows: the list renders only what is visible, and a change costs little", () => {
    const { store, view, frame } = setup(20);
    const t0 = performance.now();
    for (let i = 1; i <= 10_000; i++) store.apply(queued(i));
    frame();
    const addMs = performance.now() - t0;
    expect(view.list.renderedCount).toBeLessThan(60);
    const times: number[] = [];
    for (let n = 0; n < 30; n++) {
      const t = performance.now();
      store.apply({ event: "progress", id: 1 + n, bytes_done: 5, bytes_total: 10, rate_bps: 100, parts_in_flight: 1 });
      frame();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const median = times[15]!;
    console.log(`jsdom: 10,000 rows added in ${addMs.toFixed(1)} ms; one progress flush ${median.toFixed(2)} ms (median of 30)`);
    expect(median).toBeLessThan(16);
  });
});
