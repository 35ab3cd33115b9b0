// Settings: start Hoist at login (off by default), in the tray without a window.

import type { ErrorReport } from "../bindings/ErrorReport";
import { h, setText } from "../lib/dom";
import type { Panel } from "./transfers-panel";

export interface StartupSource {
  get(): Promise<boolean>;
  set(enabled: boolean): Promise<boolean>;
  toError(e: unknown): ErrorReport;
}

export function createStartupPanel(src: StartupSource): Panel {
  const box = h("input", { attrs: { type: "checkbox", name: "autostart", "data-testid": "autostart" } });
  const error = h("div", { class: "form-error", attrs: { role: "alert" } });
  error.hidden = true;
  const fail = (e: unknown) => {
    error.hidden = false;
    setText(error, src.toError(e).message);
  };
  box.addEventListener("change", () => {
    const wanted = box.checked;
    error.hidden = true;
    src.set(wanted).then(
      (on) => (box.checked = on),
      (e: unknown) => {
        box.checked = !wanted;
        fail(e);
      },
    );
  });
  const element = h(
    "div",
    { class: "info-value startup-panel" },
    h("label", { class: "check" }, box, " Start Hoist at login"),
    h("div", { class: "hint", text: "It starts in the tray, without a window, and resumes unfinished uploads and watched folders." }),
    error,
  );
  return {
    element,
    shown() {
      src.get().then((on) => (box.checked = on), fail);
    },
  };
}
