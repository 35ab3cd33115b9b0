// The "ask" dialog: before anything of a batch is sent, the keys that already exist
// are listed, each with overwrite / skip / rename, and one answer can apply to all.
// Credentials that may not read the bucket cannot tell which names exist: then the
// only answers are "upload and replace" or cancel.

import type { ConflictPolicy } from "../bindings/ConflictPolicy";
import type { KeyDecision } from "../bindings/KeyDecision";
import type { PendingAdd } from "../bindings/PendingAdd";
import { button, h } from "../lib/dom";
import { openModal } from "./modal";

export const POLICY_LABELS: Record<ConflictPolicy, string> = {
  rename: "Keep both (rename)",
  overwrite: "Overwrite",
  skip: "Skip",
};

/** Rows shown at most; the rest follow the "all" answer. */
const MAX_ROWS = 200;

export interface ConflictAnswer {
  decisions: KeyDecision[];
  /** null = cancel the batch. */
  otherwise: ConflictPolicy | null;
}

function policySelect(label: string, value: ConflictPolicy, testid: string): HTMLSelectElement {
  const sel = h("select", { attrs: { "aria-label": label, "data-testid": testid } });
  for (const p of ["rename", "overwrite", "skip"] as const) {
    const o = h("option", { text: POLICY_LABELS[p] });
    o.value = p;
    sel.append(o);
  }
  sel.value = value;
  return sel;
}

/** The batch's keys could not be checked (write-only credentials). */
function askUnchecked(pending: PendingAdd): Promise<ConflictAnswer> {
  return new Promise((resolve) => {
    const go = button("Upload and replace", { class: "btn primary", attrs: { "data-testid": "conflict-go" } });
    const cancel = button("Cancel", { class: "btn", attrs: { "data-testid": "conflict-cancel" } });
    const files = `${pending.files} file${pending.files === 1 ? "" : "s"}`;
    const m = openModal({
      title: "Hoist cannot see which names exist",
      testid: "conflict-dialog",
      body: [
        h("p", {
          text: `The credentials for ${pending.label} may upload but not read, so files with the same names cannot be found. Uploading replaces any object with the same name.`,
        }),
        h("p", { class: "hint", text: `Nothing has been sent yet (${files} in this batch).` }),
        h("div", { class: "modal-buttons" }, cancel, go),
      ],
      onDismiss: () => resolve({ decisions: [], otherwise: null }),
    });
    go.addEventListener("click", () => {
      m.close();
      resolve({ decisions: [], otherwise: "overwrite" });
    });
    cancel.addEventListener("click", () => {
      m.close();
      resolve({ decisions: [], otherwise: null });
    });
    cancel.focus();
  });
}

export function askConflicts(pending: PendingAdd): Promise<ConflictAnswer> {
  if (pending.unchecked) return askUnchecked(pending);
  return new Promise((resolve) => {
    const n = pending.existing.length;
    const all = policySelect("Answer for every file", "rename", "conflict-all");
    const applyAll = h("input", { attrs: { type: "checkbox", id: "conflict-apply-all", "data-testid": "conflict-apply-all" } });
    applyAll.checked = true;
    const rows = pending.existing.slice(0, MAX_ROWS).map((key) => {
      const sel = policySelect(`What to do with ${key}`, "rename", "conflict-one");
      sel.dataset.key = key;
      return { key, sel, el: h("li", { class: "conflict-row" }, h("span", { class: "conflict-key", text: key, title: key }), sel) };
    });
    const list = h("ul", { class: "conflict-list", attrs: { "data-testid": "conflict-list" } }, ...rows.map((r) => r.el));
    const more: HTMLElement[] = n > MAX_ROWS ? [h("p", { class: "hint", text: `and ${n - MAX_ROWS} more, which get the answer for all` })] : [];
    const sync = () => {
      list.classList.toggle("is-disabled", applyAll.checked);
      for (const r of rows) r.sel.disabled = applyAll.checked;
    };
    applyAll.addEventListener("change", sync);
    sync();
    const go = button("Upload", { class: "btn primary", attrs: { "data-testid": "conflict-go" } });
    const cancel = button("Cancel", { class: "btn", attrs: { "data-testid": "conflict-cancel" } });
    const m = openModal({
      title: n === 1 ? "A file with this name exists" : `${n} files with these names exist`,
      testid: "conflict-dialog",
      body: [
        h("p", { text: `In ${pending.label}. Nothing has been sent yet (${pending.files} file${pending.files === 1 ? "" : "s"} in this batch).` }),
        h("div", { class: "conflict-all" }, h("label", { text: "For all:", attrs: { for: "conflict-all-select" } }), all),
        h("div", { class: "check" }, applyAll, h("label", { text: "Apply to all", attrs: { for: "conflict-apply-all" } })),
        list,
        ...more,
        h("div", { class: "modal-buttons" }, cancel, go),
      ],
      onDismiss: () => resolve({ decisions: [], otherwise: null }),
    });
    all.id = "conflict-all-select";
    go.addEventListener("click", () => {
      m.close();
      const otherwise = all.value as ConflictPolicy;
      const decisions = applyAll.checked ? [] : rows.map((r) => ({ key: r.key, policy: r.sel.value as ConflictPolicy }));
      resolve({ decisions, otherwise });
    });
    cancel.addEventListener("click", () => {
      m.close();
      resolve({ decisions: [], otherwise: null });
    });
    go.focus();
  });
}
