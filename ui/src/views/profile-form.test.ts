import { describe, expect, it } from "vitest";

import type { ConnectionReport } from "../bindings/ConnectionReport";
import type { ProfileSummary } from "../bindings/ProfileSummary";
import { emptyFields, expiryState, fieldsFromProfile, formFromFields, reportLines, secretState, toLocalInput } from "./profile-form";

const summary: ProfileSummary = {
  name: "corp",
  endpoint: "https://minio.corp",
  region: "eu-west-1",
  bucket: "photos",
  prefix: "2026/",
  path_style: true,
  checksum: "compatible",
  probed_checksum: null,
  access_key_id: "AKID",
  session_expires_at: null,
  secret_stored: true,
  has_session_token: false,
  active: true,
};

describe("profile form mapping", () => {
  it("edits a profile without ever holding its secret", () => {
    const f = fieldsFromProfile(summary);
    expect(f.secret).toBe("");
    expect(f.editing).toBe("corp");
    const form = formFromFields(f);
    expect(form).toMatchObject({ name: "corp", previous_name: "corp", path_style: true, checksum: "compatible", bucket: "photos" });
    // Empty secret = keep the one in the keyring.
    expect(form.secret_access_key).toBeNull();
    expect(form.session_token).toBeNull();
  });

  it("turns blanks into null, trims, and maps path style and expiry", () => {
    const form = formFromFields({
      ...emptyFields(),
      name: " new ",
      accessKeyId: " AK ",
      secret: "s3cret",
      pathStyle: "off",
      expiresAt: toLocalInput(1_900_000_000_000),
    });
    expect(form).toMatchObject({ name: "new", previous_name: null, endpoint: null, region: null, bucket: null, access_key_id: "AK", secret_access_key: "s3cret", path_style: false });
    // datetime-local keeps minutes: the round trip is exact to the minute.
    expect(Math.abs(form.session_expires_at! - 1_900_000_000_000)).toBeLessThan(60_000);
    expect(formFromFields({ ...emptyFields(), expiresAt: "garbage" }).session_expires_at).toBeNull();
  });

  it("describes the secret and the expiry in words", () => {
    expect(secretState(summary)).toBe("secret in the keyring");
    expect(secretState({ ...summary, secret_stored: null })).toBe("keyring unavailable");
    expect(secretState({ ...summary, secret_stored: false })).toBe("no secret in the keyring");
    expect(expiryState(null, 0)).toBe("");
    expect(expiryState(1000, 2000)).toBe("temporary credentials expired");
    expect(expiryState(30 * 60_000, 0)).toBe("temporary credentials expire in 30 min");
    expect(expiryState(5 * 3_600_000, 0)).toBe("temporary credentials expire in 5 h");
  });

  it("puts a failed test's message first", () => {
    const r: ConnectionReport = {
      ok: false,
      endpoint: "http://x",
      bucket: "b",
      passed: [],
      notes: [],
      problem: { kind: "wrong_secret", message: "the secret access key is wrong" },
      checksum: null,
      credentials_expire_at: null,
      elapsed_ms: 4,
    };
    expect(reportLines(r)).toEqual({ ok: false, lines: ["the secret access key is wrong"] });
    const ok = reportLines({
      ...r,
      ok: true,
      problem: null,
      passed: ["credentials accepted"],
      checksum: { crc32c_header: true, crc32c_stored: true, content_md5: true, sdk_default_checksums: false, recommended: "crc32c" },
    });
    expect(ok.lines[0]).toBe("Connected to http://x in 4 ms.");
    expect(ok.lines).toContain("✓ credentials accepted");
    expect(ok.lines[2]).toContain("Hoist will use CRC32C");
  });
});
