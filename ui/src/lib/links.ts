// Link expiry presets and words, and the browser's folder logic: pure functions the
// views use (tested in links.test.ts).

import type { LinkExpiry } from "../bindings/LinkExpiry";
import type { ShareLink } from "../bindings/ShareLink";
import { formatTimestamp } from "./format";

export interface ExpiryPreset {
  label: string;
  seconds: number;
}

/** 15 min … 7 days (SigV4's maximum). */
export const EXPIRY_PRESETS: readonly ExpiryPreset[] = [
  { label: "15 minutes", seconds: 15 * 60 },
  { label: "1 hour", seconds: 3600 },
  { label: "6 hours", seconds: 6 * 3600 },
  { label: "1 day", seconds: 86400 },
  { label: "3 days", seconds: 3 * 86400 },
  { label: "7 days", seconds: 7 * 86400 },
];

export const DEFAULT_EXPIRY_SECS = 3600;

/** "12 min", "3 h", "2 d" for a span in milliseconds. */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round((s / 3600) * 10) / 10} h`;
  return `${Math.round((s / 86400) * 10) / 10} d`;
}

/** What the user reads before copying: the true expiry, and why it is shorter. */
export function describeExpiry(e: LinkExpiry, now: number = Date.now()): string {
  const base = `Works until ${formatTimestamp(e.expires_at)} (${formatSpan(e.expires_at - now)})`;
  return e.limited_by_credentials
    ? `${base} — shorter than chosen: the profile's temporary credentials expire then, and the link dies with them`
    : base;
}

/** A link to a loopback endpoint (the embedded local store, or a store on this
 * machine) opens on this computer only: sent to anyone else it cannot work. */
export function isThisComputerOnly(link: Pick<ShareLink, "url">): boolean {
  let host: string;
  try {
    host = new URL(link.url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The toast after a copy. */
export function copiedMessage(link: ShareLink, now: number = Date.now()): string {
  const what = link.method === "put" ? "Upload link" : "Link";
  const limited = link.limited_by_credentials ? " (limited by the credentials' expiry)" : "";
  const here = isThisComputerOnly(link) ? " — works on this computer only" : "";
  return `${what} copied — valid ${formatSpan(link.expires_at - now)}, until ${formatTimestamp(link.expires_at)}${limited}${here}`;
}

export function isExpired(link: ShareLink, now: number = Date.now()): boolean {
  return link.expires_at <= now;
}

export interface Crumb {
  label: string;
  prefix: string;
}

/** "photos/2024/" → bucket root, photos, 2024 (each with the prefix to open). */
export function breadcrumbs(bucket: string, prefix: string): Crumb[] {
  const crumbs: Crumb[] = [{ label: bucket || "bucket", prefix: "" }];
  let acc = "";
  for (const part of prefix.split("/").filter(Boolean)) {
    acc += `${part}/`;
    crumbs.push({ label: part, prefix: acc });
  }
  return crumbs;
}

/** Images get a thumbnail placeholder; everything else an icon. */
export function isImageKey(key: string): boolean {
  return /\.(png|jpe?g|gif|webp|bmp|avif)$/i.test(key);
}

/** "100MiB", "5 MB", "2048" → bytes; "" → null (no limit); anything else → undefined. */
export function parseSizeLimit(text: string): number | null | undefined {
  const t = text.trim();
  if (t === "") return null;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(t);
  if (!m) return undefined;
  const units: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
  return Math.floor(Number(m[1]) * units[(m[2] ?? "b").toLowerCase()]!);
}
