// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { startApp } from "./app";

/** The accessible name's source of a form control, or null when it has none. */
function labelOf(el: HTMLElement): string | null {
  if (el.getAttribute("aria-label")) return "aria-label";
  if (el.getAttribute("aria-labelledby")) return "aria-labelledby";
  if (el.id && [...document.querySelectorAll("label")].some((l) => l.htmlFor === el.id)) return "label[for]";
  if (el.closest("label")) return "wrapping label";
  return null;
}

describe("the whole window", () => {
  it("has a label on every input, ARIA tabs with panels, and shortcuts that leave fields alone", () => {
    const root = document.createElement("div");
    document.body.replaceChildren(root);
    startApp(root);
    const unlabelled = [...document.querySelectorAll<HTMLElement>("input, select, textarea")]
      .filter((el) => (el as HTMLInputElement).type !== "hidden" && labelOf(el) === null)
      .map((el) => el.outerHTML.slice(0, 120));
    expect(unlabelled).toEqual([]);
    const tabs = [...document.querySelectorAll<HTMLElement>('[role="tab"]')];
    expect(tabs.length).toBe(7);
    for (const t of tabs) {
      const panel = document.getElementById(t.getAttribute("aria-controls")!);
      expect(panel?.getAttribute("role")).toBe("tabpanel");
      expect(panel?.getAttribute("aria-labelledby")).toBe(t.id);
    }
    expect(tabs.filter((t) => t.tabIndex === 0).map((t) => t.id)).toEqual(["tab-queue"]);

    // Ctrl+2 switches tabs, Ctrl+F searches, and typing in the search field stays there.
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "2", ctrlKey: true, bubbles: true }));
    expect(document.querySelector('[role="tab"][aria-selected="true"]')!.id).toBe("tab-watches");
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "f", ctrlKey: true, bubbles: true }));
    const search = document.querySelector<HTMLInputElement>('[data-testid="queue-search"]')!;
    expect(document.querySelector('[role="tab"][aria-selected="true"]')!.id).toBe("tab-queue");
    expect(document.activeElement).toBe(search);
    const space = new KeyboardEvent("keydown", { key: " ", bubbles: true, cancelable: true });
    search.dispatchEvent(space);
    expect(space.defaultPrevented).toBe(false);
  });
});
