// A modal dialog over the window: a veil, a box with role="dialog", focus moved into
// it and given back when it closes, Escape to dismiss. Used for confirmations, the
// conflict dialog and the destination picker.

import { button, h } from "../lib/dom";

export interface Modal {
  element: HTMLElement;
  box: HTMLElement;
  close(): void;
}

export function openModal(opts: { title: string; testid: string; body: Node[]; onDismiss(): void }): Modal {
  const titleId = `modal-title-${Math.random().toString(36).slice(2)}`;
  const box = h(
    "div",
    { class: "modal", attrs: { role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, "data-testid": opts.testid } },
    h("h2", { class: "modal-title", text: opts.title, attrs: { id: titleId } }),
    ...opts.body,
  );
  const element = h("div", { class: "modal-veil" }, box);
  const before = document.activeElement as HTMLElement | null;
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    element.remove();
    before?.focus?.();
  };
  element.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      ev.stopPropagation();
      close();
      opts.onDismiss();
    }
  });
  document.body.append(element);
  const first = box.querySelector<HTMLElement>("input, select, button");
  first?.focus();
  return { element, box, close };
}

/** "Are you sure?" with one button to go ahead; resolves to the answer. */
export function confirmDialog(title: string, text: string, yes: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = button(yes, { class: "btn danger", attrs: { "data-action": "confirm" } });
    const no = button("Keep", { class: "btn", attrs: { "data-action": "cancel-confirm" } });
    const m = openModal({
      title,
      testid: "confirm-dialog",
      body: [h("p", { text }), h("div", { class: "modal-buttons" }, no, ok)],
      onDismiss: () => resolve(false),
    });
    ok.addEventListener("click", () => {
      m.close();
      resolve(true);
    });
    no.addEventListener("click", () => {
      m.close();
      resolve(false);
    });
    no.focus();
  });
}
