// Header: tabs, the global buttons, and the overall progress.

import { button, h, icon, ICONS, setText } from "../lib/dom";
import { formatBytes, formatDuration, formatRate } from "../lib/format";
import type { QueueStore, QueueTotals } from "../lib/queue";

export type Tab = "queue" | "watches" | "history" | "browser" | "links" | "settings" | "diagnostics";
export type GlobalAction = "add-files" | "add-folder" | "pause-all" | "resume-all" | "retry-failed" | "choose-destination";

export const TABS: readonly Tab[] = ["queue", "watches", "history", "browser", "links", "settings", "diagnostics"];

/** "3 of 10 · 2 uploading · 12.5 MiB/s · 1m 05s left" (+ paused/failed counts when any). */
export function summarize(t: QueueTotals): string {
  if (t.items === 0) return "No uploads";
  const parts = [`${t.finished} of ${t.counted}`, `${t.uploading} uploading`];
  const speed = formatRate(t.speed);
  if (speed) parts.push(speed);
  const eta = formatDuration(t.eta);
  if (eta) parts.push(`${eta} left`);
  if (t.byState.paused) parts.push(`${t.byState.paused} paused`);
  if (t.byState.failed) parts.push(`${t.byState.failed} failed`);
  return parts.join(" · ");
}

export interface HeaderHandlers {
  onAction(action: GlobalAction): void;
  onTab(tab: Tab): void;
}

export interface Header {
  element: HTMLElement;
  setTab(tab: Tab): void;
  /** "profile · bucket · folder": where adds go now. */
  setDestination(label: string): void;
  /** Re-read the store's totals (called once per coalesced change). */
  update(): void;
}

export function createHeader(store: QueueStore, handlers: HeaderHandlers): Header {
  const tabs = new Map<Tab, HTMLButtonElement>();
  const tabBar = h("nav", { class: "tabs", attrs: { role: "tablist" } });
  for (const [tab, label] of [
    ["queue", "Queue"],
    ["watches", "Watches"],
    ["history", "History"],
    ["browser", "Browser"],
    ["links", "Links"],
    ["settings", "Settings"],
    ["diagnostics", "Diagnostics"],
  ] as const) {
    const b = button(label, {
      class: "tab",
      attrs: { "data-testid": `tab-${tab}`, role: "tab", "aria-selected": "false", "aria-controls": `view-${tab}`, id: `tab-${tab}`, tabindex: "-1" },
      on: { click: () => handlers.onTab(tab) },
    });
    tabs.set(tab, b);
    tabBar.append(b);
  }
  // Arrow keys move between tabs (and select them), as the ARIA tabs pattern says.
  tabBar.addEventListener("keydown", (ev) => {
    const i = TABS.findIndex((t) => tabs.get(t) === ev.target);
    if (i < 0) return;
    const next =
      ev.key === "ArrowRight" ? (i + 1) % TABS.length
      : ev.key === "ArrowLeft" ? (i + TABS.length - 1) % TABS.length
      : ev.key === "Home" ? 0
      : ev.key === "End" ? TABS.length - 1
      : -1;
    if (next < 0) return;
    ev.preventDefault();
    const t = TABS[next]!;
    handlers.onTab(t);
    tabs.get(t)?.focus();
  });

  const act = (action: GlobalAction, label: string, cls: string, ico?: readonly string[]) => {
    const b = button("", { class: `btn ${cls}`, attrs: { "data-testid": action }, on: { click: () => handlers.onAction(action) } });
    if (ico) b.append(icon(...ico));
    b.append(h("span", { text: label }));
    return b;
  };

  const actions = h(
    "div",
    { class: "actions" },
    act("add-files", "Add files", "primary", ICONS.addFile),
    act("add-folder", "Add folder", "", ICONS.addFolder),
    h("span", { class: "sep", attrs: { "aria-hidden": "true" } }),
    act("pause-all", "Pause all", "", ICONS.pause),
    act("resume-all", "Resume all", "", ICONS.resume),
    act("retry-failed", "Retry failed", "", ICONS.retry),
  );

  const destText = h("span", { class: "dest-label", attrs: { "data-testid": "destination-label" } });
  const dest = button("", {
    class: "dest-btn",
    title: "Where added files go: click to choose",
    attrs: { "data-testid": "destination", "aria-label": "Destination for added files" },
    on: { click: () => handlers.onAction("choose-destination") },
  });
  dest.append(h("span", { class: "dest-to", text: "To" }), destText);

  const fill = h("div", { class: "fill" });
  const bar = h("div", { class: "bar big", attrs: { role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": "Overall progress" } }, fill);
  const summary = h("div", { class: "summary", attrs: { "data-testid": "overall", "aria-live": "polite" } });
  const bytes = h("div", { class: "bytes num" });

  const element = h(
    "header",
    { class: "app-header" },
    h("div", { class: "topbar" }, h("div", { class: "brand", text: "Hoist" }), tabBar, h("div", { class: "grow" }), actions),
    h("div", { class: "overall" }, bar, h("div", { class: "overall-text" }, dest, summary, bytes)),
  );

  const update = () => {
    const t = store.totals();
    fill.style.transform = `scaleX(${t.fraction})`;
    bar.setAttribute("aria-valuenow", String(Math.round(t.fraction * 100)));
    setText(summary, summarize(t));
    setText(bytes, t.bytesTotal > 0 ? `${formatBytes(t.bytesDone)} of ${formatBytes(t.bytesTotal)}` : "");
    element.classList.toggle("is-active", t.uploading > 0);
  };
  store.subscribe(update);
  update();

  return {
    element,
    update,
    setTab(tab) {
      for (const [t, b] of tabs) {
        b.setAttribute("aria-selected", String(t === tab));
        b.tabIndex = t === tab ? 0 : -1;
        b.classList.toggle("active", t === tab);
      }
    },
    setDestination(label) {
      setText(destText, label);
      dest.title = `Added files go to ${label}: click to choose`;
    },
  };
}
