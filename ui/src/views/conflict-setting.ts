// Settings: what an add does when a file's key exists in the bucket.

import type { AddPreferences } from "../bindings/AddPreferences";
import type { ConflictChoice } from "../bindings/ConflictChoice";
import { h } from "../lib/dom";

export const CHOICES: readonly [ConflictChoice, string, string][] = [
  ["ask", "Ask me", "Before anything is sent, list the files whose names exist and let me decide."],
  ["rename", "Keep both", "Upload under a free name: photo (1).jpg."],
  ["skip", "Skip", "Leave the existing file; do not upload mine."],
  ["overwrite", "Overwrite", "Replace the existing file."],
];

export interface ConflictSettingDeps {
  load(): Promise<AddPreferences>;
  save(choice: ConflictChoice): Promise<AddPreferences>;
  describeError(e: unknown): string;
}

export function createConflictSetting(deps: ConflictSettingDeps): { element: HTMLElement; shown(): void } {
  const error = h("div", { class: "form-error", attrs: { role: "alert" } });
  error.hidden = true;
  const radios = CHOICES.map(([value, label, hint]) => {
    const id = `conflict-${value}`;
    const r = h("input", { attrs: { type: "radio", name: "conflict", id, value, "data-testid": id } });
    const row = h("div", { class: "radio-row" }, r, h("label", { text: label, attrs: { for: id } }), h("div", { class: "hint", text: hint }));
    return { value, r, row };
  });
  const set = (choice: ConflictChoice) => {
    for (const x of radios) x.r.checked = x.value === choice;
  };
  let current: ConflictChoice = "ask";
  for (const x of radios) {
    x.r.addEventListener("change", () => {
      if (!x.r.checked) return;
      error.hidden = true;
      deps.save(x.value).then(
        (p) => {
          current = p.conflict;
          set(current);
        },
        (e: unknown) => {
          set(current);
          error.hidden = false;
          error.textContent = deps.describeError(e);
        },
      );
    });
  }
  const element = h(
    "div",
    { class: "conflict-setting", attrs: { "data-testid": "conflict-setting" } },
    h("h2", { text: "When a file exists", attrs: { id: "conflict-heading" } }),
    h("div", { attrs: { role: "radiogroup", "aria-labelledby": "conflict-heading" } }, ...radios.map((x) => x.row)),
    error,
  );
  return {
    element,
    shown() {
      deps.load().then(
        (p) => {
          current = p.conflict;
          set(current);
        },
        (e: unknown) => {
          error.hidden = false;
          error.textContent = deps.describeError(e);
        },
      );
    },
  };
}
