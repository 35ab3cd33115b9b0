// A fixed-row-height virtualized list: a scroll viewport holding one spacer as
// tall as all rows, with only the visible rows (plus overscan) absolutely
// positioned inside it. Row elements are keyed by item and recycled.

export interface Range {
  /** first index rendered */
  start: number;
  /** one past the last index rendered */
  end: number;
}

/** Which rows to render for a scroll position. Pure; clamps everything to [0, count]. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  count: number,
  overscan: number,
): Range {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.min(count, Math.floor(top / rowHeight));
  const last = Math.min(count, Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight));
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, Math.max(last, first + 1) + overscan);
  return { start: Math.min(start, end), end };
}

export interface VirtualListOptions<T> {
  rowHeight: number;
  /** Extra rows rendered above and below the viewport. */
  overscan?: number;
  createRow(): HTMLElement;
  /** Fill a row for an item; called only when the item's version or row changed. */
  updateRow(el: HTMLElement, item: T): void;
  key(item: T): number;
  version(item: T): number;
  /** Overrides the viewport height (tests; jsdom has no layout). */
  viewportHeight?: () => number;
}

interface Mounted<T> {
  el: HTMLElement;
  item: T | null;
  index: number;
  version: number;
}

export class VirtualList<T> {
  /** The scroll viewport; give it a height with CSS. */
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private items: readonly T[] = [];
  private readonly mounted = new Map<number, Mounted<T>>();
  private readonly pool: HTMLElement[] = [];
  private readonly overscan: number;
  private frame = false;

  constructor(private readonly opts: VirtualListOptions<T>) {
    this.overscan = opts.overscan ?? 8;
    this.element = document.createElement("div");
    this.element.className = "vlist";
    this.spacer = document.createElement("div");
    this.spacer.className = "vlist-spacer";
    this.spacer.setAttribute("role", "list");
    this.element.append(this.spacer);
    this.element.addEventListener("scroll", () => this.scheduleRender(), { passive: true });
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => this.scheduleRender()).observe(this.element);
    }
  }

  /** Replace the items (same array again is fine) and re-render. */
  setItems(items: readonly T[]): void {
    this.items = items;
    this.spacer.style.height = `${items.length * this.opts.rowHeight}px`;
    this.render();
  }

  /** Re-render visible rows whose item changed. */
  refresh(): void {
    this.render();
  }

  /** Rows currently in the DOM (for tests and diagnostics). */
  get renderedCount(): number {
    return this.mounted.size;
  }

  currentRange(): Range {
    const height = this.opts.viewportHeight ? this.opts.viewportHeight() : this.element.clientHeight;
    return visibleRange(this.element.scrollTop, height, this.opts.rowHeight, this.items.length, this.overscan);
  }

  scrollToIndex(index: number): void {
    this.element.scrollTop = index * this.opts.rowHeight;
    this.render();
  }

  private scheduleRender(): void {
    if (this.frame) return;
    this.frame = true;
    const run = () => {
      this.frame = false;
      this.render();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(run);
    else setTimeout(run, 16);
  }

  private render(): void {
    const { start, end } = this.currentRange();
    const { rowHeight, key, version, updateRow, createRow } = this.opts;
    const seen = new Set<number>();
    for (let i = start; i < end; i++) {
      const item = this.items[i]!;
      const k = key(item);
      seen.add(k);
      let m = this.mounted.get(k);
      if (!m) {
        const el = this.pool.pop() ?? createRow();
        m = { el, item: null, index: -1, version: -1 };
        this.mounted.set(k, m);
        this.spacer.append(el);
      }
      if (m.index !== i) {
        m.index = i;
        m.el.style.transform = `translateY(${i * rowHeight}px)`;
      }
      const v = version(item);
      if (m.version !== v || m.item !== item) {
        m.version = v;
        m.item = item;
        updateRow(m.el, item);
      }
    }
    for (const [k, m] of this.mounted) {
      if (seen.has(k)) continue;
      this.mounted.delete(k);
      m.item = null;
      m.el.remove();
      if (this.pool.length < 64) this.pool.push(m.el);
    }
  }
}
