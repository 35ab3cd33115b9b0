// The queue's selection: click selects one, Ctrl/Cmd-click toggles, Shift-click selects
// the range from the last clicked row, "select all" takes every visible row. Pure.

export interface ClickMods {
  ctrl: boolean;
  shift: boolean;
}

export class Selection {
  private readonly ids = new Set<number>();
  private anchor: number | null = null;

  get size(): number {
    return this.ids.size;
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** Selected ids in the order of `order` (the visible rows), then any others. */
  list(order?: readonly number[]): number[] {
    if (!order) return [...this.ids];
    const inOrder = order.filter((id) => this.ids.has(id));
    const seen = new Set(inOrder);
    return inOrder.concat([...this.ids].filter((id) => !seen.has(id)));
  }

  /** A row was clicked; `order` is the visible rows' ids. */
  click(id: number, mods: ClickMods, order: readonly number[]): void {
    if (mods.shift && this.anchor !== null) {
      const a = order.indexOf(this.anchor);
      const b = order.indexOf(id);
      if (a >= 0 && b >= 0) {
        if (!mods.ctrl) this.ids.clear();
        const [from, to] = a < b ? [a, b] : [b, a];
        for (let i = from; i <= to; i++) this.ids.add(order[i]!);
        return;
      }
    }
    if (mods.ctrl) {
      if (this.ids.has(id)) this.ids.delete(id);
      else this.ids.add(id);
    } else {
      this.ids.clear();
      this.ids.add(id);
    }
    this.anchor = id;
  }

  selectAll(order: readonly number[]): void {
    for (const id of order) this.ids.add(id);
  }

  clear(): void {
    this.ids.clear();
    this.anchor = null;
  }

  /** Drops ids that are no longer in the queue. Returns whether anything changed. */
  retain(exists: (id: number) => boolean): boolean {
    let changed = false;
    for (const id of this.ids) {
      if (!exists(id)) {
        this.ids.delete(id);
        changed = true;
      }
    }
    if (this.anchor !== null && !exists(this.anchor)) this.anchor = null;
    return changed;
  }
}
