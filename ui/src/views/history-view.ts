// History: the journal's finished uploads, newest first.

import type { HistoryEntry } from "../bindings/HistoryEntry";
import { button, h } from "../lib/dom";
import { formatBytes, formatFullTime, formatTimestamp } from "../lib/format";

export const HISTORY_LIMIT = 500;
/** While open, refresh at most this often when items keep finishing. */
const MIN_REFRESH_MS = 1000;

export interface HistoryView {
  element: HTMLElement;
  /** The tab became visible: load now. */
  shown(): void;
  hidden(): void;
  /** Something finished in the queue: refresh if visible (throttled). */
  itemsFinished(): void;
}

export interface HistorySource {
  load(limit: number): Promise<HistoryEntry[]>;
  onError(err: unknown): void;
  /** "Copy link" on verified entries. */
  copyLink?(e: HistoryEntry): void;
  /** Shown in the toolbar (the link expiry chooser). */
  tools?: HTMLElement;
}

function entryRow(e: HistoryEntry, copyLink?: (e: HistoryEntry) => void): HTMLTableRowElement {
  const details = [
    `path: ${e.path}`,
    e.endpoint ? `endpoint: ${e.endpoint}` : "",
    e.etag ? `etag: ${e.etag}` : "",
    e.checksum ? `checksum: ${e.checksum}` : "",
    `sent: ${formatBytes(e.bytes_sent)}${e.bytes_resent ? ` (${formatBytes(e.bytes_resent)} resent)` : ""}`,
    `started: ${formatTimestamp(e.started_at)}`,
  ]
    .filter(Boolean)
    .join("\n");
  return h(
    "tr",
    { attrs: { "data-testid": "history-row", "data-key": e.key, "data-result": e.result } },
    h("td", { class: "key", text: e.key, title: details }),
    h("td", { text: e.bucket, title: e.bucket }),
    h("td", { class: "num", text: formatBytes(e.size) }),
    h("td", {}, h("span", { class: `pill r-${e.result}`, text: e.result })),
    h("td", { class: "num time", text: formatTimestamp(e.finished_at), title: formatFullTime(e.finished_at) }),
    h("td", { class: "msg", text: e.message ?? "", title: e.message ?? "" }),
    h(
      "td",
      { class: "action" },
      copyLink && e.result === "verified"
        ? button("Copy link", {
            class: "btn",
            title: `Copy a share link to ${e.key}`,
            attrs: { "data-testid": "history-copy-link" },
            on: { click: () => copyLink(e) },
          })
        : null,
    ),
  );
}

export function createHistoryView(src: HistorySource): HistoryView {
  const tbody = h("tbody");
  const status = h("span", { class: "muted" });
  const table = h(
    "table",
    { class: "history history-table", attrs: { "data-testid": "history-table" } },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { class: "c-key", text: "Key" }),
        h("th", { class: "c-bucket", text: "Bucket" }),
        h("th", { class: "c-size num", text: "Size" }),
        h("th", { class: "c-result", text: "Result" }),
        h("th", { class: "c-time num", text: "Finished" }),
        h("th", { class: "c-msg", text: "Message" }),
        h("th", { class: "c-action", text: "", attrs: { "aria-label": "Actions" } }),
      ),
    ),
    tbody,
  );
  const empty = h("div", { class: "empty", text: "No finished uploads yet." });
  empty.hidden = true;

  let visible = false;
  let loading = false;
  let again = false;
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const refresh = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    last = Date.now();
    if (!tbody.firstChild) status.textContent = "Loading…";
    try {
      const entries = await src.load(HISTORY_LIMIT);
      tbody.replaceChildren(...entries.map((e) => entryRow(e, src.copyLink)));
      empty.hidden = entries.length > 0;
      table.hidden = entries.length === 0;
      status.textContent = entries.length >= HISTORY_LIMIT ? `latest ${HISTORY_LIMIT}` : `${entries.length} uploads`;
    } catch (e) {
      status.textContent = "";
      src.onError(e);
    } finally {
      loading = false;
      if (again && visible) {
        again = false;
        schedule();
      }
    }
  };

  const schedule = () => {
    if (timer !== null) return;
    const wait = Math.max(0, last + MIN_REFRESH_MS - Date.now());
    timer = setTimeout(() => {
      timer = null;
      if (visible) void refresh();
    }, wait);
  };

  const element = h(
    "section",
    { class: "view history-view", attrs: { "aria-label": "History" } },
    h("div", { class: "toolbar" }, h("h2", { text: "History" }), status, h("div", { class: "grow" }), src.tools, button("Refresh", { class: "btn", on: { click: () => void refresh() } })),
    h("div", { class: "scroll", attrs: { "data-testid": "history-scroll" } }, table, empty),
  );

  return {
    element,
    shown() {
      visible = true;
      void refresh();
    },
    hidden() {
      visible = false;
    },
    itemsFinished() {
      if (visible) schedule();
    },
  };
}
