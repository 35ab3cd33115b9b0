// The queue: a virtualized list of upload rows.

import { formatBytes, formatDuration, formatPercent, formatRate } from "../lib/format";
import { button, h, icon, ICONS, setText } from "../lib/dom";
import type { QueueAction } from "../bindings/QueueAction";
import { FILTER_LABELS, visibleItems, type QueueFilter } from "../lib/queue-filter";
import { Selection } from "../lib/selection";
import { formatSpan, isImageKey } from "../lib/links";
import {
  actionsFor,
  displayState,
  itemEta,
  itemFraction,
  itemName,
  itemSpeed,
  itemTitle,
  isFinishing,
  stateLabel,
  type ItemAction,
  type QueueItem,
  type QueueStore,
  urlSource,
} from "../lib/queue";
import { VirtualList } from "./virtual-list";

/** Must match `.row { height }` in styles.css. */
export const ROW_HEIGHT = 36;

const ACTION_TITLES: Record<ItemAction, string> = {
  pause: "Pause",
  resume: "Resume",
  cancel: "Cancel",
  retry: "Retry",
  remove: "Remove from list",
  "copy-link": "Copy share link",
  "copy-when-done": "Copy link when done",
};

interface RowRefs {
  name: HTMLElement;
  /** The name's cell (thumbnail and name): its tooltip says where the item goes and comes from. */
  nameCell: HTMLElement;
  size: HTMLElement;
  fill: HTMLElement;
  bar: HTMLElement;
  pct: HTMLElement;
  speed: HTMLElement;
  eta: HTMLElement;
  status: HTMLElement;
  actions: HTMLElement;
  /** state whose buttons are in `actions` */
  actionsFor: string;
}

const refs = new WeakMap<HTMLElement, RowRefs>();

