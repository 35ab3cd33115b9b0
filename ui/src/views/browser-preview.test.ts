// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { previewKind, renderPreview } from "./browser-preview";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("previews", () => {
  it("pick the kind from the content type, else the extension", () => {
    expect(previewKind("a/b", "image/png")).toBe("image");
    expect(previewKind("song.bin", "audio/mpeg")).toBe("audio");
    expect(previewKind("clip.MP4", null)).toBe("video");
    expect(previewKind("doc.pdf", "binary/octet-stream")).toBe("pdf");
    expect(previewKind("notes.txt", null)).toBe("text");
    expect(previewKind("data.json", "application/json; charset=utf-8")).toBe("text");
    expect(previewKind("archive.zip", "application/zip")).toBeNull();
    expect(previewKind("Makefile", null)).toBeNull();
  });

  it("shows media from the presigned URL and text read by Rust", async () => {
    const src = { previewUrl: async (k: string) => `http://127.0.0.1:9/b/${k}?X-Amz-Signature=s`, previewText: async () => "hello\nworld" };
    const img = renderPreview(src, "p.png", "image/png", () => {});
    const vid = renderPreview(src, "v.webm", null, () => {});
    const txt = renderPreview(src, "n.txt", "text/plain", () => {});
    const none = renderPreview(src, "z.zip", null, () => {});
    await tick();
    expect(img.querySelector("img")!.getAttribute("src")).toContain("p.png?X-Amz-Signature");
    expect(vid.querySelector("video")!.hasAttribute("controls")).toBe(true);
    expect(txt.querySelector("pre")!.textContent).toBe("hello\nworld");
    expect(none.children.length).toBe(0);
  });

  it("never puts a non-http URL in the page", async () => {
    const src = { previewUrl: async () => "javascript:alert(1)", previewText: async () => "" };
    const el = renderPreview(src, "p.png", "image/png", () => {});
    await tick();
    expect(el.querySelector("img")).toBeNull();
  });
});
