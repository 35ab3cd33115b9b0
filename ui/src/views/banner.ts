// Dismissible error banners for failed commands. The newest few stay visible.

import { button, h } from "../lib/dom";

const MAX = 3;
const NOTICE_MS = 6000;

export interface Banner {
  element: HTMLElement;
  show(message: string): void;
  /** A short-lived confirmation (a toast), e.g. "Link copied". */
  notice(message: string): void;
  clear(): void;
}

export function createBanner(): Banner {
  const element = h("div", { class: "banners", attrs: { "aria-live": "assertive" } });

  const show = (message: string) => {
    // Same message again: bump a counter instead of stacking duplicates.
    for (const el of element.children) {
      const b = el as HTMLElement;
      if (b.dataset.message === message) {
        const n = Number(b.dataset.count ?? "1") + 1;
        b.dataset.count = String(n);
        const badge = b.querySelector(".count");
        if (badge) badge.textContent = `×${n}`;
        element.append(b); // newest last
        return;
      }
    }
    const close = button("×", { class: "close", title: "Dismiss", attrs: { "aria-label": "Dismiss" } });
    const b = h(
      "div",
      { class: "banner", attrs: { role: "alert", "data-testid": "error-banner" } },
      h("span", { class: "text", text: message }),
      h("span", { class: "count" }),
      close,
    );
    b.dataset.message = message;
    close.addEventListener("click", () => b.remove());
    element.append(b);
    while (element.children.length > MAX) element.firstElementChild?.remove();
  };

  const notice = (message: string) => {
    const n = h("div", { class: "banner notice", attrs: { role: "status", "data-testid": "notice" } }, h("span", { class: "text", text: message }));
    element.append(n);
    while (element.children.length > MAX) element.firstElementChild?.remove();
    setTimeout(() => n.remove(), NOTICE_MS);
  };

  return { element, show, notice, clear: () => element.replaceChildren() };
}
