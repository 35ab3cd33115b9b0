// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { ObjectOptions } from "../bindings/ObjectOptions";
import type { ProfileList } from "../bindings/ProfileList";
import { createUploadDefaultsPanel, parsePairs } from "./upload-defaults";

const tick = () => new Promise((r) => setTimeout(r, 0));
const q = <T extends HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`)!;

function list(active: string | null): ProfileList {
  return {
    active,
    keyring_problem: null,
    profiles: [
      {
        secret_stored: true, has_session_token: false, active: true, name: "work", endpoint: null, region: null, bucket: "b", prefix: "",
        path_style: null, checksum: "auto", probed_checksum: null, access_key_id: "AK", session_expires_at: null,
        upload_defaults: { content_type: null, metadata: { team: "blue" }, tags: {}, cache_control: "max-age=60", content_disposition: null, storage_class: "STANDARD_IA", sse: { kind: "aes256" } },
        key_template: "{yyyy}/{name}",
      },
    ],
  } as unknown as ProfileList;
}

describe("upload defaults", () => {
  it("parses NAME=VALUE lines and names a bad one", () => {
    expect(parsePairs("a=1\n b = x=y \n\n", "metadata")).toEqual({ a: "1", b: "x=y" });
    expect(parsePairs("novalue", "tag")).toBe('tag "novalue" is not NAME=VALUE');
  });

  it("shows the active profile's defaults, previews the key and saves what was edited", async () => {
    const saved: [string, ObjectOptions, string | null][] = [];
    const errors: unknown[] = [];
    const panel = createUploadDefaultsPanel({
      listProfiles: async () => list("work"),
      save: async (name, defaults, keyTemplate) => {
        saved.push([name, defaults, keyTemplate]);
        return { name, upload_defaults: defaults, key_template: keyTemplate } as never;
      },
      previewKey: async (t, f) => `${t ?? ""}|${f}`,
      onError: (e) => errors.push(e),
      notify: () => {},
    });
    document.body.replaceChildren(panel.element);
    panel.shown();
    await tick();
    expect(q<HTMLTextAreaElement>("defaults-metadata").value).toBe("team=blue");
    expect(q<HTMLSelectElement>("defaults-storage-class").value).toBe("STANDARD_IA");
    expect(q<HTMLSelectElement>("defaults-sse").value).toBe("aes256");
    await new Promise((r) => setTimeout(r, 250));
    expect(q("defaults-preview").textContent).toContain("{yyyy}/{name}|photo.jpg");
    q<HTMLInputElement>("defaults-content-type").value = "text/x-hoist";
    q<HTMLTextAreaElement>("defaults-tags").value = "env=prod";
    q<HTMLButtonElement>("defaults-save").click();
    await tick();
    expect(saved).toHaveLength(1);
    const [name, d, t] = saved[0]!;
    expect(name).toBe("work");
    expect(d.content_type).toBe("text/x-hoist");
    expect(d.tags).toEqual({ env: "prod" });
    expect(d.metadata).toEqual({ team: "blue" });
    expect(d.sse).toEqual({ kind: "aes256" });
    expect(t).toBe("{yyyy}/{name}");
    q<HTMLTextAreaElement>("defaults-tags").value = "broken";
    q<HTMLButtonElement>("defaults-save").click();
    expect(saved).toHaveLength(1);
    expect(String((errors[0] as { message: string }).message)).toContain("NAME=VALUE");
  });

  it("says the local store takes no defaults", async () => {
    const panel = createUploadDefaultsPanel({
      listProfiles: async () => list(null),
      save: async () => { throw new Error("not used"); },
      previewKey: async () => "",
      onError: () => {},
      notify: () => {},
    });
    document.body.replaceChildren(panel.element);
    panel.shown();
    await tick();
    expect(panel.element.textContent).toContain("local store");
    expect((panel.element.querySelector(".upload-defaults-body") as HTMLElement).hidden).toBe(true);
  });
});
