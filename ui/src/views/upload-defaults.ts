// Settings → "Upload defaults" for the active profile: content type, metadata, tags,
// cache-control, content-disposition, storage class, server-side encryption and the key
// template, with a live preview of the key a file would get. Rust checks every value
// (and says what is wrong); nothing is saved until it does.

import type { ObjectOptions } from "../bindings/ObjectOptions";
import type { Profile } from "../bindings/Profile";
import type { ProfileList } from "../bindings/ProfileList";
import { button, h } from "../lib/dom";

export interface UploadDefaultsSource {
  listProfiles(): Promise<ProfileList>;
  save(name: string, defaults: ObjectOptions, keyTemplate: string | null): Promise<Profile>;
  previewKey(template: string | null, fileName: string): Promise<string>;
  onError(err: unknown): void;
  notify(message: string): void;
}

export interface UploadDefaultsPanel {
  element: HTMLElement;
  shown(): void;
}

export const STORAGE_CLASSES = ["", "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"];

/** "a=1\nb=2" → {a: "1", b: "2"}; a line without "=" is an error naming it. */
export function parsePairs(text: string, what: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\n|,/)) {
    const line = raw.trim();
    if (!line) continue;
    const i = line.indexOf("=");
    if (i <= 0) return `${what} "${line}" is not NAME=VALUE`;
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

const pairsText = (m: Record<string, string | undefined>) =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${v ?? ""}`)
    .join("\n");

export function createUploadDefaultsPanel(src: UploadDefaultsSource): UploadDefaultsPanel {
  let profile: string | null = null;
  const text = (name: string, placeholder: string) =>
    h("input", { attrs: { type: "text", name, placeholder, "aria-label": placeholder, "data-testid": `defaults-${name}`, autocomplete: "off" } });
  const area = (name: string, placeholder: string) =>
    h("textarea", { attrs: { name, rows: "2", placeholder, "aria-label": placeholder, "data-testid": `defaults-${name}` } });
  const contentType = text("content-type", "Content type (guessed when empty)");
  const cacheControl = text("cache-control", "Cache-Control, e.g. max-age=3600");
  const disposition = text("content-disposition", "Content-Disposition, e.g. inline");
  const metadata = area("metadata", "Metadata, one NAME=VALUE a line");
  const tags = area("tags", "Tags, one KEY=VALUE a line");
  const storage = h("select", { attrs: { name: "storage-class", "aria-label": "Storage class", "data-testid": "defaults-storage-class" } });
  for (const c of STORAGE_CLASSES) storage.append(h("option", { text: c || "Store default", attrs: { value: c } }));
  const sse = h(
    "select",
    { attrs: { name: "sse", "aria-label": "Server-side encryption", "data-testid": "defaults-sse" } },
    h("option", { text: "No server-side encryption", attrs: { value: "" } }),
    h("option", { text: "SSE-S3 (AES256)", attrs: { value: "aes256" } }),
    h("option", { text: "SSE-KMS (aws:kms)", attrs: { value: "kms" } }),
  );
  const kmsKey = text("kms-key", "KMS key id (store default when empty)");
  const template = text("key-template", "Key template, e.g. {yyyy}/{mm}/{dd}/{name}");
  const preview = h("div", { class: "hint", attrs: { "data-testid": "defaults-preview" } });
  const save = button("Save upload defaults", { class: "btn primary", attrs: { "data-testid": "defaults-save" } });
  const title = h("h3", { text: "Upload defaults" });

  let previewTimer: ReturnType<typeof setTimeout> | null = null;
  const refreshPreview = () => {
    if (previewTimer) clearTimeout(previewTimer);
    previewTimer = setTimeout(() => {
      const t = template.value.trim();
      src.previewKey(t || null, "photo.jpg").then(
        (k) => (preview.textContent = `photo.jpg would land at ${k}`),
        (e: { message?: string }) => (preview.textContent = e?.message ?? String(e)),
      );
    }, 200);
  };
  template.addEventListener("input", refreshPreview);

  type WithDefaults = Pick<Profile, "name" | "upload_defaults" | "key_template">;
  const fill = (p: WithDefaults | null) => {
    const d = p?.upload_defaults;
    contentType.value = d?.content_type ?? "";
    cacheControl.value = d?.cache_control ?? "";
    disposition.value = d?.content_disposition ?? "";
    metadata.value = pairsText(d?.metadata ?? {});
    tags.value = pairsText(d?.tags ?? {});
    storage.value = d?.storage_class ?? "";
    sse.value = d?.sse ? (d.sse.kind === "aes256" ? "aes256" : "kms") : "";
    kmsKey.value = d?.sse && d.sse.kind === "kms" ? (d.sse.key_id ?? "") : "";
    template.value = p?.key_template ?? "";
    title.textContent = p ? `Upload defaults for ${p.name}` : "Upload defaults";
  };

  save.addEventListener("click", () => {
    if (!profile) return;
    const meta = parsePairs(metadata.value, "metadata");
    const tagMap = parsePairs(tags.value, "tag");
    if (typeof meta === "string") return src.onError({ code: "invalid_input", message: meta });
    if (typeof tagMap === "string") return src.onError({ code: "invalid_input", message: tagMap });
    const opt = (v: string) => v.trim() || null;
    const defaults: ObjectOptions = {
      content_type: opt(contentType.value),
      metadata: meta,
      tags: tagMap,
      cache_control: opt(cacheControl.value),
      content_disposition: opt(disposition.value),
      storage_class: opt(storage.value),
      sse: sse.value === "aes256" ? { kind: "aes256" } : sse.value === "kms" ? { kind: "kms", key_id: opt(kmsKey.value) } : null,
    };
    save.disabled = true;
    src
      .save(profile, defaults, opt(template.value))
      .then((p) => {
        fill(p);
        src.notify(`Upload defaults saved for ${p.name}`);
        refreshPreview();
      })
      .catch((e: unknown) => src.onError(e))
      .finally(() => (save.disabled = false));
  });

  const body = h(
    "div",
    { class: "upload-defaults-body" },
    contentType,
    cacheControl,
    disposition,
    metadata,
    tags,
    h("div", { class: "row-actions" }, storage, sse, kmsKey),
    template,
    preview,
    save,
  );
  const localNote = h("p", { class: "muted", text: "The built-in local store takes uploads as they are: choose a profile to set upload defaults." });
  const element = h("section", { class: "panel upload-defaults", attrs: { "data-testid": "upload-defaults" } }, title, localNote, body);

  return {
    element,
    shown() {
      src.listProfiles().then(
        (list) => {
          profile = list.active;
          const p = list.profiles.find((s) => s.name === list.active) ?? null;
          body.hidden = !p;
          localNote.hidden = !!p;
          fill(p);
          if (p) refreshPreview();
        },
        (e: unknown) => src.onError(e),
      );
    },
  };
}
