// The Browser's "Versions" for one object (buckets with versioning on): each version
// with its size and time; Restore (asks once) or Download… an older one.

import type { VersionEntry } from "../bindings/VersionEntry";
import { button, h } from "../lib/dom";
import { formatBytes, formatFullTime } from "../lib/format";

export interface VersionSource {
  list(key: string): Promise<VersionEntry[]>;
  restore(key: string, versionId: string): Promise<void>;
  download(key: string, versionId: string): Promise<string | null>;
  onError(err: unknown): void;
  notify(message: string): void;
}

/** A "Versions" disclosure; the list loads when opened. `changed` runs after a restore. */
export function renderVersions(src: VersionSource, key: string, changed: () => void): HTMLElement {
  const list = h("ul", { class: "versions", attrs: { "data-testid": "versions-list" } });
  const box = h("details", { class: "versions-box", attrs: { "data-testid": "versions" } }, h("summary", { text: "Versions" }), list);
  const load = () =>
    src.list(key).then(
      (versions) =>
        list.replaceChildren(
          ...versions.map((v) => {
            const label = `${v.modified ? formatFullTime(v.modified) : ""} · ${v.delete_marker ? "deleted" : formatBytes(v.size)}${v.is_latest ? " · current" : ""}`;
            const item = h("li", { attrs: { "data-testid": "version", "data-version": v.version_id } }, h("span", { text: label }));
            if (!v.is_latest && !v.delete_marker) {
              let armed = false;
              const restore = button("Restore", { class: "btn", attrs: { "data-testid": "version-restore" } });
              restore.addEventListener("click", () => {
                if (!armed) {
                  armed = true;
                  restore.textContent = "Make this the current version?";
                  return;
                }
                src.restore(key, v.version_id).then(() => {
                  src.notify(`Restored ${key} to the version of ${label.split(" · ")[0]}`);
                  changed();
                  void load();
                }, src.onError);
              });
              const dl = button("Download…", {
                class: "btn",
                attrs: { "data-testid": "version-download" },
                on: { click: () => src.download(key, v.version_id).then((p) => p && src.notify(`Saved to ${p}`), src.onError) },
              });
              item.append(restore, dl);
            }
            return item;
          }),
        ),
      (e: unknown) => {
        list.replaceChildren(h("li", { class: "muted", text: (e as { message?: string })?.message ?? String(e) }));
      },
    );
  box.addEventListener("toggle", () => {
    if (box.open) void load();
  });
  return box;
}
