// Previews in the Browser's details pane: images, audio, video and PDF through a
// short presigned GET (the CSP allows media only from loopback and https: stores),
// text as its first 64 KiB read by Rust.

import { h } from "../lib/dom";

export type PreviewKind = "image" | "audio" | "video" | "pdf" | "text" | null;

const EXT: Record<string, PreviewKind> = {
  png: "image", jpg: "image", jpeg: "image", gif: "image", webp: "image", svg: "image", bmp: "image", avif: "image",
  mp3: "audio", wav: "audio", ogg: "audio", oga: "audio", flac: "audio", m4a: "audio", aac: "audio", opus: "audio",
  mp4: "video", webm: "video", mov: "video", m4v: "video", ogv: "video", mkv: "video",
  pdf: "pdf",
  txt: "text", md: "text", csv: "text", json: "text", log: "text", xml: "text", yml: "text", yaml: "text", toml: "text", ini: "text",
  html: "text", css: "text", js: "text", ts: "text", rs: "text", py: "text", sh: "text", sql: "text",
};

/** What a preview would show, from the content type, else the extension. */
export function previewKind(key: string, contentType: string | null): PreviewKind {
  const ct = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (ct.startsWith("image/")) return "image";
  if (ct.startsWith("audio/")) return "audio";
  if (ct.startsWith("video/")) return "video";
  if (ct === "application/pdf") return "pdf";
  if (ct.startsWith("text/") || ct === "application/json" || ct === "application/xml") return "text";
  const ext = key.split("/").pop()!.split(".").pop()!.toLowerCase();
  return key.includes(".") ? (EXT[ext] ?? null) : null;
}

export interface PreviewSource {
  previewUrl(key: string): Promise<string>;
  previewText(key: string): Promise<string>;
}

/** The preview element for an object (empty when it has none); fills in when loaded. */
export function renderPreview(src: PreviewSource, key: string, contentType: string | null, onError: (e: unknown) => void): HTMLElement {
  const box = h("div", { class: "preview", attrs: { "data-testid": "browser-preview" } });
  const kind = previewKind(key, contentType);
  box.dataset.kind = kind ?? "";
  if (!kind) return box;
  if (kind === "text") {
    src.previewText(key).then((t) => box.replaceChildren(h("pre", { class: "preview-text", text: t })), onError);
    return box;
  }
  src.previewUrl(key).then((url) => {
    if (!/^https?:\/\//.test(url)) return;
    const el =
      kind === "image"
        ? h("img", { attrs: { alt: key, src: url } })
        : kind === "audio"
          ? h("audio", { attrs: { controls: "", src: url, preload: "metadata" } })
          : kind === "video"
            ? h("video", { attrs: { controls: "", src: url, preload: "metadata" } })
            : h("iframe", { attrs: { title: key, src: url, sandbox: "" } });
    box.replaceChildren(el);
  }, onError);
  return box;
}
