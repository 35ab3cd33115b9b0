// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { bucketNameProblem, createBucketPicker } from "./bucket-picker";

const tick = () => new Promise((r) => setTimeout(r, 0));

function fake() {
  const buckets = ["alpha", "beta"];
  const used: (string | null)[] = [];
  const errors: unknown[] = [];
  const changed: string[] = [];
  const picker = createBucketPicker(
    {
      list: async () => buckets.map((name) => ({ name, created: null })),
      use: async (b) => {
        used.push(b);
        return b ?? "alpha";
      },
      create: async (name) => {
        if (buckets.includes(name)) throw { code: "invalid_input", message: `bucket "${name}" already exists` };
        buckets.push(name);
      },
      onError: (e) => errors.push(e),
      notify: () => {},
    },
    (b) => changed.push(b),
  );
  document.body.replaceChildren(picker.element);
  return { picker, buckets, used, errors, changed };
}

const q = <T extends HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`)!;

describe("bucket picker", () => {
  it("lists the profile's buckets and switches the Browser to the one picked", async () => {
    const f = fake();
    await f.picker.refresh("alpha");
    const select = q<HTMLSelectElement>("browser-bucket");
    expect([...select.options].map((o) => o.value)).toEqual(["alpha", "beta"]);
    expect(select.value).toBe("alpha");
    select.value = "beta";
    select.dispatchEvent(new Event("change"));
    await tick();
    expect(f.used).toEqual(["beta"]);
    expect(f.changed).toEqual(["beta"]);
  });

  it("creates a bucket, then shows it", async () => {
    const f = fake();
    await f.picker.refresh("alpha");
    q<HTMLButtonElement>("new-bucket").click();
    q<HTMLInputElement>("new-bucket-name").value = "gamma-2026";
    q<HTMLButtonElement>("new-bucket-create").click();
    await tick();
    await tick();
    expect(f.buckets).toContain("gamma-2026");
    expect(f.changed).toEqual(["gamma-2026"]);
    expect(q<HTMLSelectElement>("browser-bucket").value).toBe("gamma-2026");
    expect(f.errors).toEqual([]);
  });

  it("says why a name cannot be a bucket before asking the store", async () => {
    const f = fake();
    await f.picker.refresh("alpha");
    q<HTMLButtonElement>("new-bucket").click();
    q<HTMLInputElement>("new-bucket-name").value = "My_Bucket";
    q<HTMLButtonElement>("new-bucket-create").click();
    await tick();
    expect(f.buckets).toEqual(["alpha", "beta"]);
    expect(String((f.errors[0] as { message: string }).message)).toContain("lowercase");
    expect(bucketNameProblem("ab")).toContain("3 to 63");
    expect(bucketNameProblem("192.168.1.1")).toContain("IP address");
    expect(bucketNameProblem("photos-2026")).toBeNull();
  });

  it("reports a store's refusal and keeps the list", async () => {
    const f = fake();
    await f.picker.refresh("alpha");
    q<HTMLButtonElement>("new-bucket").click();
    q<HTMLInputElement>("new-bucket-name").value = "beta";
    q<HTMLButtonElement>("new-bucket-create").click();
    await tick();
    expect(String((f.errors[0] as { message: string }).message)).toContain("already exists");
    expect(f.changed).toEqual([]);
  });
});
