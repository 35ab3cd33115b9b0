// Settings → Transfers: bandwidth limit, parts in flight, pause on a metered
// connection, schedule window. Applied to the running engine at once by Rust.

import type { ErrorReport } from "../bindings/ErrorReport";
import type { TransferSettings } from "../bindings/TransferSettings";
import type { TransferStatus } from "../bindings/TransferStatus";
import { button, h, setText } from "../lib/dom";

export interface TransfersSource {
  get(): Promise<TransferStatus>;
  set(s: TransferSettings): Promise<TransferStatus>;
  toError(e: unknown): ErrorReport;
}

export interface Panel {
  element: HTMLElement;
  shown(): void;
}

const MB = 1_000_000;

/** The form's values → settings, or a message the user can act on. */
export function readForm(v: {
  rate: string;
  concurrency: string;
  metered: boolean;
  scheduled: boolean;
  start: string;
  end: string;
}): TransferSettings | string {
  let rate_limit: number | null = null;
  if (v.rate.trim() !== "") {
    const mb = Number(v.rate);
    if (!Number.isFinite(mb) || mb <= 0) return "The bandwidth limit is a number of MB/s above 0 (leave it empty for no limit).";
    rate_limit = Math.max(1, Math.round(mb * MB));
  }
  let concurrency: number | null = null;
  if (v.concurrency.trim() !== "") {
    const n = Number(v.concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 256) return "Parts in flight is a whole number from 1 to 256 (leave it empty for the default).";
    concurrency = n;
  }
  const hhmm = /^([01]?\d|2[0-3]):[0-5]\d$/;
  if (v.scheduled && (!hhmm.test(v.start) || !hhmm.test(v.end))) return "Write the schedule times as HH:MM, e.g. 22:00 to 06:00.";
  return {
    rate_limit,
    concurrency,
    pause_on_metered: v.metered,
    schedule: v.scheduled ? { start: v.start, end: v.end } : null,
  };
}

export function meteredHint(s: TransferStatus): string {
  if (!s.network_manager) return "NetworkManager was not found, so a metered connection cannot be detected: this setting does nothing here.";
  if (s.metered === true) return "The connection is metered now.";
  if (s.metered === false) return "The connection is not metered.";
  return "NetworkManager does not know whether this connection is metered.";
}

export function createTransfersPanel(src: TransfersSource): Panel {
  const input = (name: string, type: string, extra: Record<string, string> = {}) =>
    h("input", { attrs: { name, type, id: `transfers-${name}`, "data-testid": `transfers-${name}`, ...extra } });
  const rate = input("rate", "number", { min: "0", step: "0.1", placeholder: "no limit" });
  const concurrency = input("concurrency", "number", { min: "1", max: "256", step: "1", placeholder: "default" });
  const metered = input("metered", "checkbox");
  const scheduled = input("scheduled", "checkbox");
  const start = input("start", "time", { value: "22:00" });
  const end = input("end", "time", { value: "06:00" });
  const meteredNote = h("div", { class: "hint", attrs: { "data-testid": "transfers-metered-hint" } });
  const concurrencyNote = h("div", { class: "hint" });
  const state = h("div", { class: "hint", attrs: { role: "status", "data-testid": "transfers-state" } });
  const error = h("div", { class: "form-error", attrs: { role: "alert", "data-testid": "transfers-error" } });
  error.hidden = true;
  const apply = button("Apply", { class: "primary", attrs: { "data-testid": "transfers-apply" } });

  const show = (s: TransferStatus) => {
    rate.value = s.settings.rate_limit == null ? "" : String(s.settings.rate_limit / MB);
    concurrency.value = s.settings.concurrency == null ? "" : String(s.settings.concurrency);
    metered.checked = s.settings.pause_on_metered;
    scheduled.checked = s.settings.schedule != null;
    if (s.settings.schedule) {
      start.value = s.settings.schedule.start;
      end.value = s.settings.schedule.end;
    }
    start.disabled = end.disabled = !scheduled.checked;
    setText(meteredNote, meteredHint(s));
    setText(concurrencyNote, `Now ${s.concurrency_now} parts in flight; a change applies at once, also to running uploads.`);
    setText(state, s.held ? `Queue held: ${s.held}` : "Queue: sending when there is work.");
  };
  const fail = (message: string) => {
    error.hidden = false;
    setText(error, message);
  };
  scheduled.addEventListener("change", () => (start.disabled = end.disabled = !scheduled.checked));
  apply.addEventListener("click", () => {
    error.hidden = true;
    const parsed = readForm({
      rate: rate.value,
      concurrency: concurrency.value,
      metered: metered.checked,
      scheduled: scheduled.checked,
      start: start.value,
      end: end.value,
    });
    if (typeof parsed === "string") return fail(parsed);
    apply.disabled = true;
    src
      .set(parsed)
      .then(show, (e: unknown) => fail(src.toError(e).message))
      .finally(() => (apply.disabled = false));
  });

  const label = (el: HTMLInputElement, text: string) => h("label", { attrs: { for: el.id }, text });
  const element = h(
    "div",
    { class: "transfers-panel", attrs: { "data-testid": "transfers-panel" } },
    h("h2", { text: "Transfers" }),
    h("div", { class: "field" }, label(rate, "Bandwidth limit (MB/s)"), rate),
    h("div", { class: "field" }, label(concurrency, "Parts in flight"), concurrency, concurrencyNote),
    h("label", { class: "check" }, metered, " Pause while on a metered connection"),
    meteredNote,
    h("label", { class: "check" }, scheduled, " Upload only between"),
    h("div", { class: "field schedule" }, label(start, "From"), start, label(end, "to"), end),
    state,
    error,
    h("div", { class: "form-actions" }, apply),
  );
  return {
    element,
    shown() {
      src.get().then(show, (e: unknown) => fail(src.toError(e).message));
    },
  };
}
