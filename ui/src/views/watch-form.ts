// The fields of a watch: where its files go (a profile or the local store, a bucket,
// a prefix), which files count (include / exclude patterns, one a line) and whether
// local deletions move the objects to the trash. Used to add and to edit a watch.

import { h } from "../lib/dom";
import { LOCAL_PROFILE, parsePatterns } from "../lib/watches";
import type { WatchOptions } from "../bindings/WatchOptions";

/** A target a watch can use; `name` null = the built-in local store. */
export interface ProfileChoice {
  name: string | null;
  label: string;
  /** The profile's default bucket (shown as the bucket field's hint). */
  bucket: string | null;
}

export interface WatchFormValues {
  prefix: string;
  deleteRemote: boolean;
  options: WatchOptions;
}

export interface WatchForm {
  element: HTMLElement;
  values(): WatchFormValues;
  /** Fills the fields (editing a watch); `null` fields keep what is shown. */
  fill(v: { profile: string | null; bucket: string; prefix: string; include: string[]; exclude: string[]; deleteRemote: boolean }): void;
  /** Back to a new watch's defaults (the last chosen target stays). */
  reset(): void;
  setProfiles(list: ProfileChoice[]): void;
  setDefaults(excludes: string[]): void;
}

const LOCAL = "";

export function createWatchForm(testPrefix: string): WatchForm {
  const id = (name: string) => ({ "data-testid": `${testPrefix}-${name}` });
  const profile = h("select", { attrs: { ...id("profile"), "aria-label": "Upload with" } });
  const bucket = h("input", { attrs: { ...id("bucket"), type: "text", maxlength: "63", "aria-label": "Bucket" } });
  const prefix = h("input", {
    attrs: { ...id("prefix"), type: "text", placeholder: "key prefix (optional)", maxlength: "512", "aria-label": "Key prefix" },
  });
  const include = h("textarea", {
    attrs: { ...id("include"), rows: "2", placeholder: "every file (or e.g. *.jpg, one a line)", "aria-label": "Only files matching" },
  });
  const exclude = h("textarea", { attrs: { ...id("exclude"), rows: "3", "aria-label": "Skip files matching" } });
  const del = h("input", { attrs: { ...id("delete"), type: "checkbox" } });
  let defaults: string[] = [];
  let choices: ProfileChoice[] = [{ name: null, label: "Local store (built-in)", bucket: null }];

  const hint = () => {
    const c = choices.find((p) => (p.name ?? LOCAL) === profile.value);
    bucket.placeholder = c?.bucket ? `bucket (default ${c.bucket})` : c?.name ? "bucket" : "bucket (the local store's)";
  };
  profile.addEventListener("change", hint);

  const setProfiles = (list: ProfileChoice[]) => {
    const keep = profile.value;
    choices = list;
    profile.replaceChildren(...list.map((p) => h("option", { text: p.label, attrs: { value: p.name ?? LOCAL } })));
    if (list.some((p) => (p.name ?? LOCAL) === keep)) profile.value = keep;
    hint();
  };
  setProfiles(choices);

  const field = (label: string, input: HTMLElement, title?: string) =>
    h("label", { class: "field", title }, h("span", { text: label }), input);

  const element = h(
    "div",
    { class: "watch-fields" },
    field("Upload with", profile),
    field("Bucket", bucket),
    field("Prefix", prefix),
    field("Only files matching", include, "Glob patterns, one a line; a pattern without / matches a name anywhere"),
    field("Skip files matching", exclude, "Glob patterns, one a line (the defaults skip temporary and partial files)"),
    h(
      "label",
      { class: "check", title: "A file deleted here moves its object to hoist-trash/ with the time (never a plain delete); many at once are held until you choose" },
      del,
      " mirror deletions to the trash",
    ),
  );

  return {
    element,
    values: () => {
      const ex = parsePatterns(exclude.value);
      const sameAsDefaults = ex.length === defaults.length && ex.every((p, i) => p === defaults[i]);
      return {
        prefix: prefix.value.trim(),
        deleteRemote: del.checked,
        options: {
          profile: profile.value === LOCAL ? null : profile.value,
          bucket: bucket.value.trim() === "" ? null : bucket.value.trim(),
          include: parsePatterns(include.value),
          exclude: sameAsDefaults ? null : ex,
          allow_home: false,
        },
      };
    },
    fill: (v) => {
      const name = v.profile === null || v.profile === LOCAL_PROFILE ? LOCAL : v.profile;
      if (![...profile.options].some((o) => o.value === name)) {
        profile.append(h("option", { text: `Profile ${name}`, attrs: { value: name } }));
      }
      profile.value = name;
      bucket.value = v.bucket;
      prefix.value = v.prefix.replace(/\/$/, "");
      include.value = v.include.join("\n");
      exclude.value = v.exclude.join("\n");
      del.checked = v.deleteRemote;
      hint();
    },
    reset: () => {
      bucket.value = "";
      prefix.value = "";
      include.value = "";
      exclude.value = defaults.join("\n");
      del.checked = false;
    },
    setProfiles,
    setDefaults: (d) => {
      const untouched = exclude.value === "" || exclude.value === defaults.join("\n");
      defaults = d;
      if (untouched) exclude.value = d.join("\n");
    },
  };
}
