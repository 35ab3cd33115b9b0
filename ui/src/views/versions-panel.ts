// An object's versions in the Browser's details pane (seed 004 keeps every asset's
// versions): loaded on demand, newest first, with delete markers; "Restore" makes an
// older version current again by copying it (nothing is deleted), after a second click.

import type { ObjectVersion } from "../bindings/ObjectVersion";
import type { ObjectVersions } from "../bindings/ObjectVersions";
import { button, h } from "../lib/dom";
import { formatBytes, formatTimestamp } from "../lib/format";

export interface VersionsSource {
  versions(key: string): Promise<ObjectVersions>;
  restore(key: string, versionId: string): Promise<ObjectVersion>;
  notify(message: string): void;
  onError(err: unknown): void;
}

export function versionsPanel(key: string, src: VersionsSource): HTMLElement {
  const body = h("div", { class: "versions-body" });
  const show = button("Show versions", { class: "btn", attrs: { "data-testid": "versions-show" } });
  const panel = h("section", { class: "versions", attrs: { "aria-label": "Versions", "data-testid": "versions" } }, h("h4", { text: "Versions" }), show, body);

  const row = (v: ObjectVersion) => {
    const what = v.is_delete_marker ? "deleted" : formatBytes(v.size);
    const when = v.modified === null ? "" : formatTimestamp(v.modified);
    const badge = v.is_latest ? (v.is_delete_marker ? " · current: deleted" : " · current") : "";
    const restorable = !v.is_latest && !v.is_delete_marker;
    let armed = false;
    const restore = restorable
      ? button("Restore", { class: "btn", attrs: { "data-testid": "version-restore", "aria-label": `Restore the version of ${when}` } })
      : null;
    restore?.addEventListener("click", () => {
      if (!armed) {
        armed = true;
        restore.textContent = "Make this version current?";
        restore.setAttribute("data-testid", "version-restore-confirm");
        return;
      }
      restore.disabled = true;
      src.restore(key, v.version_id).then(
        () => {
          src.notify(`Restored the version of ${when} as the current ${key}`);
          void load();
        },
        (e: unknown) => {
          restore.disabled = false;
          src.onError(e);
        },
      );
    });
    return h(
      "li",
      { attrs: { "data-testid": "version-row", "data-version": v.version_id, "data-latest": String(v.is_latest), "data-deleted": String(v.is_delete_marker) } },
      h("span", { class: "num time", text: when }),
      h("span", { class: "muted", text: ` ${what}${badge} ` }),
      restore,
    );
  };

  const load = async () => {
    show.hidden = true;
    body.replaceChildren(h("p", { class: "muted", text: "Loading…" }));
    try {
      const r = await src.versions(key);
      if (r.versioning === "off") {
        body.replaceChildren(h("p", { class: "muted", text: "Versioning is off for this bucket: only the current version exists." }));
        return;
      }
      const note = r.versioning === "suspended" ? h("p", { class: "muted", text: "Versioning is suspended: older versions are kept, new uploads replace the current one." }) : null;
      const list = h("ul", { class: "version-list" }, ...r.versions.map(row));
      body.replaceChildren(...(note ? [note, list] : [list]));
    } catch (e) {
      body.replaceChildren();
      show.hidden = false;
      src.onError(e);
    }
  };
  show.addEventListener("click", () => void load());
  return panel;
}
