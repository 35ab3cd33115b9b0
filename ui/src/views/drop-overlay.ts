// Full-window overlay shown while files are dragged over the window.

import { h } from "../lib/dom";

export interface DropOverlay {
  element: HTMLElement;
  setVisible(visible: boolean): void;
  /** Where a drop goes ("profile · bucket · folder"). */
  setDestination(label: string): void;
}

export function createDropOverlay(): DropOverlay {
  const sub = h("div", { class: "drop-sub", text: "Files and folders are added to the queue", attrs: { "data-testid": "drop-destination" } });
  const element = h(
    "div",
    { class: "drop-overlay", attrs: { "data-testid": "drop-overlay", "aria-hidden": "true" } },
    h("div", { class: "drop-box" }, h("div", { class: "drop-title", text: "Drop to upload" }), sub),
  );
  element.hidden = true;
  return {
    element,
    setVisible(visible) {
      element.hidden = !visible;
    },
    setDestination(label) {
      sub.textContent = `Files and folders go to ${label}`;
    },
  };
}
