// Watches: folders synced automatically, each with its own target and patterns; their
// state (including what cannot be read and deletions held for an answer); adding,
// editing, pausing and removing; and each watch's trash with restore.

import { button, h } from "../lib/dom";
import { describePatterns, describeTarget, describeWatch, type WatchStore } from "../lib/watches";
import type { IpcError } from "../lib/ipc";
import type { TrashedFile } from "../bindings/TrashedFile";
import type { WatchOptions } from "../bindings/WatchOptions";
import type { WatchStatus } from "../bindings/WatchStatus";
import { createWatchForm, type ProfileChoice, type WatchForm } from "./watch-form";

export interface WatchActions {
  /** Ask for a folder (native picker); null when cancelled. */
  pickFolder(): Promise<string | null>;
  /** Targets a watch can use (the local store first). */
  profiles(): Promise<ProfileChoice[]>;
  /** The patterns a new watch skips by default. */
  defaultExcludes(): Promise<string[]>;
  add(root: string, prefix: string, deleteRemote: boolean, options: WatchOptions): Promise<unknown>;
  update(id: number, root: string, prefix: string, deleteRemote: boolean, options: WatchOptions): Promise<unknown>;
  setEnabled(id: number, enabled: boolean): Promise<void>;
  remove(id: number): Promise<void>;
  rescan(id: number): Promise<void>;
  trash(id: number): Promise<TrashedFile[]>;
  /** Resolves to the restored file's path. */
  restore(id: number, trashKey: string): Promise<string>;
  /** `approve` moves the held deletions to the trash; otherwise they stay. */
  decideDeletions(id: number, approve: boolean): Promise<number>;
  onError(err: unknown): void;
  notify(message: string): void;
}

export interface WatchesView {
  element: HTMLElement;
  render(): void;
}

const isConfirm = (e: unknown): e is IpcError =>
  typeof e === "object" && e !== null && (e as IpcError).code === "needs_confirmation";

/** A question in place with two answers. */
function ask(question: string, yes: string, no: string, onYes: () => void, onNo?: () => void): HTMLElement {
  const box = h("div", { class: "confirm", attrs: { "data-testid": "watch-confirm" } }, h("span", { text: question }));
  const ok = button(yes, { class: "btn danger", attrs: { "data-action": "confirm" } });
  const cancel = button(no, { class: "btn", attrs: { "data-action": "cancel-confirm" } });
  ok.addEventListener("click", () => {
    box.remove();
    onYes();
  });
  cancel.addEventListener("click", () => {
    box.remove();
    onNo?.();
  });
  box.append(ok, cancel);
  return box;
}

function when(ms: number | null): string {
  return ms === null ? "time unknown" : new Date(ms).toLocaleString();
}

