// The queue: a virtualized list of upload rows.

import { baseName, formatBytes, formatDuration, formatPercent, formatRate } from "../lib/format";
import { h, icon, ICONS, setText } from "../lib/dom";
import {
  actionsFor,
  displayState,
  itemEta,
  itemFraction,
  itemSpeed,
  isFinishing,
  stateLabel,
  type ItemAction,
  type QueueItem,
  type QueueStore,
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
  const name = h("div", { class: "cell name" });
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
    { class: "row", attrs: { "data-testid": "queue-row", role: "listitem" } },
    name,
    size,
    h("div", { class: "cell progress" }, bar, pct),
    speed,
    eta,
    status,
    actions,
  );
  refs.set(row, { name, size, fill, bar, pct, speed, eta, status, actions, actionsFor: "" });
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

  setText(r.name, baseName(it.key || it.path));
  r.name.title = it.path && it.path !== it.key ? `${it.bucket}/${it.key}\n${it.path}` : `${it.bucket}/${it.key}`;
  setText(r.size, formatBytes(it.size));

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
}

export interface QueueView {
  element: HTMLElement;
  list: VirtualList<Readonly<QueueItem>>;
  /** Call after the view becomes visible (it cannot measure itself while hidden). */
  shown(): void;
}

export function createQueueView(
  store: QueueStore,
  handlers: QueueViewHandlers,
  opts: { viewportHeight?: () => number } = {},
): QueueView {
  const list = new VirtualList<Readonly<QueueItem>>({
    rowHeight: ROW_HEIGHT,
    overscan: 10,
    createRow,
    updateRow,
    key: (it) => it.id,
    version: (it) => it.version,
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

  const element = h("section", { class: "view queue-view", attrs: { "aria-label": "Upload queue" } }, head, list.element, empty);

  list.element.addEventListener("click", (ev) => {
    const btn = (ev.target as Element | null)?.closest?.("button[data-action]");
    if (!btn) return;
    const row = btn.closest<HTMLElement>('[data-testid="queue-row"]');
    const id = Number(row?.dataset.id);
    if (!Number.isFinite(id)) return;
    handlers.onAction(btn.getAttribute("data-action") as ItemAction, id);
  });

  const sync = (structural: boolean) => {
    if (structural) {
      list.setItems(store.items);
      const none = store.size === 0;
      empty.hidden = !none;
      element.classList.toggle("is-empty", none);
    } else {
      list.refresh();
    }
  };
  store.subscribe((change) => sync(change.structural));
  sync(true);

  return { element, list, shown: () => list.refresh() };
}
