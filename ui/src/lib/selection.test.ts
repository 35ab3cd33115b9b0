import { describe, expect, it } from "vitest";

import { Selection } from "./selection";
import { visibleItems } from "./queue-filter";
import type { QueueItem } from "./queue";

const none = { ctrl: false, shift: false };
const ctrl = { ctrl: true, shift: false };
const shift = { ctrl: false, shift: true };

describe("selection", () => {
  const order = [1, 2, 3, 4, 5, 6];
  it("click selects one, ctrl-click toggles, shift-click selects a range", () => {
    const s = new Selection();
    s.click(2, none, order);
    expect(s.list(order)).toEqual([2]);
    s.click(4, ctrl, order);
    expect(s.list(order)).toEqual([2, 4]);
    s.click(2, ctrl, order);
    expect(s.list(order)).toEqual([4]);
    // The range runs from the last clicked row (2) to this one.
    s.click(6, shift, order);
    expect(s.list(order)).toEqual([2, 3, 4, 5, 6]);
    s.click(1, { ctrl: true, shift: true }, order);
    expect(s.list(order)).toEqual([1, 2, 3, 4, 5, 6]);
    s.click(3, none, order);
    expect(s.list(order)).toEqual([3]);
  });

  it("select all takes the visible rows; removed rows leave the selection", () => {
    const s = new Selection();
    s.selectAll([5, 3, 9]);
    expect(s.size).toBe(3);
    expect(s.retain((id) => id !== 9)).toBe(true);
    expect(s.list([3, 5])).toEqual([3, 5]);
    s.clear();
    expect(s.size).toBe(0);
  });
});

const item = (id: number, state: QueueItem["state"], key = `f${id}.txt`): QueueItem => ({
  id,
  path: `/home/me/${key}`,
  bucket: "b",
  key,
  size: 1,
  bytesDone: 0,
  state,
  priority: 0,
  error: null,
  errorCode: null,
  skipReason: null,
  rate: 0,
  retry: null,
  notice: null,
  step: null,
  resumed: false,
  partsTotal: 0,
  verification: null,
  bytesResent: 0,
  version: 0,
});

describe("queue filter and search", () => {
  const items = [
    item(1, "verified", "photos/cat.jpg"),
    item(2, "running", "photos/dog.jpg"),
    item(3, "failed", "docs/report.pdf"),
    item(4, "queued", "docs/notes.txt"),
    item(5, "cancelled", "docs/old.txt"),
    item(6, "paused", "video/Trip.MOV"),
  ];
  const ids = (f: Parameters<typeof visibleItems>[1], q = "") => visibleItems(items, f, q).map((i) => i.id);

  it("keeps active rows above failed and finished ones", () => {
    expect(ids("all")).toEqual([2, 4, 6, 3, 1, 5]);
  });

  it("filters by state", () => {
    expect(ids("active")).toEqual([2, 4, 6]);
    expect(ids("finished")).toEqual([1, 5]);
    expect(ids("failed")).toEqual([3]);
  });

  it("searches names case-insensitively, with the filter", () => {
    expect(ids("all", "trip")).toEqual([6]);
    expect(ids("all", " DOCS/ ")).toEqual([4, 3, 5]);
    expect(ids("finished", "docs")).toEqual([5]);
    expect(ids("all", "nothing-like-this")).toEqual([]);
  });
});
