// Previews in the Browser's details pane. Images, audio and video load from the app's
// own `hoist-preview:` protocol (Rust reads the object in bounded ranges), so the CSP
// names no store and no presigned URL reaches the page; text is read by Rust (the
// first 256 KiB). WebKitGTK's media player cannot read custom schemes, so audio and
// video are fetched whole (up to 32 MiB) and played from a blob: URL. PDFs are not
// shown inline: WebKitGTK has no PDF viewer.

import type { ObjectDetails } from "../bindings/ObjectDetails";
import type { TextPreview } from "../bindings/TextPreview";
import { h } from "../lib/dom";
import { formatBytes } from "../lib/format";

export interface PreviewSource {
  text(key: string, bucket: string): Promise<TextPreview>;
  /** Fetches a protocol URL (tests pass a fake); defaults to `fetch`. */
  fetch?: (url: string) => Promise<Response>;
}

/** Audio and video are held whole in the page to play: larger ones are downloaded. */
export const MAX_MEDIA_BYTES = 32 * 1024 * 1024;

// One media preview at a time: the previous blob is released when the next is shown.
let currentBlob: string | null = null;
function holdBlob(url: string | null): void {
  if (currentBlob) URL.revokeObjectURL(currentBlob);
  currentBlob = url;
}

/** The protocol's URL for an object (Windows webviews reach custom schemes over http). */
export function previewUrl(bucket: string, key: string, windows: boolean = /Windows/.test(navigator.userAgent)): string {
  const base = windows ? "http://hoist-preview.localhost" : "hoist-preview://localhost";
  return `${base}/${bucket}/${encodeURIComponent(key)}`;
}

export function previewPanel(d: ObjectDetails, src: PreviewSource): HTMLElement | null {
  const name = d.key.split("/").pop() ?? d.key;
  const url = previewUrl(d.bucket, d.key);
  const box = (...children: (Node | null)[]) =>
    h("figure", { class: "preview", attrs: { "data-testid": "preview", "data-kind": d.preview } }, ...children);
  const failed = (what: string) => h("p", { class: "muted", text: `No preview: ${what}` });
  holdBlob(null);
  switch (d.preview) {
    case "image": {
      const img = h("img", { attrs: { src: url, alt: `Preview of ${name}`, "data-testid": "preview-image" } });
      img.addEventListener("error", () => img.replaceWith(failed("the image could not be shown (too large or not an image).")));
      return box(img);
    }
    case "audio":
    case "video": {
      if (d.size > MAX_MEDIA_BYTES) return box(failed(`${formatBytes(d.size)} is too large to play here; download it to open it.`));
      const media = h(d.preview, { attrs: { controls: "", preload: "metadata", "aria-label": `Play ${name}`, "data-testid": `preview-${d.preview}` } });
      const figure = box(media);
      media.addEventListener("error", () => media.replaceWith(failed("this format cannot be played here; download it to open it.")));
      (src.fetch ?? ((u: string) => fetch(u)))(url)
        .then(async (r) => {
          if (!r.ok) throw new Error(await r.text());
          return r.blob();
        })
        .then(
          (blob) => {
            const blobUrl = URL.createObjectURL(blob);
            holdBlob(blobUrl);
            media.src = blobUrl;
          },
          (e: unknown) => media.replaceWith(failed(e instanceof Error ? e.message : String(e))),
        );
      return figure;
    }
    case "text": {
      const pre = h("pre", { class: "preview-text", attrs: { "data-testid": "preview-text", tabindex: "0" } });
      const note = h("p", { class: "muted" });
      pre.textContent = "Loading…";
      src.text(d.key, d.bucket).then(
        (t) => {
          pre.textContent = t.text;
          note.textContent = t.truncated ? `The start of ${formatBytes(t.size)}; download it for the rest.` : "";
        },
        (e: unknown) => pre.replaceWith(failed(e instanceof Error ? e.message : String((e as { message?: string })?.message ?? e))),
      );
      return box(pre, note);
    }
    case "pdf":
      return box(h("p", { class: "muted", text: "PDF: download it to read it (no PDF viewer in this window)." }));
    default:
      return null;
  }
}
