// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { VirtualList, visibleRange } from "./virtual-list";

describe("visibleRange", () => {
  it("covers the viewport plus overscan", () => {
    // rows 36px, viewport 360px → 10 rows visible
    expect(visibleRange(0, 360, 36, 10_000, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(3600, 360, 36, 10_000, 5)).toEqual({ start: 95, end: 115 });
  });

  it("includes partially visible rows", () => {
    // scrolled half a row: rows 0..10 are (partly) visible
    expect(visibleRange(18, 360, 36, 10_000, 0)).toEqual({ start: 0, end: 11 });
  });

  it("clamps at both ends", () => {
    expect(visibleRange(-50, 360, 36, 10_000, 5)).toEqual({ start: 0, end: 15 });
    const last = visibleRange(36 * 9_990, 360, 36, 10_000, 5);
    expect(last).toEqual({ start: 9_985, end: 10_000 });
    // scrolled past the end (list just shrank): still a valid, non-empty range
    const past = visibleRange(36 * 20_000, 360, 36, 100, 5);
    expect(past.end).toBe(100);
    expect(past.start).toBeLessThan(past.end);
    expect(past.start).toBeGreaterThanOrEqual(0);
  });

  it("handles short and empty lists", () => {
    expect(visibleRange(0, 360, 36, 3, 5)).toEqual({ start: 0, end: 3 });
    expect(visibleRange(0, 360, 36, 0, 5)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(0, 0, 36, 50, 2)).toEqual({ start: 0, end: 3 });
  });
});

describe("VirtualList", () => {
  type Item = { id: number; v: number };
  const make = () => {
    let updates = 0;
    const list = new VirtualList<Item>({
      rowHeight: 20,
      overscan: 2,
      viewportHeight: () => 100,
      createRow: () => document.createElement("div"),
      updateRow: (el, it) => {
        updates++;
        el.textContent = `row ${it.id}`;
      },
      key: (it) => it.id,
      version: (it) => it.v,
    });
    document.body.append(list.element);
    return { list, updates: () => updates };
  };

  it("keeps only visible rows + overscan in the DOM for 10,000 items", () => {
    const { list } = make();
    const items = Array.from({ length: 10_000 }, (_, i) => ({ id: i + 1, v: 0 }));
    list.setItems(items);
    const spacer = list.element.firstElementChild as HTMLElement;
    expect(spacer.style.height).toBe("200000px");
    expect(spacer.children.length).toBe(7); // 5 visible + 2 overscan below
    expect(spacer.firstElementChild!.textContent).toBe("row 1");

    list.scrollToIndex(5_000);
    expect(spacer.children.length).toBe(9); // 2 above + 5 + 2 below
    const texts = [...spacer.children].map((c) => c.textContent).sort();
    expect(texts).toContain("row 5001");
    expect(texts).not.toContain("row 1");
    const row = [...spacer.children].find((c) => c.textContent === "row 5001") as HTMLElement;
    expect(row.style.transform).toBe("translateY(100000px)");
  });

  it("re-renders only rows whose version changed", () => {
    const { list, updates } = make();
    const items = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, v: 0 }));
    list.setItems(items);
    const before = updates();
    list.refresh();
    expect(updates()).toBe(before);
    items[1]!.v++;
    items[50]!.v++; // not visible
    list.refresh();
    expect(updates()).toBe(before + 1);
  });
});
