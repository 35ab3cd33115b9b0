// Diagnostics: versions, where Hoist keeps its log and journal, the recent log, and
// "Copy report" (Rust copies it; secrets are redacted before anything is written).

import type { DiagnosticsReport } from "../bindings/DiagnosticsReport";
import { button, h, setText } from "../lib/dom";

export interface DiagnosticsSource {
  load(): Promise<DiagnosticsReport>;
  copy(): Promise<void>;
  onError(e: unknown): void;
  notify(message: string): void;
}

export interface DiagnosticsView {
  element: HTMLElement;
  shown(): void;
}

export function createDiagnosticsView(src: DiagnosticsSource): DiagnosticsView {
  const facts = h("dl", { class: "diag-facts", attrs: { "data-testid": "diag-facts" } });
  const log = h("pre", { class: "diag-log mono", attrs: { "data-testid": "diag-log", tabindex: "0", "aria-label": "Recent log" } });
  const refresh = button("Refresh", { attrs: { "data-testid": "diag-refresh" } });
  const copy = button("Copy report", { class: "primary", attrs: { "data-testid": "diag-copy" } });

  const render = (r: DiagnosticsReport) => {
    const rows: [string, string][] = [
      ["Hoist", r.app_version],
      ["Engine", r.engine_version],
      ["System", r.os],
      ["Log folder", r.log_dir],
      ["Data folder", r.data_dir],
      ["Journal", r.journal],
    ];
    facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { class: "mono", text: v })]));
    setText(log, r.recent_log.length ? r.recent_log.join("\n") : "The log is empty.");
    log.scrollTop = log.scrollHeight;
  };
  const load = () => src.load().then(render, src.onError);
  refresh.addEventListener("click", () => void load());
  copy.addEventListener("click", () => {
    src.copy().then(() => src.notify("Report copied: versions, paths and the recent log (no secrets)"), src.onError);
  });

  const element = h(
    "section",
    { class: "view diagnostics-view", attrs: { "aria-label": "Diagnostics" } },
    h("div", { class: "diag-actions" }, refresh, copy),
    facts,
    h("h2", { text: "Recent log" }),
    log,
  );
  return { element, shown: () => void load() };
}
