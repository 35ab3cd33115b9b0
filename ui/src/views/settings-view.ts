// Settings: storage profiles (secrets go to the OS keyring and never come back),
// the active upload target, and read-only facts (local store, journal).

import type { AppSettings } from "../bindings/AppSettings";
import type { AwsFileProfile } from "../bindings/AwsFileProfile";
import type { AwsImportForm } from "../bindings/AwsImportForm";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { Preferences } from "../bindings/Preferences";
import type { ProfileForm } from "../bindings/ProfileForm";
import type { ProfileList } from "../bindings/ProfileList";
import type { ProfileSummary } from "../bindings/ProfileSummary";
import { button, h } from "../lib/dom";
import { emptyFields, expiryState, fieldsFromProfile, formFromFields, reportLines, secretState, type ProfileFields } from "./profile-form";

export interface SettingsSource {
  load(): Promise<AppSettings>;
  listProfiles(): Promise<ProfileList>;
  saveProfile(form: ProfileForm): Promise<ProfileList>;
  deleteProfile(name: string): Promise<ProfileList>;
  /** null = the built-in local store. */
  useProfile(name: string | null): Promise<AppSettings>;
  testProfile(name: string): Promise<ConnectionReport>;
  awsProfiles(): Promise<AwsFileProfile[]>;
  importAwsProfile(req: AwsImportForm): Promise<ProfileList>;
  getPreferences(): Promise<Preferences>;
  setPreferences(p: Preferences): Promise<Preferences>;
  /** Normalises whatever a command threw. */
  toError(e: unknown): ErrorReport;
  now?(): number;
  /** More panels under the profile form (upload defaults). */
  extras?: { element: HTMLElement; shown(): void }[];
}

export interface SettingsView {
  element: HTMLElement;
  shown(): void;
}

/** A section another component owns (e.g. the conflict setting), shown in the facts column. */
export interface SettingsSection {
  element: HTMLElement;
  shown(): void;
}

type Control = HTMLInputElement | HTMLSelectElement;

function field(label: string, control: Control, hint?: string): HTMLElement {
  const id = `f-${control.name}`;
  control.id = id;
  const l = h("label", { text: label, attrs: { for: id } });
  return h("div", { class: "field" }, l, control, hint ? h("div", { class: "hint", text: hint }) : null);
}

