// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { ObjectVersion } from "../bindings/ObjectVersion";
import type { ObjectVersions } from "../bindings/ObjectVersions";
import { versionsPanel, type VersionsSource } from "./versions-panel";

const tick = () => new Promise((r) => setTimeout(r, 0));

const v = (id: string, over: Partial<ObjectVersion> = {}): ObjectVersion => ({
  key: "a.txt",
  version_id: id,
  size: 10,
  modified: 1_700_000_000_000,
  etag: null,
  is_latest: false,
  is_delete_marker: false,
  ...over,
});

function fake(state: ObjectVersions) {
  const restored: [string, string][] = [];
  const notices: string[] = [];
  const src: VersionsSource = {
    async versions() {
      return state;
    },
    async restore(key, id) {
      restored.push([key, id]);
      const old = state.versions.find((x) => x.version_id === id)!;
      state.versions = [v("new", { ...old, version_id: "new", is_latest: true }), ...state.versions.map((x) => ({ ...x, is_latest: false }))];
      return state.versions[0]!;
    },
    notify: (m) => notices.push(m),
    onError: (e) => {
      throw e;
    },
  };
  return { src, restored, notices };
}

describe("versions panel", () => {
  it("lists versions on demand and restores an old one after a second click", async () => {
    const state: ObjectVersions = { versioning: "enabled", versions: [v("del", { is_latest: true, is_delete_marker: true, size: 0 }), v("v2", { size: 20 }), v("v1")] };
    const { src, restored, notices } = fake(state);
    const panel = versionsPanel("a.txt", src);
    expect(panel.querySelectorAll('[data-testid="version-row"]').length).toBe(0);
    (panel.querySelector('[data-testid="versions-show"]') as HTMLButtonElement).click();
    await tick();
    const rows = [...panel.querySelectorAll<HTMLElement>('[data-testid="version-row"]')];
    expect(rows.map((r) => r.dataset.version)).toEqual(["del", "v2", "v1"]);
    expect(rows[0]!.textContent).toContain("current: deleted");
    expect(rows[0]!.querySelector("button")).toBeNull();
    const restore = rows[2]!.querySelector<HTMLButtonElement>('[data-testid="version-restore"]')!;
    restore.click();
    expect(restored).toEqual([]);
    expect(restore.dataset.testid).toBe("version-restore-confirm");
    restore.click();
    await tick();
    await tick();
    expect(restored).toEqual([["a.txt", "v1"]]);
    expect(notices[0]).toMatch(/^Restored the version of/);
    const after = [...panel.querySelectorAll<HTMLElement>('[data-testid="version-row"]')];
    expect(after[0]!.dataset.version).toBe("new");
    expect(after[0]!.dataset.latest).toBe("true");
  });

  it("says when the bucket keeps no versions", async () => {
    const { src } = fake({ versioning: "off", versions: [v("null", { is_latest: true })] });
    const panel = versionsPanel("a.txt", src);
    (panel.querySelector('[data-testid="versions-show"]') as HTMLButtonElement).click();
    await tick();
    expect(panel.textContent).toContain("Versioning is off");
    expect(panel.querySelectorAll('[data-testid="version-restore"]').length).toBe(0);
  });
});