export function createWatchesView(store: WatchStore, actions: WatchActions): WatchesView {
  const act = (p: Promise<unknown>) => void p.catch(actions.onError);
  let defaults: string[] = [];
  /** Rows whose edit form or trash is open survive re-renders. */
  const editing = new Map<number, WatchForm>();
  const trashOpen = new Map<number, TrashedFile[] | null>();
  const list = h("ul", { class: "watches" });

  /** Sends a watch; if the folder is the whole home folder, asks first. */
  const submit = (host: HTMLElement, send: (allowHome: boolean) => Promise<unknown>): Promise<boolean> =>
    send(false).then(
      () => true,
      (e) => {
        if (!isConfirm(e)) throw e;
        return new Promise<boolean>((resolve) => {
          host.querySelector(":scope > .confirm")?.remove();
          host.append(
            ask(
              `${e.message}. Watch it anyway?`,
              "Watch the whole home folder",
              "Cancel",
              () => send(true).then(() => resolve(true), (err) => (actions.onError(err), resolve(false))),
              () => resolve(false),
            ),
          );
        });
      },
    );

  const loadTrash = (id: number) =>
    actions.trash(id).then((files) => {
      if (!trashOpen.has(id)) return;
      trashOpen.set(id, files);
      renderPanels(id);
    }, actions.onError);

  const trashPanel = (id: number): HTMLElement => {
    const files = trashOpen.get(id);
    const panel = h("div", { class: "watch-trash", attrs: { "data-testid": "watch-trash" } });
    if (files === null || files === undefined) {
      panel.append(h("p", { class: "muted", text: "Loading the trash…" }));
      return panel;
    }
    if (files.length === 0) {
      panel.append(h("p", { class: "muted", text: "The trash is empty: no file of this watch was deleted." }));
      return panel;
    }
    const rows = files.map((f) =>
      h(
        "li",
        { attrs: { "data-testid": "trash-row", "data-key": f.trash_key } },
        h("span", { class: "trash-path", text: f.path, title: f.trash_key }),
        h("span", { class: "muted", text: ` deleted ${when(f.deleted_at)}` }),
        button("Restore", {
          class: "btn",
          attrs: { "data-action": "restore" },
          title: "Put it back into the folder (never over a file that is there); it is uploaded again",
          on: {
            click: () =>
              act(
                actions.restore(id, f.trash_key).then((path) => {
                  actions.notify(`Restored ${path}`);
                  return loadTrash(id);
                }),
              ),
          },
        }),
      ),
    );
    panel.append(h("ul", { class: "trash-list" }, ...rows));
    return panel;
  };

  const editPanel = (id: number, form: WatchForm): HTMLElement => {
    const panel = h("div", { class: "watch-edit", attrs: { "data-testid": "watch-edit" } }, form.element);
    const save = button("Save", {
      class: "btn primary",
      attrs: { "data-action": "save" },
      on: {
        click: () => {
          const v = form.values();
          const w = store.list().find((x) => x.id === id);
          if (!w) return;
          act(
            submit(panel, (allowHome) =>
              actions.update(id, w.root, v.prefix, v.deleteRemote, { ...v.options, allow_home: allowHome }),
            ).then((done) => {
              if (done) {
                editing.delete(id);
                renderPanels(id);
              }
            }),
          );
        },
      },
    });
    const cancel = button("Cancel", {
      class: "btn",
      attrs: { "data-action": "cancel-edit" },
      on: {
        click: () => {
          editing.delete(id);
          renderPanels(id);
        },
      },
    });
    panel.append(h("div", { class: "actions" }, save, cancel));
    return panel;
  };

  /** The parts of a row that follow the watch's state (rebuilt on each change). */
  const info = (w: WatchStatus): HTMLElement[] => {
    const toggle = button(w.enabled ? "Pause" : "Resume", {
      class: "btn",
      attrs: { "data-action": w.enabled ? "pause" : "resume" },
      on: { click: () => act(actions.setEnabled(w.id, !w.enabled)) },
    });
    const rescan = button("Rescan", {
      class: "btn",
      attrs: { "data-action": "rescan" },
      on: { click: () => act(actions.rescan(w.id)) },
    });
    const edit = button("Edit", {
      class: "btn",
      attrs: { "data-action": "edit" },
      title: "Target, patterns and deletions of this watch",
      on: {
        click: () => {
          if (editing.has(w.id)) editing.delete(w.id);
          else {
            const form = createWatchForm("edit");
            form.setDefaults(defaults);
            form.fill({ profile: w.profile, bucket: w.bucket, prefix: w.prefix, include: w.include, exclude: w.exclude, deleteRemote: w.delete_remote });
            void actions.profiles().then(form.setProfiles, actions.onError);
            editing.set(w.id, form);
          }
          renderPanels(w.id);
        },
      },
    });
    const trash = button("Trash", {
      class: "btn",
      attrs: { "data-action": "trash" },
      title: "Deleted files' copies, to restore",
      on: {
        click: () => {
          if (trashOpen.has(w.id)) trashOpen.delete(w.id);
          else {
            trashOpen.set(w.id, null);
            void loadTrash(w.id);
          }
          renderPanels(w.id);
        },
      },
    });
    const remove = button("Remove", {
      class: "btn",
      attrs: { "data-action": "remove" },
      title: "Stop watching; the uploaded objects stay in the bucket",
      on: { click: () => act(actions.remove(w.id).then(() => store.remove(w.id))) },
    });
    const parts: HTMLElement[] = [
      h(
        "div",
        { class: "watch-main" },
        h("div", { class: "watch-root", text: w.root, title: w.root }),
        h("div", { class: "muted", attrs: { "data-testid": "watch-target" }, text: `→ ${describeTarget(w)}${w.delete_remote ? " · deletions go to the trash" : ""}` }),
        h("div", { class: "muted", attrs: { "data-testid": "watch-patterns" }, text: describePatterns(w, defaults) }),
        h("div", { class: "watch-state", attrs: { "data-testid": "watch-state" }, text: describeWatch(w) }),
      ),
      h("div", { class: "actions" }, toggle, rescan, edit, trash, remove),
    ];
    if (w.cannot_read.length > 0) {
      parts.push(
        h(
          "ul",
          { class: "watch-unreadable", attrs: { "data-testid": "watch-unreadable" } },
          ...w.cannot_read.map((c) =>
            h("li", { text: `${c.path === "" ? "The folder" : c.path}: ${c.reason}. Nothing under it is uploaded or deleted until it can be read.` }),
          ),
        ),
      );
    }
    if (w.held_deletions > 0) {
      const q = ask(
        `${w.held_deletions} files were deleted here at once. Their copies stay in the bucket until you choose.`,
        "Move them to the trash",
        "Keep them in the bucket",
        () => act(actions.decideDeletions(w.id, true)),
        () => act(actions.decideDeletions(w.id, false)),
      );
      q.setAttribute("data-testid", "watch-held");
      parts.push(q);
    }
    return parts;
  };

  /** Each watch's row stays the same element: an open form keeps its focus and text. */
  const rows = new Map<number, { li: HTMLElement; info: HTMLElement; panels: HTMLElement }>();

  function renderPanels(id: number): void {
    const r = rows.get(id);
    if (!r) return;
    const form = editing.get(id);
    r.panels.replaceChildren(...[form ? editPanel(id, form) : null, trashOpen.has(id) ? trashPanel(id) : null].filter((x): x is HTMLElement => x !== null));
  }

  const empty = h("p", { class: "empty muted", text: "No watched folders. New and changed files in a watched folder upload by themselves." });
  const newForm = createWatchForm("watch");
  const add = button("Watch a folder…", {
    class: "btn primary",
    attrs: { "data-testid": "watch-add" },
    on: {
      click: () =>
        void actions
          .pickFolder()
          .then((root) => {
            if (root === null) return false;
            const v = newForm.values();
            return submit(form, (allowHome) => actions.add(root, v.prefix, v.deleteRemote, { ...v.options, allow_home: allowHome }));
          })
          .then((added) => {
            if (added) newForm.reset();
          })
          .catch(actions.onError),
    },
  });
  const form = h("div", { class: "watch-form" }, add, newForm.element);
  const element = h("section", { class: "view scroll-y watches-view" }, form, empty, list);

  function render(): void {
    const items = store.list();
    empty.hidden = items.length > 0;
    const ids = new Set(items.map((w) => w.id));
    for (const id of [...rows.keys()]) {
      if (!ids.has(id)) {
        rows.delete(id);
        editing.delete(id);
        trashOpen.delete(id);
      }
    }
    for (const w of items) {
      let r = rows.get(w.id);
      if (!r) {
        const infoEl = h("div", { class: "watch-info" });
        const panels = h("div", { class: "watch-panels" });
        r = { li: h("li", {}, infoEl, panels), info: infoEl, panels };
        rows.set(w.id, r);
      }
      const state = w.enabled ? w.phase : "paused";
      r.li.className = `watch w-${state}`;
      r.li.setAttribute("data-testid", "watch-row");
      r.li.setAttribute("data-id", String(w.id));
      r.li.setAttribute("data-phase", state);
      r.info.replaceChildren(...info(w));
    }
    const order = items.map((w) => rows.get(w.id)!.li);
    if (order.length !== list.children.length || order.some((li, i) => list.children[i] !== li)) {
      list.replaceChildren(...order);
    }
  }

  void actions.profiles().then(newForm.setProfiles, actions.onError);
  void actions.defaultExcludes().then((d) => {
    defaults = d;
    newForm.setDefaults(d);
    render();
  }, actions.onError);
  store.subscribe(render);
  render();
  return { element, render };
}