function createRow(): HTMLElement {
  const name = h("span", { class: "name-text" });
  const thumb = h("img", { class: "qthumb", attrs: { alt: "", "data-testid": "queue-thumb" } });
  thumb.hidden = true;
  const nameCell = h("div", { class: "cell name" }, thumb, name);
  const size = h("div", { class: "cell size num" });
  const fill = h("div", { class: "fill" });
  const bar = h("div", { class: "bar", attrs: { role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100" } }, fill);
  const pct = h("span", { class: "pct num" });
  const speed = h("div", { class: "cell speed num" });
  const eta = h("div", { class: "cell eta num" });
  const status = h("div", { class: "cell status" });
  const actions = h("div", { class: "cell actions" });
  const row = h(
    "div",
    { class: "row", attrs: { "data-testid": "queue-row", role: "option", tabindex: "-1", "aria-selected": "false" } },
    nameCell,
    size,
    h("div", { class: "cell progress" }, bar, pct),
    speed,
    eta,
    status,
    actions,
  );
  refs.set(row, { name, nameCell, size, fill, bar, pct, speed, eta, status, actions, actionsFor: "" });
  return row;
}

/** Fill a row element from an item. Exported for tests. */
export function updateRow(row: HTMLElement, it: Readonly<QueueItem>): void {
  const r = refs.get(row);
  if (!r) throw new Error("not a queue row");
  const ds = displayState(it);
  row.dataset.id = String(it.id);
  row.dataset.state = ds;
  row.dataset.key = it.key;

  setText(r.name, itemName(it));
  r.nameCell.title = itemTitle(it);
  const url = urlSource(it);
  if (url) row.dataset.source = "url";
  else delete row.dataset.source;
  // A URL's size is known once its body begins (and not at all when it sends none).
  setText(r.size, url && it.size === 0 ? "—" : formatBytes(it.size));

  const f = itemFraction(it);
  r.fill.style.transform = `scaleX(${f})`;
  r.bar.setAttribute("aria-valuenow", String(Math.round(f * 100)));
  setText(r.pct, formatPercent(f));

  setText(r.speed, formatRate(itemSpeed(it)));
  setText(r.eta, formatDuration(itemEta(it)));

  const label = stateLabel(it);
  const finishing = isFinishing(it);
  setText(r.status, label);
  r.status.title = finishing ? "All bytes sent: completing the upload and verifying it" : label;
  r.status.className = finishing ? `cell status s-${ds} s-finishing` : `cell status s-${ds}`;

  if (r.actionsFor !== it.state) {
    r.actionsFor = it.state;
    r.actions.replaceChildren(
      ...actionsFor(it.state).map((a) => {
        const b = h("button", {
          class: `icon-btn a-${a}`,
          title: ACTION_TITLES[a],
          attrs: { "data-action": a, "aria-label": ACTION_TITLES[a] },
        });
        b.type = "button";
        b.append(icon(...ICONS[a]));
        return b;
      }),
    );
  }
}

export interface QueueViewHandlers {
  onAction(action: ItemAction, id: number): void;
  /** A toolbar action on the selected rows (ids in the list's order). */
  onSelection?(action: QueueAction, ids: number[]): void;
  onClearFinished?(): void;
  /** Shown in the toolbar (the link expiry chooser). */
  tools?: HTMLElement;
  /** A small thumbnail of an item's local image as a data: URL (made by Rust). */
  thumbnail?(id: number): Promise<string>;
}

/** Thumbnails asked for once per item; a failure means "no thumbnail", quietly. */
export class ThumbnailCache {
  private readonly urls = new Map<number, Promise<string | null>>();
  constructor(private readonly load: (id: number) => Promise<string>) {}

  get(id: number): Promise<string | null> {
    let p = this.urls.get(id);
    if (!p) {
      p = this.load(id).then(
        (url) => (url.startsWith("data:image/") ? url : null),
        () => null,
      );
      this.urls.set(id, p);
    }
    return p;
  }
}

/** Shows the item's thumbnail in the row's name cell when it is a local image. */
export function showThumbnail(row: HTMLElement, it: Readonly<QueueItem>, cache: ThumbnailCache): void {
  const img = row.querySelector<HTMLImageElement>("img.qthumb");
  if (!img || img.dataset.for === String(it.id)) return;
  img.dataset.for = String(it.id);
  img.hidden = true;
  img.removeAttribute("src");
  if (!it.path || !isImageKey(it.path)) return;
  void cache.get(it.id).then((url) => {
    // The row may show another item by now (the list reuses rows).
    if (url && img.dataset.for === String(it.id)) {
      img.src = url;
      img.hidden = false;
    }
  });
}

export interface QueueView {
  element: HTMLElement;
  list: VirtualList<Readonly<QueueItem>>;
  selection: Selection;
  search: HTMLInputElement;
  /** Call after the view becomes visible (it cannot measure itself while hidden). */
  shown(): void;
  /** The rows shown now (after filter and search), top to bottom. */
  visible(): readonly Readonly<QueueItem>[];
  setFilter(filter: QueueFilter): void;
  /** Selected ids, in the list's order. */
  selected(): number[];
  selectAll(): void;
  /** Uploads marked "copy link when done", with the link's lifetime in seconds. */
  setCopyMarks(marks: ReadonlyMap<number, number>): void;
}

const SELECTION_ACTIONS: readonly [QueueAction, string][] = [
  ["pause", "Pause"],
  ["resume", "Resume"],
  ["cancel", "Cancel"],
  ["retry", "Retry"],
  ["remove", "Remove"],
  ["move_to_top", "Move to top"],
];

export function createQueueView(
  store: QueueStore,
  handlers: QueueViewHandlers,
  opts: { viewportHeight?: () => number } = {},
): QueueView {
  const selection = new Selection();
  /** Bumped when the selection changes, so rows re-render their selected state. */
  let selEpoch = 0;
  let copyMarks: ReadonlyMap<number, number> = new Map();
  let filter: QueueFilter = "all";
  let shown: Readonly<QueueItem>[] = [];
  const thumbs = handlers.thumbnail ? new ThumbnailCache(handlers.thumbnail) : null;
  const list = new VirtualList<Readonly<QueueItem>>({
    rowHeight: ROW_HEIGHT,
    overscan: 10,
    createRow,
    updateRow: (row, it) => {
      updateRow(row, it);
      if (thumbs) showThumbnail(row, it, thumbs);
      const on = selection.has(it.id);
      row.setAttribute("aria-selected", String(on));
      row.classList.toggle("selected", on);
      // "Copy link when done" is visible on the row once set (and after a restart).
      const mark = copyMarks.get(it.id);
      const when = row.querySelector<HTMLElement>('button[data-action="copy-when-done"]');
      row.dataset.copyWhenDone = mark === undefined ? "" : String(mark);
      if (when) {
        when.setAttribute("aria-pressed", String(mark !== undefined));
        when.classList.toggle("on", mark !== undefined);
        const label = mark === undefined ? "Copy link when done" : `The link (valid ${formatSpan(mark * 1000)}) is copied when this upload is verified`;
        when.title = label;
        when.setAttribute("aria-label", label);
      }
    },
    key: (it) => it.id,
    version: (it) => it.version + selEpoch * 2 ** 32,
    ...(opts.viewportHeight ? { viewportHeight: opts.viewportHeight } : {}),
  });

  const empty = h(
    "div",
    { class: "empty" },
    h("div", { class: "empty-title", text: "Drop files or folders here, or use Add files" }),
    h("div", { class: "empty-sub", text: "Uploads are verified end to end and resume after a restart." }),
  );

  const head = h(
    "div",
    { class: "row head", attrs: { "aria-hidden": "true" } },
    h("div", { class: "cell name", text: "Name" }),
    h("div", { class: "cell size num", text: "Size" }),
    h("div", { class: "cell progress", text: "Progress" }),
    h("div", { class: "cell speed num", text: "Speed" }),
    h("div", { class: "cell eta num", text: "ETA" }),
    h("div", { class: "cell status", text: "Status" }),
    h("div", { class: "cell actions" }),
  );

  const spacer = list.element.firstElementChild as HTMLElement;
  spacer.setAttribute("role", "listbox");
  spacer.setAttribute("aria-multiselectable", "true");
  spacer.setAttribute("aria-label", "Uploads");

  // ---- toolbar: filter, search, clear finished, the selection's actions ----------
  const filterSel = h("select", { attrs: { id: "queue-filter", "data-testid": "queue-filter" } });
  for (const f of ["all", "active", "finished", "failed"] as const) {
    const o = h("option", { text: FILTER_LABELS[f] });
    o.value = f;
    filterSel.append(o);
  }
  const search = h("input", {
    attrs: { type: "search", id: "queue-search", placeholder: "Search by name", "data-testid": "queue-search", autocomplete: "off" },
  });
  const clearFinished = button("Clear finished", { class: "btn", attrs: { "data-testid": "clear-finished" } });
  const selectAllBtn = button("Select all", { class: "btn", attrs: { "data-testid": "select-all" } });
  const count = h("span", { class: "sel-count", attrs: { "data-testid": "selection-count", "aria-live": "polite" } });
  const selButtons = SELECTION_ACTIONS.map(([action, label]) =>
    button(label, { class: action === "cancel" ? "btn danger" : "btn", attrs: { "data-testid": `sel-${action}`, "data-sel": action } }),
  );
  const clearSel = button("Clear selection", { class: "btn", attrs: { "data-testid": "clear-selection" } });
  const selBar = h("div", { class: "sel-actions", attrs: { role: "group", "aria-label": "Selected uploads" } }, count, ...selButtons, clearSel);
  const toolbar = h(
    "div",
    { class: "toolbar queue-toolbar" },
    h("label", { text: "Show", attrs: { for: "queue-filter" } }),
    filterSel,
    h("label", { class: "sr-only", text: "Search uploads by name", attrs: { for: "queue-search" } }),
    search,
    clearFinished,
    selectAllBtn,
    ...(handlers.tools ? [handlers.tools] : []),
    selBar,
  );

  const element = h("section", { class: "view queue-view", attrs: { "aria-label": "Upload queue" } }, toolbar, head, list.element, empty);

  const order = () => shown.map((it) => it.id);
  const selectionChanged = () => {
    selEpoch++;
    const n = selection.size;
    setText(count, n ? `${n} selected` : "");
    selBar.hidden = n === 0;
    list.refresh();
  };

  const rowOf = (t: EventTarget | null) => (t as Element | null)?.closest?.<HTMLElement>('[data-testid="queue-row"]') ?? null;

  list.element.addEventListener("click", (ev) => {
    const row = rowOf(ev.target);
    const id = Number(row?.dataset.id);
    if (!row || !Number.isFinite(id)) return;
    const btn = (ev.target as Element).closest?.("button[data-action]");
    if (btn) {
      handlers.onAction(btn.getAttribute("data-action") as ItemAction, id);
      return;
    }
    selection.click(id, { ctrl: ev.ctrlKey || ev.metaKey, shift: ev.shiftKey }, order());
    selectionChanged();
    row.focus();
  });

  // Arrow keys move between rows (the list scrolls to keep the row in view); Space
  // on a focused row is left to the app's shortcut (pause/resume the selection).
  list.element.addEventListener("keydown", (ev) => {
    const row = rowOf(ev.target);
    if (!row || (ev.key !== "ArrowDown" && ev.key !== "ArrowUp" && ev.key !== "Home" && ev.key !== "End")) return;
    ev.preventDefault();
    const ids = order();
    const at = ids.indexOf(Number(row.dataset.id));
    const next = ev.key === "Home" ? 0 : ev.key === "End" ? ids.length - 1 : at + (ev.key === "ArrowDown" ? 1 : -1);
    if (next < 0 || next >= ids.length) return;
    const id = ids[next]!;
    selection.click(id, { ctrl: false, shift: ev.shiftKey }, ids);
    const r = list.currentRange();
    if (next < r.start + 10 || next >= r.end - 10) list.scrollToIndex(Math.max(0, next - 3));
    selectionChanged();
    list.element.querySelector<HTMLElement>(`[data-testid="queue-row"][data-id="${id}"]`)?.focus();
  });

  for (const b of selButtons) {
    b.addEventListener("click", () => {
      const ids = selection.list(order());
      if (ids.length) handlers.onSelection?.(b.dataset.sel as QueueAction, ids);
    });
  }
  clearSel.addEventListener("click", () => {
    selection.clear();
    selectionChanged();
  });
  const selectAll = () => {
    selection.selectAll(order());
    selectionChanged();
  };
  selectAllBtn.addEventListener("click", selectAll);
  clearFinished.addEventListener("click", () => handlers.onClearFinished?.());

  const sync = () => {
    shown = visibleItems(store.items, filter, search.value);
    list.setItems(shown);
    const none = store.size === 0;
    empty.hidden = !none;
    element.classList.toggle("is-empty", none);
  };
  const setFilter = (f: QueueFilter) => {
    filter = f;
    filterSel.value = f;
    sync();
  };
  filterSel.addEventListener("change", () => setFilter(filterSel.value as QueueFilter));
  search.addEventListener("input", () => sync());
  // States move rows between groups (active above finished): the order is redone
  // (one pass over the items) when rows came or went or any state count changed;
  // progress alone only repaints the visible rows.
  let lastCounts = "";
  store.subscribe((change) => {
    if (change.structural && selection.retain((id) => store.get(id) !== undefined)) selectionChanged();
    const counts = JSON.stringify(store.byState());
    if (change.structural || counts !== lastCounts) {
      lastCounts = counts;
      sync();
    } else {
      list.refresh();
    }
  });
  sync();
  selectionChanged();

  return {
    element,
    list,
    selection,
    search,
    shown: () => list.refresh(),
    visible: () => shown,
    setFilter,
    selected: () => selection.list(order()),
    selectAll,
    setCopyMarks(marks) {
      copyMarks = marks;
      selEpoch++;
      list.refresh();
    },
  };
}
