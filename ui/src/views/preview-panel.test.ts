// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { ObjectDetails } from "../bindings/ObjectDetails";
import type { PreviewKind } from "../bindings/PreviewKind";
import { previewPanel, previewUrl } from "./preview-panel";

const tick = () => new Promise((r) => setTimeout(r, 0));

const details = (key: string, preview: PreviewKind): ObjectDetails => ({
  bucket: "photos",
  key,
  size: 10,
  content_type: null,
  modified: null,
  etag: null,
  checksums: {},
  metadata: {},
  storage_class: null,
  cache_control: null,
  content_disposition: null,
  preview,
});

describe("preview panel", () => {
  it("names the object through the app's protocol, never a store URL", () => {
    expect(previewUrl("photos", "2024/a b#1.png", false)).toBe("hoist-preview://localhost/photos/2024%2Fa%20b%231.png");
    expect(previewUrl("photos", "x.png", true)).toBe("http://hoist-preview.localhost/photos/x.png");
  });

  it("shows images from the protocol, and plays audio and video fetched from it", async () => {
    const fetched: string[] = [];
    URL.createObjectURL = () => "blob:tauri://localhost/1";
    URL.revokeObjectURL = () => {};
    const noText = {
      text: () => Promise.reject(new Error("not asked")),
      fetch: async (u: string) => {
        fetched.push(u);
        return new Response(new Blob([new Uint8Array([1, 2, 3])]), { status: 200 });
      },
    };
    const img = previewPanel(details("a.png", "image"), noText)!;
    expect(img.querySelector("img")!.getAttribute("src")).toBe("hoist-preview://localhost/photos/a.png");
    const video = previewPanel(details("v/clip.mp4", "video"), noText)!;
    await tick();
    await tick();
    expect(fetched).toEqual(["hoist-preview://localhost/photos/v%2Fclip.mp4"]);
    expect(video.querySelector("video")!.getAttribute("src")).toBe("blob:tauri://localhost/1");
    expect(video.querySelector("video")!.hasAttribute("controls")).toBe(true);
    expect(previewPanel(details("s.mp3", "audio"), noText)!.querySelector("audio")).not.toBeNull();
    const big = { ...details("big.mp4", "video"), size: 100 * 1024 * 1024 };
    expect(previewPanel(big, noText)!.textContent).toMatch(/too large to play here/);
    expect(previewPanel(details("x.zip", "none"), noText)).toBeNull();
    expect(previewPanel(details("d.pdf", "pdf"), noText)!.textContent).toMatch(/download it/);
  });

  it("shows text as text (never as markup) and says when it is cut", async () => {
    const asked: string[] = [];
    const panel = previewPanel(details("n.txt", "text"), {
      text: async (key, bucket) => {
        asked.push(`${bucket}/${key}`);
        return { text: "<b>hello</b>", truncated: true, size: 1_000_000 };
      },
    })!;
    await tick();
    expect(asked).toEqual(["photos/n.txt"]);
    const pre = panel.querySelector('[data-testid="preview-text"]')!;
    expect(pre.textContent).toBe("<b>hello</b>");
    expect(pre.querySelector("b")).toBeNull();
    expect(panel.textContent).toMatch(/The start of/);
  });

  it("says why when the text cannot be read", async () => {
    const panel = previewPanel(details("bin.txt", "text"), { text: () => Promise.reject({ code: "invalid_input", message: '"bin.txt" is not text; download it to open it' }) })!;
    await tick();
    expect(panel.textContent).toContain("is not text");
  });
});
