// How long share links last: the Browser's presets in a labelled select, for the
// queue, History and Links. The hint says when a link made now really expires
// (temporary credentials may end it sooner).

import type { LinkExpiry } from "../bindings/LinkExpiry";
import { h } from "../lib/dom";
import { DEFAULT_EXPIRY_SECS, describeExpiry, EXPIRY_PRESETS } from "../lib/links";

export interface ExpiryChooser {
  element: HTMLElement;
  seconds(): number;
}

export function createExpiryChooser(id: string, preview?: (seconds: number) => Promise<LinkExpiry>): ExpiryChooser {
  const sel = h("select", { attrs: { id, "data-testid": `${id}` } });
  for (const p of EXPIRY_PRESETS) {
    const o = h("option", { text: p.label });
    o.value = String(p.seconds);
    sel.append(o);
  }
  sel.value = String(DEFAULT_EXPIRY_SECS);
  const explain = () => {
    if (!preview) return;
    preview(Number(sel.value)).then(
      (e) => (sel.title = describeExpiry(e)),
      () => (sel.title = ""),
    );
  };
  sel.addEventListener("change", explain);
  sel.addEventListener("focus", explain);
  const element = h("span", { class: "expiry-chooser" }, h("label", { text: "Links last", attrs: { for: id } }), sel);
  return { element, seconds: () => Number(sel.value) };
}
