// Watches: folders synced automatically, their state, and adding/pausing/removing.

import { button, h } from "../lib/dom";
import { describeWatch, type WatchStore } from "../lib/watches";
import type { WatchStatus } from "../bindings/WatchStatus";

export interface WatchActions {
  /** Ask for a folder (native picker); null when cancelled. */
  pickFolder(): Promise<string | null>;
  add(root: string, prefix: string, deleteRemote: boolean): Promise<unknown>;
  setEnabled(id: number, enabled: boolean): Promise<void>;
  remove(id: number): Promise<void>;
  rescan(id: number): Promise<void>;
  onError(err: unknown): void;
}

export interface WatchesView {
  element: HTMLElement;
  render(): void;
}

function row(w: WatchStatus, actions: WatchActions, store: WatchStore): HTMLElement {
  const act = (p: Promise<unknown>) => void p.catch(actions.onError);
  const toggle = button(w.enabled ? "Pause" : "Resume", {
    attrs: { "data-action": w.enabled ? "pause" : "resume" },
    on: { click: () => act(actions.setEnabled(w.id, !w.enabled)) },
  });
  const rescan = button("Rescan", {
    attrs: { "data-action": "rescan" },
    on: { click: () => act(actions.rescan(w.id)) },
  });
  const remove = button("Remove", {
    attrs: { "data-action": "remove" },
    title: "Stop watching; the uploaded objects stay in the bucket",
    on: { click: () => act(actions.remove(w.id).then(() => store.remove(w.id))) },
  });
  const state = w.enabled ? w.phase : "paused";
  return h(
    "li",
    { class: `watch w-${state}`, attrs: { "data-testid": "watch-row", "data-id": String(w.id), "data-phase": state } },
    h(
      "div",
      { class: "watch-main" },
      h("div", { class: "watch-root", text: w.root, title: w.root }),
      h("div", { class: "muted", text: `→ s3://${w.bucket}/${w.prefix}${w.delete_remote ? " · deletions go to the trash prefix" : ""}` }),
      h("div", { class: "watch-state", attrs: { "data-testid": "watch-state" }, text: describeWatch(w) }),
    ),
    h("div", { class: "actions" }, toggle, rescan, remove),
  );
}

export function createWatchesView(store: WatchStore, actions: WatchActions): WatchesView {
  const list = h("ul", { class: "watches" });
  const empty = h("p", { class: "empty muted", text: "No watched folders. New and changed files in a watched folder upload by themselves." });
  const prefix = h("input", { attrs: { type: "text", placeholder: "key prefix (optional)", "data-testid": "watch-prefix", maxlength: "512" } });
  const del = h("input", { attrs: { type: "checkbox", "data-testid": "watch-delete" } });
  const add = button("Watch a folder…", {
    class: "primary",
    attrs: { "data-testid": "watch-add" },
    on: {
      click: () =>
        void actions
          .pickFolder()
          .then((root) => (root === null ? undefined : actions.add(root, prefix.value.trim(), del.checked)))
          .then(() => {
            prefix.value = "";
            del.checked = false;
          })
          .catch(actions.onError),
    },
  });
  const form = h(
    "div",
    { class: "watch-form" },
    add,
    prefix,
    h("label", { title: "Local deletions move the object to hoist-trash/ (never a plain delete)" }, del, " mirror deletions to trash"),
  );
  const element = h("section", { class: "watches-view" }, form, empty, list);
  const render = () => {
    const items = store.list();
    empty.hidden = items.length > 0;
    list.replaceChildren(...items.map((w) => row(w, actions, store)));
  };
  store.subscribe(render);
  render();
  return { element, render };
}
