// Formatting helpers for sizes, rates, durations and times. Pure functions.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** 0 → "0 B", 1536 → "1.5 KiB", 157286400 → "150 MiB". Binary (IEC) units. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "–";
  if (n < 1024) return `${Math.round(n)} B`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  // One decimal below 100 (but never "1024.0 KiB": round first, then re-check).
  let text = v < 100 ? v.toFixed(1) : Math.round(v).toString();
  if (Number(text) >= 1024 && u < UNITS.length - 1) {
    u++;
    text = (Number(text) / 1024).toFixed(1);
  }
  if (text.endsWith(".0")) text = text.slice(0, -2);
  return `${text} ${UNITS[u]}`;
}

/** Bytes per second; "" when unknown or zero. */
export function formatRate(bps: number | null | undefined): string {
  if (bps == null || !Number.isFinite(bps) || bps <= 0) return "";
  return `${formatBytes(bps)}/s`;
}

/**
 * A remaining time, rounded up to whole seconds:
 * 0 → "0s", 42.2 → "43s", 185 → "3m 05s", 7500 → "2h 05m", 200000 → "2d 07h".
 * null/unknown → "".
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "";
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  const d = Math.floor(h / 24);
  if (d > 99) return ">99d";
  return `${d}d ${pad2(h % 24)}h`;
}

/** 0.4567 → "45%"; clamps to 0..100 and never shows 100% before it is done. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction) || fraction <= 0) return "0%";
  if (fraction >= 1) return "100%";
  return `${Math.min(99, Math.floor(fraction * 100))}%`;
}

/** ms since epoch → "2024-05-01 13:04:05" in local time. */
export function formatTimestamp(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "";
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
  );
}

/**
 * A short time for narrow columns, relative to `now` (both ms since epoch, local time):
 * under a minute ago "just now", under an hour "5 min ago", earlier today "today 14:02",
 * the day before "yesterday 14:02", anything older (or a later day) "2026-12-01".
 * Pair it with formatFullTime in a tooltip.
 */
export function formatShortTime(ms: number, now: number = Date.now()): string {
  if (!Number.isFinite(ms) || ms <= 0) return "";
  const d = new Date(ms);
  const ago = now - ms;
  // A little clock skew (a store a few seconds ahead) still reads as "just now".
  if (ago > -60_000 && ago < 60_000) return "just now";
  if (ago > 0 && ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
  const n = new Date(now);
  const today = new Date(n.getFullYear(), n.getMonth(), n.getDate()).getTime();
  const yesterday = new Date(n.getFullYear(), n.getMonth(), n.getDate() - 1).getTime();
  const tomorrow = new Date(n.getFullYear(), n.getMonth(), n.getDate() + 1).getTime();
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (ms >= today && ms < tomorrow) return `today ${hm}`;
  if (ms >= yesterday && ms < today) return `yesterday ${hm}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** The full local time with its UTC offset, for tooltips: "2026-12-01 23:40:12 UTC+01:00". */
export function formatFullTime(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "";
  const off = -new Date(ms).getTimezoneOffset(); // minutes east of UTC
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `${formatTimestamp(ms)} UTC${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** Last path segment of an object key or file path ("a/b/c.txt" → "c.txt"). */
export function baseName(keyOrPath: string): string {
  const trimmed = keyOrPath.replace(/[\\/]+$/, "");
  const i = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
