// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { renderVersions } from "./browser-versions";

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("versions", () => {
  it("lists versions when opened, restores an older one after asking once", async () => {
    const calls: string[] = [];
    let changed = 0;
    const el = renderVersions(
      {
        list: async () => [
          { version_id: "v2", size: 5, modified: 2000, etag: null, is_latest: true, delete_marker: false },
          { version_id: "v1", size: 3, modified: 1000, etag: null, is_latest: false, delete_marker: false },
        ],
        restore: async (k, v) => void calls.push(`restore ${k} ${v}`),
        download: async (k, v) => (calls.push(`download ${k} ${v}`), "/tmp/x"),
        onError: (e) => calls.push(`error ${String(e)}`),
        notify: (m) => calls.push(`notify ${m}`),
      },
      "a.txt",
      () => changed++,
    ) as HTMLDetailsElement;
    document.body.replaceChildren(el);
    el.open = true;
    el.dispatchEvent(new Event("toggle"));
    await tick();
    const items = [...el.querySelectorAll<HTMLElement>("[data-testid=version]")];
    expect(items.map((i) => i.dataset.version)).toEqual(["v2", "v1"]);
    expect(items[0]!.querySelector("button")).toBeNull();
    const restore = items[1]!.querySelector<HTMLButtonElement>("[data-testid=version-restore]")!;
    restore.click();
    expect(calls).toEqual([]);
    restore.click();
    await tick();
    expect(calls[0]).toBe("restore a.txt v1");
    expect(changed).toBe(1);
  });

  it("shows the store's answer when it keeps no versions", async () => {
    const el = renderVersions(
      {
        list: async () => {
          throw { code: "unsupported", message: "not supported by this store: versions" };
        },
        restore: async () => {},
        download: async () => null,
        onError: () => {},
        notify: () => {},
      },
      "a.txt",
      () => {},
    ) as HTMLDetailsElement;
    el.open = true;
    el.dispatchEvent(new Event("toggle"));
    await tick();
    expect(el.textContent).toContain("not supported by this store");
  });
});