function input(name: string, placeholder = "", type = "text"): HTMLInputElement {
  const el = h("input", { attrs: { name, placeholder, autocomplete: "off", spellcheck: "false" } });
  el.type = type;
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

/** `sections`: more sections shown in the right column (conflicts, start at login, transfers). */
export function createSettingsView(src: SettingsSource, sections: readonly SettingsSection[] = []): SettingsView {
  const now = () => (src.now ? src.now() : Date.now());

  // ---- profile list -----------------------------------------------------------
  const keyringProblem = h("div", { class: "form-error", attrs: { "data-testid": "keyring-problem", role: "alert" } });
  keyringProblem.hidden = true;
  const list = h("div", { class: "profile-list", attrs: { "data-testid": "profile-list" } });
  const listError = h("div", { class: "form-error", attrs: { role: "alert" } });
  listError.hidden = true;
  const testResult = h("div", { class: "test-result", attrs: { "data-testid": "profile-test-result", "aria-live": "polite" } });
  testResult.hidden = true;
  const addBtn = button("Add profile", { class: "btn", attrs: { "data-testid": "profile-add" } });
  const importBtn = button("Import from ~/.aws", { class: "btn", attrs: { "data-testid": "aws-import-open" } });
  const importBox = h("div", { class: "import-box", attrs: { "data-testid": "aws-import" } });
  importBox.hidden = true;

  // ---- profile form -----------------------------------------------------------
  const f = {
    name: input("name", "e.g. work-minio"),
    endpoint: input("endpoint", "blank = AWS S3"),
    region: input("region", "blank = us-east-1 or the environment's"),
    bucket: input("bucket", "default bucket for uploads"),
    prefix: input("prefix", "optional, e.g. backups/"),
    pathStyle: select("path_style", [
      ["auto", "Auto (path-style for IP and localhost)"],
      ["on", "On (endpoint/bucket/key)"],
      ["off", "Off (bucket.endpoint/key)"],
    ]),
    checksum: select("checksum", [
      ["auto", "Auto (what Test connection finds)"],
      ["full", "Full: CRC32C"],
      ["compatible", "Compatible: Content-MD5"],
    ]),
    accessKeyId: input("access_key_id", "AKIA…"),
    secret: input("secret", "", "password"),
    sessionToken: input("session_token", "only for temporary credentials", "password"),
    expiresAt: input("expires_at", "", "datetime-local"),
  };
  const formError = h("div", { class: "form-error", attrs: { role: "alert" } });
  formError.hidden = true;
  const save = button("Save", { class: "btn primary", attrs: { "data-testid": "profile-save" } });
  save.type = "submit";
  const cancel = button("Cancel", { class: "btn" });
  const formTitle = h("h2", { text: "New profile" });
  const form = h(
    "form",
    { class: "settings-form", attrs: { novalidate: "", "data-testid": "profile-form" } },
    formTitle,
    field("Name", f.name),
    field("Endpoint URL", f.endpoint),
    field("Region", f.region),
    field("Bucket", f.bucket),
    field("Key prefix", f.prefix),
    field("Path-style addressing", f.pathStyle),
    field("Checksum", f.checksum),
    field("Access key id", f.accessKeyId),
    field("Secret access key", f.secret, "Stored only in the OS keyring. Hoist never shows it again."),
    field("Session token", f.sessionToken),
    field("Temporary credentials expire at", f.expiresAt),
    formError,
    h("div", { class: "form-actions" }, save, cancel),
  );
  form.hidden = true;

  // ---- facts ------------------------------------------------------------------
  const targetValue = h("div", { class: "info-value", attrs: { "data-testid": "active-target" } });
  const localValue = h("div", { class: "info-value" });
  const filesValue = h("div", { class: "info-value mono" });
  const keepInTray = h("input", { attrs: { type: "checkbox", name: "keep_in_tray", "data-testid": "keep-in-tray" } });
  const prefsError = h("div", { class: "form-error", attrs: { role: "alert" } });
  prefsError.hidden = true;
  const prefsValue = h(
    "div",
    { class: "info-value" },
    h("label", { class: "check" }, keepInTray, " Keep running in the tray when the window is closed"),
    h("div", { class: "hint", text: "While uploads run or folders are watched; Quit in the tray icon ends Hoist." }),
    prefsError,
  );
  keepInTray.addEventListener("change", () => {
    const wanted = keepInTray.checked;
    showError(prefsError, null);
    src.setPreferences({ keep_in_tray: wanted }).then(
      (p) => (keepInTray.checked = p.keep_in_tray),
      (e: unknown) => {
        keepInTray.checked = !wanted;
        showError(prefsError, src.toError(e));
      },
    );
  });
  const info = h(
    "div",
    { class: "info" },
    h("h2", { text: "Uploads go to" }),
    targetValue,
    h("h2", { text: "Local store" }),
    localValue,
    h("h2", { text: "Files" }),
    filesValue,
    h("h2", { text: "Window" }),
    prefsValue,
    ...sections.map((x) => x.element),
  );

  const profilesPanel = h(
    "div",
    { class: "settings-form" },
    h("h2", { text: "Profiles" }),
    keyringProblem,
    list,
    listError,
    testResult,
    h("div", { class: "form-actions" }, addBtn, importBtn),
    importBox,
  );
  const element = h(
    "section",
    { class: "view settings-view", attrs: { "aria-label": "Settings" } },
    h("div", { class: "settings-grid" }, h("div", { class: "settings-col" }, profilesPanel, form, ...(src.extras ?? []).map((x) => x.element)), info),
  );

  let busy = false;
  let dirty = false;

  const showError = (el: HTMLElement, e: ErrorReport | null) => {
    el.textContent = e ? e.message : "";
    el.hidden = !e;
  };

  /** Runs one command at a time; errors land in `errEl`. */
  const run = <T>(p: () => Promise<T>, ok: (v: T) => void, errEl: HTMLElement = listError) => {
    if (busy) return;
    busy = true;
    element.classList.add("busy");
    showError(errEl, null);
    p()
      .then(ok, (e: unknown) => showError(errEl, src.toError(e)))
      .finally(() => {
        busy = false;
        element.classList.remove("busy");
      });
  };

  const fillFields = (v: ProfileFields) => {
    f.name.value = v.name;
    f.endpoint.value = v.endpoint;
    f.region.value = v.region;
    f.bucket.value = v.bucket;
    f.prefix.value = v.prefix;
    f.pathStyle.value = v.pathStyle;
    f.checksum.value = v.checksum;
    f.accessKeyId.value = v.accessKeyId;
    f.secret.value = "";
    f.sessionToken.value = "";
    f.expiresAt.value = v.expiresAt;
    form.dataset.editing = v.editing;
    formTitle.textContent = v.editing ? `Edit profile ${v.editing}` : "New profile";
    f.secret.placeholder = v.editing ? "leave empty to keep it (needed again if the endpoint or key id changes)" : "required";
    showError(formError, null);
    form.hidden = false;
    dirty = true;
  };

  const readFields = (): ProfileFields => ({
    name: f.name.value,
    editing: form.dataset.editing ?? "",
    endpoint: f.endpoint.value,
    region: f.region.value,
    bucket: f.bucket.value,
    prefix: f.prefix.value,
    pathStyle: f.pathStyle.value as ProfileFields["pathStyle"],
    checksum: f.checksum.value as ProfileFields["checksum"],
    accessKeyId: f.accessKeyId.value,
    secret: f.secret.value,
    sessionToken: f.sessionToken.value,
    expiresAt: f.expiresAt.value,
  });

  const closeForm = () => {
    form.hidden = true;
    f.secret.value = "";
    f.sessionToken.value = "";
    dirty = false;
  };

  const showReport = (name: string, r: ConnectionReport) => {
    const { ok, lines } = reportLines(r);
    testResult.dataset.ok = String(ok);
    testResult.dataset.profile = name;
    testResult.dataset.kind = r.problem?.kind ?? "ok";
    testResult.className = `test-result ${ok ? "ok" : "bad"}`;
    testResult.replaceChildren(h("strong", { text: `Test of ${name}: ` }), ...lines.map((l) => h("div", { text: l })));
    testResult.hidden = false;
  };

  const confirmRow = (row: HTMLElement, question: string, yes: string, onYes: () => void) => {
    const box = h("div", { class: "confirm", attrs: { "data-testid": "confirm" } }, h("span", { text: question }));
    const ok = button(yes, { class: "btn danger", attrs: { "data-action": "confirm" } });
    const no = button("Cancel", { class: "btn", attrs: { "data-action": "cancel-confirm" } });
    ok.addEventListener("click", () => {
      box.remove();
      onYes();
    });
    no.addEventListener("click", () => box.remove());
    box.append(ok, no);
    row.querySelector(".confirm")?.remove();
    row.append(box);
  };

  const profileRow = (p: ProfileSummary | null, active: boolean): HTMLElement => {
    const name = p ? p.name : "";
    const title = p ? p.name : "Local store (built-in)";
    const where = p ? `${p.endpoint ?? "AWS S3"} · ${p.bucket ?? "no default bucket"}` : "on this computer, no account needed";
    const facts = p ? [p.access_key_id, secretState(p), expiryState(p.session_expires_at, now())].filter(Boolean).join(" · ") : "";
    const row = h(
      "div",
      { class: `profile-row${active ? " active" : ""}`, attrs: { "data-testid": "profile-row", "data-name": name, "data-active": String(active) } },
      h("div", { class: "profile-title" }, h("strong", { text: title }), active ? h("span", { class: "badge", text: "in use" }) : null),
      h("div", { class: "muted", text: where }),
      facts ? h("div", { class: "muted small", text: facts }) : null,
    );
    const actions = h("div", { class: "row-actions" });
    if (!active) {
      const use = button("Use", { class: "btn", attrs: { "data-action": "use" } });
      use.addEventListener("click", () => run(() => src.useProfile(p ? p.name : null), (s) => { fillFacts(s); reloadProfiles(); }));
      actions.append(use);
    }
    if (p) {
      const test = button("Test connection", { class: "btn", attrs: { "data-action": "test" } });
      test.addEventListener("click", () => {
        testResult.hidden = false;
        testResult.className = "test-result";
        testResult.replaceChildren(h("div", { text: `Testing ${p.name}…` }));
        run(() => src.testProfile(p.name), (r) => { showReport(p.name, r); reloadProfiles(); });
      });
      const edit = button("Edit", { class: "btn", attrs: { "data-action": "edit" } });
      edit.addEventListener("click", () => fillFields(fieldsFromProfile(p)));
      const del = button("Delete", { class: "btn", attrs: { "data-action": "delete" } });
      del.addEventListener("click", () =>
        confirmRow(row, `Delete ${p.name} and its secret in the keyring?`, "Delete", () =>
          run(() => src.deleteProfile(p.name), (l) => { fillProfiles(l); loadFacts(); }),
        ),
      );
      actions.append(test, edit, del);
    }
    row.append(actions);
    return row;
  };

  const fillProfiles = (l: ProfileList) => {
    keyringProblem.textContent = l.keyring_problem ?? "";
    keyringProblem.hidden = !l.keyring_problem;
    list.replaceChildren(profileRow(null, l.active === null), ...l.profiles.map((p) => profileRow(p, p.active)));
  };

  const fillFacts = (s: AppSettings) => {
    if (s.target) {
      const t = s.target;
      targetValue.replaceChildren(
        infoRow("Profile", h("div", { text: t.profile ?? "Local store (built-in)" })),
        infoRow("Endpoint", h("div", { class: "mono", text: t.endpoint ?? "AWS S3" })),
        infoRow("Bucket", h("div", { class: "mono", text: t.prefix ? `${t.bucket}/${t.prefix}` : t.bucket })),
      );
    } else {
      targetValue.replaceChildren(h("div", { class: "form-error", text: s.target_problem ?? "No upload target." }));
    }
    if (s.local_store) {
      const ls = s.local_store;
      localValue.replaceChildren(
        infoRow("Endpoint", h("div", { class: "mono", text: ls.endpoint })),
        infoRow("Bucket", h("div", { class: "mono", text: ls.bucket })),
        infoRow("Data directory", h("div", { class: "mono", text: ls.data_dir })),
        infoRow("Links", h("div", { text: ls.links_note, attrs: { "data-testid": "local-links-note" } })),
      );
    } else {
      localValue.replaceChildren(h("div", { class: "muted", text: "Not running." }));
    }
    filesValue.replaceChildren(infoRow("Profiles", h("div", { class: "mono", text: s.profiles_file })), infoRow("Journal", h("div", { class: "mono", text: s.journal })));
  };

  const reloadProfiles = () => {
    src.listProfiles().then(fillProfiles, (e: unknown) => showError(listError, src.toError(e)));
  };
  const loadFacts = () => {
    src.load().then(fillFacts, (e: unknown) => showError(listError, src.toError(e)));
    src.getPreferences().then(
      (p) => (keepInTray.checked = p.keep_in_tray),
      (e: unknown) => showError(prefsError, src.toError(e)),
    );
    for (const x of sections) x.shown();
  };

  const showImport = (found: AwsFileProfile[]) => {
    importBox.hidden = false;
    if (found.length === 0) {
      importBox.replaceChildren(h("div", { class: "muted", text: "No profiles in ~/.aws/credentials or ~/.aws/config." }));
      return;
    }
    importBox.replaceChildren(
      ...found.map((a) => {
        const row = h(
          "div",
          { class: "profile-row", attrs: { "data-testid": "aws-profile-row", "data-name": a.name } },
          h("strong", { text: a.name }),
          h("div", { class: "muted", text: `${a.access_key_id ?? "no access key"} · ${a.endpoint_url ?? "AWS"}${a.region ? ` · ${a.region}` : ""}` }),
        );
        if (!a.has_secret) {
          row.append(h("div", { class: "muted small", text: "No keys in the file (SSO or role): it keeps working through the AWS chain." }));
          return row;
        }
        const imp = button("Import", { class: "btn", attrs: { "data-action": "import" } });
        imp.addEventListener("click", () => {
          const removeBox = h("input", { attrs: { type: "checkbox", name: "remove_plaintext", "data-testid": "remove-plaintext" } });
          removeBox.checked = true;
          const backupBox = h("input", { attrs: { type: "checkbox", name: "backup", "data-testid": "aws-backup" } });
          const label = h("label", { class: "check" }, removeBox, " and remove it from ~/.aws/credentials");
          const backupLabel = h("label", { class: "check" }, backupBox, " keeping a private backup of the file");
          confirmRow(row, `Move the secret of ${a.name} into the OS keyring`, "Import", () =>
            run(
              () =>
                src.importAwsProfile({
                  aws_profile: a.name,
                  name: null,
                  bucket: null,
                  remove_plaintext: removeBox.checked,
                  backup: removeBox.checked && backupBox.checked,
                }),
              (l) => { fillProfiles(l); importBox.hidden = true; },
            ),
          );
          row.querySelector(".confirm span")?.after(label, backupLabel);
        });
        row.append(h("div", { class: "row-actions" }, imp));
        return row;
      }),
    );
  };

  addBtn.addEventListener("click", () => fillFields(emptyFields()));
  cancel.addEventListener("click", closeForm);
  importBtn.addEventListener("click", () => run(() => src.awsProfiles(), showImport));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form_ = formFromFields(readFields());
    run(
      () => src.saveProfile(form_),
      (l) => {
        closeForm();
        fillProfiles(l);
        loadFacts();
      },
      formError,
    );
    // The secret leaves the page as soon as it is sent.
    f.secret.value = "";
    f.sessionToken.value = "";
  });

  return {
    element,
    shown() {
      loadFacts();
      if (!dirty) reloadProfiles();
      for (const x of src.extras ?? []) x.shown();
    },
  };
}
