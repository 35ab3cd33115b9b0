// The Browser's selection: click selects one row, Ctrl/⌘-click toggles a row,
// Shift-click selects the range from the last clicked row; and the actions on it
// (rename, move to a folder, delete with one confirmation naming the count, copy
// links, new folder). The work is Rust's; this only asks and reports.

import type { BulkSummary } from "../bindings/BulkSummary";
import { button, h } from "../lib/dom";

export interface SelectionActions {
  remove(keys: string[]): Promise<BulkSummary>;
  move(keys: string[], dest: string): Promise<BulkSummary>;
  rename(from: string, to: string): Promise<BulkSummary>;
  newFolder(parent: string, name: string): Promise<string>;
  copyLinks(keys: string[]): Promise<number>;
}

/** Which rows are selected, in listing order. */
export class Selection {
  private order: string[] = [];
  private chosen = new Set<string>();
  private anchor: string | null = null;

  setOrder(keys: string[]): void {
    this.order = keys;
    for (const k of [...this.chosen]) if (!keys.includes(k)) this.chosen.delete(k);
  }

  click(key: string, mods: { shift?: boolean; toggle?: boolean } = {}): void {
    if (mods.shift && this.anchor !== null) {
      const a = this.order.indexOf(this.anchor);
      const b = this.order.indexOf(key);
      if (a >= 0 && b >= 0) {
        if (!mods.toggle) this.chosen.clear();
        for (const k of this.order.slice(Math.min(a, b), Math.max(a, b) + 1)) this.chosen.add(k);
        return;
      }
    }
    if (mods.toggle) {
      if (this.chosen.has(key)) this.chosen.delete(key);
      else this.chosen.add(key);
    } else {
      this.chosen = new Set([key]);
    }
    this.anchor = key;
  }

  has(key: string): boolean {
    return this.chosen.has(key);
  }

  keys(): string[] {
    return this.order.filter((k) => this.chosen.has(k));
  }

  clear(): void {
    this.chosen.clear();
    this.anchor = null;
  }
}

/** "3 done, 1 failed: a.txt (reason)" */
export function describeSummary(verb: string, s: BulkSummary): string {
  const failed = s.failed.length ? `, ${s.failed.length} failed: ${s.failed.slice(0, 3).map((f) => `${f.key} (${f.message})`).join("; ")}` : "";
  return `${verb} ${s.done}${failed}`;
}

export interface SelectionBar {
  element: HTMLElement;
  /** Redraws for the current selection; `folders` are the move destinations offered. */
  update(prefix: string, folders: string[]): void;
}

export function createSelectionBar(
  sel: Selection,
  actions: SelectionActions,
  hooks: { done(message: string): void; onError(err: unknown): void },
): SelectionBar {
  let prefix = "";
  const count = h("span", { class: "muted", attrs: { "data-testid": "selection-count" } });
  const nameBox = h("input", { attrs: { type: "text", "aria-label": "New name", "data-testid": "rename-name" } });
  const renameGo = button("Rename", { class: "btn", attrs: { "data-testid": "rename-go" } });
  const renameForm = h("span", { class: "row-actions" }, nameBox, renameGo);
  const dest = h("select", { attrs: { "aria-label": "Move to folder", "data-testid": "move-dest" } });
  const moveGo = button("Move", { class: "btn", attrs: { "data-testid": "move-go" } });
  const del = button("Delete…", { class: "btn danger", attrs: { "data-testid": "selection-delete" } });
  const links = button("Copy links", { class: "btn", attrs: { "data-testid": "selection-links" } });
  const folderName = h("input", { attrs: { type: "text", placeholder: "New folder name", "aria-label": "New folder name", "data-testid": "new-folder-name" } });
  const folderGo = button("New folder", { class: "btn", attrs: { "data-testid": "new-folder-go" } });
  let armed = false;

  const run = (p: Promise<string>) =>
    p.then(
      (m) => hooks.done(m),
      (e: unknown) => hooks.onError(e),
    );

  const disarm = () => {
    armed = false;
    del.textContent = "Delete…";
    del.setAttribute("data-testid", "selection-delete");
  };

  del.addEventListener("click", () => {
    const keys = sel.keys();
    if (!keys.length) return;
    if (!armed) {
      armed = true;
      del.textContent = `Delete ${keys.length} ${keys.length === 1 ? "entry" : "entries"} for good?`;
      del.setAttribute("data-testid", "selection-delete-confirm");
      return;
    }
    disarm();
    void run(actions.remove(keys).then((s) => describeSummary("Deleted", s)));
  });
  renameGo.addEventListener("click", () => {
    const [from] = sel.keys();
    const name = nameBox.value.trim();
    if (!from || !name) return;
    if (name.includes("/")) return hooks.onError({ code: "invalid_input", message: "a name has no '/': use Move to put it in another folder" });
    const folder = from.endsWith("/");
    const parent = from.slice(0, from.replace(/\/$/, "").lastIndexOf("/") + 1);
    void run(actions.rename(from, `${parent}${name}${folder ? "/" : ""}`).then(() => `Renamed to ${name}`));
  });
  moveGo.addEventListener("click", () => {
    const keys = sel.keys();
    if (!keys.length) return;
    void run(actions.move(keys, dest.value).then((s) => describeSummary(`Moved to ${dest.value || "the top"}:`, s)));
  });
  links.addEventListener("click", () => {
    const keys = sel.keys().filter((k) => !k.endsWith("/"));
    if (!keys.length) return;
    void run(actions.copyLinks(keys).then((n) => `${n} ${n === 1 ? "link" : "links"} copied`));
  });
  folderGo.addEventListener("click", () => {
    const name = folderName.value.trim();
    if (!name) return;
    void run(
      actions.newFolder(prefix, name).then((p) => {
        folderName.value = "";
        return `Folder ${p} created`;
      }),
    );
  });

  const element = h(
    "div",
    { class: "selection-bar row-actions", attrs: { "data-testid": "selection-bar" } },
    count,
    renameForm,
    dest,
    moveGo,
    links,
    del,
    h("span", { class: "grow" }),
    folderName,
    folderGo,
  );

  return {
    element,
    update(current: string, folders: string[]) {
      prefix = current;
      const keys = sel.keys();
      count.textContent = keys.length ? `${keys.length} selected` : "";
      const one = keys.length === 1;
      renameForm.hidden = !one;
      if (one) nameBox.value = keys[0]!.replace(/\/$/, "").split("/").pop() ?? "";
      const parent = current.slice(0, current.replace(/\/$/, "").lastIndexOf("/") + 1);
      const targets = [...new Set([...(current ? [parent] : []), ...folders.filter((f) => !keys.includes(f))])];
      dest.replaceChildren(...targets.map((f) => h("option", { text: f === parent && current ? `↑ ${f || "top"}` : f, attrs: { value: f } })));
      dest.hidden = moveGo.hidden = !keys.length || !targets.length;
      del.hidden = !keys.length;
      links.hidden = !keys.some((k) => !k.endsWith("/"));
      if (!keys.length) disarm();
    },
  };
}
