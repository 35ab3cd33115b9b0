// The Browser's bucket picker: the current profile's buckets in a select, and a
// "New bucket" form (name checked by S3's rules here for a quick answer; Rust and the
// store check again).

import type { BucketEntry } from "../bindings/BucketEntry";
import { button, h } from "../lib/dom";

export interface BucketSource {
  list(): Promise<BucketEntry[]>;
  /** null = the profile's own bucket; resolves to the bucket now shown. */
  use(bucket: string | null): Promise<string>;
  create(name: string): Promise<void>;
  onError(err: unknown): void;
  notify(message: string): void;
}

export interface BucketPicker {
  element: HTMLElement;
  /** Reloads the list (the profile may have changed); keeps `shown` selected. */
  refresh(shown: string): Promise<void>;
}

/** S3's bucket naming rules, in words; null when the name is fine. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return "a bucket name has 3 to 63 characters";
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return "use lowercase letters, digits, '.' and '-' (starting and ending with a letter or digit)";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return "a bucket name cannot look like an IP address";
  return null;
}

export function createBucketPicker(src: BucketSource, changed: (bucket: string) => void): BucketPicker {
  let shown = "";
  const select = h("select", { attrs: { "data-testid": "browser-bucket", "aria-label": "Bucket" } });
  const nameBox = h("input", { attrs: { type: "text", placeholder: "new-bucket-name", "aria-label": "New bucket name", "data-testid": "new-bucket-name" } });
  const create = button("Create", { class: "btn", attrs: { "data-testid": "new-bucket-create" } });
  const form = h("span", { class: "row-actions" }, nameBox, create);
  form.hidden = true;
  const toggle = button("New bucket…", { class: "btn", attrs: { "data-testid": "new-bucket" }, on: { click: () => (form.hidden = !form.hidden) } });

  const fill = (names: string[]) => {
    if (shown && !names.includes(shown)) names = [shown, ...names];
    select.replaceChildren(...names.map((n) => h("option", { text: n, attrs: { value: n } })));
    select.value = shown;
  };

  select.addEventListener("change", () => {
    const want = select.value;
    src.use(want).then(
      (b) => {
        shown = b;
        changed(b);
      },
      (e: unknown) => {
        select.value = shown;
        src.onError(e);
      },
    );
  });

  create.addEventListener("click", () => {
    const name = nameBox.value.trim();
    const problem = bucketNameProblem(name);
    if (problem) return src.onError({ code: "invalid_input", message: `${JSON.stringify(name)}: ${problem}` });
    create.disabled = true;
    src
      .create(name)
      .then(async () => {
        src.notify(`Created bucket ${name}`);
        nameBox.value = "";
        form.hidden = true;
        shown = await src.use(name);
        await picker.refresh(shown);
        changed(shown);
      })
      .catch((e: unknown) => src.onError(e))
      .finally(() => (create.disabled = false));
  });

  const picker: BucketPicker = {
    element: h("span", { class: "bucket-picker row-actions" }, select, toggle, form),
    async refresh(current: string) {
      shown = current;
      try {
        fill((await src.list()).map((b) => b.name));
      } catch (e) {
        fill([]);
        src.onError(e);
      }
    },
  };
  return picker;
}
