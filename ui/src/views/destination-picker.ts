// The destination picker: which profile, which bucket and which folder in it new
// uploads go to. Folders come from the bucket's listing (as in the Browser); a new
// folder is only a name until files land in it.

import type { Destination } from "../bindings/Destination";
import type { DestinationView } from "../bindings/DestinationView";
import type { Listing } from "../bindings/Listing";
import { button, h, setText } from "../lib/dom";
import { openModal } from "./modal";

export interface ProfileChoice {
  /** null = the built-in local store */
  name: string | null;
  label: string;
  bucket: string | null;
}

export interface DestinationPickerDeps {
  current(): Promise<DestinationView>;
  profiles(): Promise<ProfileChoice[]>;
  folders(d: Destination): Promise<Listing>;
  /** Checks and keeps the choice (Rust validates it). */
  choose(d: Destination): Promise<DestinationView>;
  describeError(e: unknown): string;
}

/** `a/b/` + `c` → `a/b/c/`; the parent of `a/b/` is `a/`. */
export function joinFolder(prefix: string, name: string): string {
  const clean = name.split("/").map((s) => s.trim()).filter((s) => s && s !== "." && s !== "..").join("/");
  return clean ? `${prefix}${clean}/` : prefix;
}

export function parentFolder(prefix: string): string {
  const parts = prefix.split("/").filter(Boolean);
  parts.pop();
  return parts.length ? `${parts.join("/")}/` : "";
}

/** Opens the picker; resolves to the chosen destination, or null if cancelled. */
export async function openDestinationPicker(deps: DestinationPickerDeps): Promise<DestinationView | null> {
  const [view, profiles] = await Promise.all([deps.current(), deps.profiles()]);
  let dest: Destination = { ...view.destination };

  return new Promise((resolve) => {
    const profile = h("select", { attrs: { id: "dest-profile", "data-testid": "dest-profile" } });
    profiles.forEach((p, i) => {
      const o = h("option", { text: p.label });
      o.value = String(i);
      profile.append(o);
    });
    profile.value = String(Math.max(0, profiles.findIndex((p) => p.name === dest.profile)));
    const bucket = h("input", { attrs: { id: "dest-bucket", "data-testid": "dest-bucket", autocomplete: "off", spellcheck: "false" } });
    bucket.value = dest.bucket;
    const where = h("div", { class: "dest-where", attrs: { "data-testid": "dest-where", "aria-live": "polite" } });
    const up = button("Up", { class: "btn", attrs: { "data-testid": "dest-up" } });
    const folders = h("ul", { class: "dest-folders", attrs: { "data-testid": "dest-folders", "aria-label": "Folders" } });
    const status = h("div", { class: "hint", attrs: { "data-testid": "dest-status" } });
    const newName = h("input", { attrs: { id: "dest-new", "data-testid": "dest-new", placeholder: "folder name", autocomplete: "off" } });
    const make = button("New folder", { class: "btn", attrs: { "data-testid": "dest-new-go" } });
    const error = h("div", { class: "form-error", attrs: { role: "alert", "data-testid": "dest-error" } });
    error.hidden = true;
    const ok = button("Upload here", { class: "btn primary", attrs: { "data-testid": "dest-ok" } });
    const cancel = button("Cancel", { class: "btn", attrs: { "data-testid": "dest-cancel" } });

    let seq = 0;
    const load = async () => {
      const mine = ++seq;
      setText(where, `${dest.bucket || "?"} / ${dest.prefix || ""}`);
      up.disabled = dest.prefix === "";
      folders.replaceChildren();
      setText(status, "Loading folders…");
      try {
        const listing = await deps.folders(dest);
        if (mine !== seq) return;
        for (const f of listing.folders) {
          const b = button(f.name, { class: "link-btn", attrs: { "data-testid": "dest-folder", "data-prefix": f.prefix } });
          b.addEventListener("click", () => {
            dest = { ...dest, prefix: f.prefix };
            void load();
          });
          folders.append(h("li", {}, b));
        }
        setText(status, listing.folders.length ? "" : "No folders here yet.");
      } catch (e) {
        if (mine !== seq) return;
        setText(status, deps.describeError(e));
      }
    };

    profile.addEventListener("change", () => {
      const p = profiles[Number(profile.value)];
      if (!p) return;
      dest = { profile: p.name, bucket: p.bucket ?? "", prefix: "" };
      bucket.value = dest.bucket;
      void load();
    });
    bucket.addEventListener("change", () => {
      // A blur after the same name (e.g. clicking a folder) changes nothing: reloading
      // would replace the folder buttons under the click.
      if (bucket.value.trim() === dest.bucket) return;
      dest = { ...dest, bucket: bucket.value.trim(), prefix: "" };
      void load();
    });
    up.addEventListener("click", () => {
      dest = { ...dest, prefix: parentFolder(dest.prefix) };
      void load();
    });
    const create = () => {
      const next = joinFolder(dest.prefix, newName.value);
      if (next === dest.prefix) return;
      dest = { ...dest, prefix: next };
      newName.value = "";
      void load();
    };
    make.addEventListener("click", create);
    newName.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") create();
    });

    const m = openModal({
      title: "Where uploads go",
      testid: "destination-picker",
      body: [
        h("div", { class: "field" }, h("label", { text: "Profile", attrs: { for: "dest-profile" } }), profile),
        h("div", { class: "field" }, h("label", { text: "Bucket", attrs: { for: "dest-bucket" } }), bucket),
        h("div", { class: "dest-nav" }, up, where),
        folders,
        status,
        h("div", { class: "dest-new" }, h("label", { class: "sr-only", text: "New folder name", attrs: { for: "dest-new" } }), newName, make),
        error,
        h("div", { class: "modal-buttons" }, cancel, ok),
      ],
      onDismiss: () => resolve(null),
    });
    ok.addEventListener("click", () => {
      dest = { ...dest, bucket: bucket.value.trim() };
      deps.choose(dest).then(
        (chosen) => {
          m.close();
          resolve(chosen);
        },
        (e) => {
          error.hidden = false;
          setText(error, deps.describeError(e));
        },
      );
    });
    cancel.addEventListener("click", () => {
      m.close();
      resolve(null);
    });
    void load();
  });
}
