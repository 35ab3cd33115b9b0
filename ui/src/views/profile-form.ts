// Mapping between profiles and the profile form's string fields, and the words for
// connection-test results. Pure: no DOM, no IPC.

import type { ChecksumPreference } from "../bindings/ChecksumPreference";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import type { ProfileForm } from "../bindings/ProfileForm";
import type { ProfileSummary } from "../bindings/ProfileSummary";

export type PathStyleChoice = "auto" | "on" | "off";

export interface ProfileFields {
  name: string;
  /** The name being edited; "" for a new profile. */
  editing: string;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  pathStyle: PathStyleChoice;
  checksum: ChecksumPreference;
  accessKeyId: string;
  /** Write-only: always starts empty; empty keeps the stored secret. */
  secret: string;
  sessionToken: string;
  /** `<input type="datetime-local">` value in local time, "" for none. */
  expiresAt: string;
}

export function emptyFields(): ProfileFields {
  return {
    name: "",
    editing: "",
    endpoint: "",
    region: "",
    bucket: "",
    prefix: "",
    pathStyle: "auto",
    checksum: "auto",
    accessKeyId: "",
    secret: "",
    sessionToken: "",
    expiresAt: "",
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** ms since the epoch → "YYYY-MM-DDTHH:MM" in local time (what datetime-local shows). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fieldsFromProfile(s: ProfileSummary): ProfileFields {
  return {
    name: s.name,
    editing: s.name,
    endpoint: s.endpoint ?? "",
    region: s.region ?? "",
    bucket: s.bucket ?? "",
    prefix: s.prefix,
    pathStyle: s.path_style === null ? "auto" : s.path_style ? "on" : "off",
    checksum: s.checksum,
    accessKeyId: s.access_key_id,
    secret: "",
    sessionToken: "",
    expiresAt: s.session_expires_at === null ? "" : toLocalInput(s.session_expires_at),
  };
}

const orNull = (s: string): string | null => {
  const v = s.trim();
  return v === "" ? null : v;
};

/** Blank optional fields become null ("default"); validation is the Rust side's job. */
export function formFromFields(f: ProfileFields): ProfileForm {
  const expires = f.expiresAt.trim() === "" ? null : new Date(f.expiresAt).getTime();
  return {
    name: f.name.trim(),
    previous_name: orNull(f.editing),
    endpoint: orNull(f.endpoint),
    region: orNull(f.region),
    bucket: orNull(f.bucket),
    prefix: f.prefix.trim(),
    path_style: f.pathStyle === "auto" ? null : f.pathStyle === "on",
    checksum: f.checksum,
    access_key_id: f.accessKeyId.trim(),
    secret_access_key: orNull(f.secret),
    session_token: orNull(f.sessionToken),
    session_expires_at: expires === null || Number.isNaN(expires) ? null : expires,
  };
}

export function secretState(s: ProfileSummary): string {
  if (s.secret_stored === null) return "keyring unavailable";
  if (!s.secret_stored) return "no secret in the keyring";
  return s.has_session_token ? "secret and session token in the keyring" : "secret in the keyring";
}

/** "expires in 3 h", "expired" for temporary credentials; "" otherwise. */
export function expiryState(expiresAt: number | null, now: number): string {
  if (expiresAt === null) return "";
  const left = expiresAt - now;
  if (left <= 0) return "temporary credentials expired";
  const minutes = Math.round(left / 60_000);
  if (minutes < 120) return `temporary credentials expire in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `temporary credentials expire in ${hours} h`;
  return `temporary credentials expire in ${Math.round(hours / 24)} days`;
}

const CHECKSUM_WORDS: Record<string, string> = { crc32c: "CRC32C", content_md5: "Content-MD5" };

/** The lines a connection test shows, first the verdict. */
export function reportLines(r: ConnectionReport): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  lines.push(r.problem ? r.problem.message : `Connected to ${r.endpoint} in ${r.elapsed_ms} ms.`);
  for (const p of r.passed) lines.push(`✓ ${p}`);
  for (const n of r.notes) lines.push(`! ${n}`);
  const c = r.checksum;
  if (c) {
    const yes = (b: boolean) => (b ? "yes" : "no");
    lines.push(
      `Checksums: CRC32C ${yes(c.crc32c_header && c.crc32c_stored)}, Content-MD5 ${yes(c.content_md5)}, SDK streaming checksums ${yes(c.sdk_default_checksums)}` +
        (c.recommended ? `; Hoist will use ${CHECKSUM_WORDS[c.recommended] ?? c.recommended}.` : "."),
    );
  }
  return { ok: r.ok, lines };
}
