// Settings: the upload target, plus read-only facts (local store, journal).

import type { AppSettings } from "../bindings/AppSettings";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { TargetSettings } from "../bindings/TargetSettings";
import { button, h } from "../lib/dom";
import { formFromTarget, targetFromForm, type TargetForm } from "./settings-form";

export interface SettingsSource {
  load(): Promise<AppSettings>;
  save(target: TargetSettings): Promise<AppSettings>;
  /** Normalises whatever a command threw. */
  toError(e: unknown): ErrorReport;
}

export interface SettingsView {
  element: HTMLElement;
  shown(): void;
}

type Field = HTMLInputElement | HTMLSelectElement;

function field(label: string, control: Field, hint?: string): HTMLElement {
  const id = `f-${control.name}`;
  control.id = id;
  const l = h("label", { text: label, attrs: { for: id } });
  return h("div", { class: "field" }, l, control, hint ? h("div", { class: "hint", text: hint }) : null);
}

function input(name: string, placeholder = ""): HTMLInputElement {
  const el = h("input", { attrs: { name, placeholder, autocomplete: "off", spellcheck: "false" } });
  el.type = "text";
  return el;
}

function select(name: string, options: [string, string][]): HTMLSelectElement {
  const el = h("select", { attrs: { name } });
  for (const [value, label] of options) el.append(h("option", { text: label, attrs: { value } }));
  return el;
}

function infoRow(label: string, value: HTMLElement): HTMLElement {
  return h("div", { class: "info-row" }, h("div", { class: "info-label", text: label }), value);
}

export function createSettingsView(src: SettingsSource): SettingsView {
  const kind = select("kind", [
    ["local", "Built-in local store (for trying Hoist out)"],
    ["custom", "S3 or S3-compatible service"],
  ]);
  const endpoint = input("endpoint", "blank = AWS S3");
  const region = input("region", "blank = from profile or environment");
  const bucket = input("bucket", "my-bucket");
  const prefix = input("prefix", "optional, e.g. backups/");
  const pathStyle = select("path_style", [
    ["auto", "Auto"],
    ["on", "On (endpoint/bucket/key)"],
    ["off", "Off (bucket.endpoint/key)"],
  ]);
  const checksum = select("checksum", [
    ["crc32c", "CRC32C (full-object checksum)"],
    ["content_md5", "Content-MD5 (for stores without CRC32C)"],
  ]);
  const awsProfile = input("aws_profile", "blank = default");

  const custom = h(
    "fieldset",
    { class: "custom" },
    field("Endpoint URL", endpoint),
    field("Region", region),
    field("Bucket", bucket),
    field("Key prefix", prefix),
    field("Path-style addressing", pathStyle),
    field("Checksum", checksum),
    field("AWS profile", awsProfile, "Credentials come from ~/.aws (this profile) or the environment. Hoist never stores secrets."),
  );

  const error = h("div", { class: "form-error", attrs: { role: "alert" } });
  const saved = h("span", { class: "muted" });
  const save = button("Save", { class: "btn primary" });
  save.type = "submit";

  const form = h(
    "form",
    { class: "settings-form", attrs: { novalidate: "" } },
    h("h2", { text: "Upload target" }),
    field("Target", kind),
    custom,
    error,
    h("div", { class: "form-actions" }, save, saved),
  );

  const localValue = h("div", { class: "info-value" });
  const journalValue = h("div", { class: "info-value mono" });
  const info = h("div", { class: "info" }, h("h2", { text: "Local store" }), localValue, h("h2", { text: "Journal" }), journalValue);

  const element = h("section", { class: "view settings-view", attrs: { "aria-label": "Settings" } }, h("div", { class: "settings-grid" }, form, info));

  let current: TargetSettings | null = null;
  let dirty = false;
  let busy = false;

  const showKind = () => {
    custom.hidden = kind.value !== "custom";
    custom.disabled = kind.value !== "custom";
  };

  const fill = (s: AppSettings) => {
    current = s.target;
    const f = formFromTarget(s.target);
    kind.value = f.kind;
    endpoint.value = f.endpoint;
    region.value = f.region;
    bucket.value = f.bucket;
    prefix.value = f.prefix;
    pathStyle.value = f.pathStyle;
    checksum.value = f.checksum;
    awsProfile.value = f.awsProfile;
    showKind();
    dirty = false;

    if (s.local_store) {
      const ls = s.local_store;
      localValue.replaceChildren(
        infoRow("Endpoint", h("div", { class: "mono", text: ls.endpoint })),
        infoRow("Bucket", h("div", { class: "mono", text: ls.bucket })),
        infoRow("Data directory", h("div", { class: "mono", text: ls.data_dir })),
      );
    } else {
      localValue.replaceChildren(h("div", { class: "muted", text: "Not running." }));
    }
    journalValue.textContent = s.journal;
  };

  const readForm = (): TargetForm => ({
    kind: kind.value === "custom" ? "custom" : "local",
    endpoint: endpoint.value,
    region: region.value,
    bucket: bucket.value,
    prefix: prefix.value,
    pathStyle: pathStyle.value as TargetForm["pathStyle"],
    checksum: checksum.value === "content_md5" ? "content_md5" : "crc32c",
    awsProfile: awsProfile.value,
  });

  const showError = (e: ErrorReport | null) => {
    error.textContent = e ? e.message : "";
    error.hidden = !e;
  };
  showError(null);

  form.addEventListener("input", () => {
    dirty = true;
    saved.textContent = "";
  });
  kind.addEventListener("change", showKind);

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (busy) return;
    const f = readForm();
    // Fields hidden for the local target keep their last saved values.
    const target =
      f.kind === "local" && current
        ? { ...current, kind: "local" as const }
        : targetFromForm(f);
    busy = true;
    save.disabled = true;
    showError(null);
    saved.textContent = "Saving…";
    src.save(target).then(
      (s) => {
        fill(s);
        saved.textContent = "Saved.";
      },
      (e: unknown) => {
        saved.textContent = "";
        showError(src.toError(e));
      },
    ).finally(() => {
      busy = false;
      save.disabled = false;
    });
  });

  const load = () => {
    src.load().then(fill, (e: unknown) => showError(src.toError(e)));
  };

  return {
    element,
    shown() {
      if (!dirty) load();
    },
  };
}
