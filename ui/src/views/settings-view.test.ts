// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { AppSettings } from "../bindings/AppSettings";
import type { ProfileForm } from "../bindings/ProfileForm";
import type { ProfileList } from "../bindings/ProfileList";
import { createSettingsView, type SettingsSource } from "./settings-view";

const settings: AppSettings = {
  target: { profile: null, endpoint: "http://127.0.0.1:1", bucket: "hoist", prefix: "", checksum: "crc32c" },
  target_problem: null,
  profiles_file: "/cfg/profiles.json",
  local_store: { endpoint: "http://127.0.0.1:1", bucket: "hoist", data_dir: "/data", links_note: "Links to local-store objects work on this computer only" },
  journal: "/data/journal.sqlite",
};

function listWith(names: string[], active: string | null = null): ProfileList {
  return {
    active,
    keyring_problem: null,
    profiles: names.map((name) => ({
      name,
      endpoint: "http://minio:9000",
      region: null,
      bucket: "photos",
      prefix: "",
      path_style: null,
      checksum: "auto",
      probed_checksum: null,
      access_key_id: "AKID",
      session_expires_at: null,
      secret_stored: true,
      has_session_token: false,
      active: name === active,
    })),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

let prefs = { keep_in_tray: true };
let failPrefs = false;

function setup(initial: ProfileList) {
  const calls: [string, unknown][] = [];
  let current = initial;
  const src: SettingsSource = {
    load: async () => settings,
    listProfiles: async () => current,
    saveProfile: async (form: ProfileForm) => {
      calls.push(["save", form]);
      current = listWith([...current.profiles.map((p) => p.name), form.name]);
      return current;
    },
    deleteProfile: async (name) => {
      calls.push(["delete", name]);
      current = listWith(current.profiles.map((p) => p.name).filter((n) => n !== name));
      return current;
    },
    useProfile: async (name) => {
      calls.push(["use", name]);
      return settings;
    },
    testProfile: async (name) => {
      calls.push(["test", name]);
      return { ok: false, endpoint: "http://minio:9000", bucket: "photos", passed: [], notes: [], problem: { kind: "wrong_secret", message: "the secret access key is wrong" }, checksum: null, credentials_expire_at: null, elapsed_ms: 3 };
    },
    awsProfiles: async () => [],
    importAwsProfile: async () => current,
    getPreferences: async () => prefs,
    setPreferences: async (p) => {
      calls.push(["prefs", p]);
      if (failPrefs) throw new Error("disk full");
      prefs = p;
      return p;
    },
    toError: (e) => ({ code: "rejected", message: String(e) }),
  };
  const view = createSettingsView(src);
  document.body.replaceChildren(view.element);
  view.shown();
  return { view, calls };
}

const rows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="profile-row"]')];
const click = (root: ParentNode, sel: string) => (root.querySelector(sel) as HTMLElement).click();

describe("settings view", () => {
  it("shows the keep-in-tray preference and saves a change; a refused save is undone", async () => {
    prefs = { keep_in_tray: false };
    failPrefs = false;
    const { calls } = setup(listWith([]));
    await new Promise((r) => setTimeout(r, 0));
    const box = document.querySelector<HTMLInputElement>('[data-testid="keep-in-tray"]')!;
    expect(box.checked).toBe(false);
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toContainEqual(["prefs", { keep_in_tray: true }]);
    expect(prefs.keep_in_tray).toBe(true);

    failPrefs = true;
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    await new Promise((r) => setTimeout(r, 0));
    expect(box.checked).toBe(true);
    expect(document.body.textContent).toContain("disk full");
    failPrefs = false;
  });

  it("lists the local store and the profiles, without secrets", async () => {
    setup(listWith(["corp"], "corp"));
    await flush();
    expect(rows().map((r) => [r.dataset.name, r.dataset.active])).toEqual([
      ["", "false"],
      ["corp", "true"],
    ]);
    expect(rows()[1]!.textContent).toContain("secret in the keyring");
  });

  it("sends the secret once and clears it from the page", async () => {
    const { calls } = setup(listWith([]));
    await flush();
    click(document, '[data-testid="profile-add"]');
    const form = document.querySelector<HTMLFormElement>('[data-testid="profile-form"]')!;
    expect(form.hidden).toBe(false);
    const set = (name: string, v: string) => ((form.querySelector(`[name="${name}"]`) as HTMLInputElement).value = v);
    set("name", "new");
    set("access_key_id", "AK");
    set("secret", "typed-secret");
    form.requestSubmit();
    expect((form.querySelector('[name="secret"]') as HTMLInputElement).value).toBe("");
    await flush();
    expect(calls[0]![0]).toBe("save");
    expect((calls[0]![1] as ProfileForm).secret_access_key).toBe("typed-secret");
    expect(form.hidden).toBe(true);
    expect(rows().map((r) => r.dataset.name)).toEqual(["", "new"]);
    expect(document.body.textContent).not.toContain("typed-secret");
  });

  it("asks before deleting, and shows a failed test's words", async () => {
    const { calls } = setup(listWith(["corp"]));
    await flush();
    const row = rows()[1]!;
    click(row, '[data-action="delete"]');
    expect(calls).toEqual([]);
    click(row, '[data-action="confirm"]');
    await flush();
    expect(calls).toEqual([["delete", "corp"]]);
    expect(rows().length).toBe(1);
  });

  it("tests a profile and uses another", async () => {
    const { calls } = setup(listWith(["corp"]));
    await flush();
    click(rows()[1]!, '[data-action="test"]');
    await flush();
    const result = document.querySelector<HTMLElement>('[data-testid="profile-test-result"]')!;
    expect(result.dataset.ok).toBe("false");
    expect(result.dataset.kind).toBe("wrong_secret");
    expect(result.textContent).toContain("the secret access key is wrong");
    click(rows()[1]!, '[data-action="use"]');
    await flush();
    expect(calls).toContainEqual(["use", "corp"]);
  });
});
