import { describe, expect, it } from "vitest";

import {
  baseName,
  formatBytes,
  formatDuration,
  formatFullTime,
  formatPercent,
  formatRate,
  formatShortTime,
  formatTimestamp,
} from "./format";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1, "1 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [10 * 1024 * 1024, "10 MiB"],
    [150 * 1024 * 1024, "150 MiB"],
    [1024 * 1024 - 1, "1 MiB"], // 1023.999 KiB rounds up into the next unit
    [5.25 * 1024 ** 3, "5.3 GiB"],
    [2 * 1024 ** 4, "2 TiB"],
  ])("%d → %s", (n, s) => {
    expect(formatBytes(n)).toBe(s);
  });

  it("rejects nonsense", () => {
    expect(formatBytes(-1)).toBe("–");
    expect(formatBytes(Number.NaN)).toBe("–");
  });
});

describe("formatRate", () => {
  it("formats bytes per second and hides unknown rates", () => {
    expect(formatRate(2.5 * 1024 * 1024)).toBe("2.5 MiB/s");
    expect(formatRate(500)).toBe("500 B/s");
    expect(formatRate(0)).toBe("");
    expect(formatRate(null)).toBe("");
    expect(formatRate(Number.POSITIVE_INFINITY)).toBe("");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [0.2, "1s"],
    [42.2, "43s"],
    [59, "59s"],
    [60, "1m 00s"],
    [185, "3m 05s"],
    [3600, "1h 00m"],
    [7500, "2h 05m"],
    [200_000, "2d 07h"],
    [100 * 86400, ">99d"],
  ])("%d s → %s", (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });

  it("is empty when unknown", () => {
    expect(formatDuration(null)).toBe("");
    expect(formatDuration(undefined)).toBe("");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("");
    expect(formatDuration(-5)).toBe("");
  });
});

describe("formatPercent", () => {
  it("never shows 100% before done", () => {
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(0.456)).toBe("45%");
    expect(formatPercent(0.9999)).toBe("99%");
    expect(formatPercent(1)).toBe("100%");
  });
});

describe("formatTimestamp / baseName", () => {
  it("formats local time", () => {
    const ms = new Date(2024, 4, 1, 13, 4, 5).getTime();
    expect(formatTimestamp(ms)).toBe("2024-05-01 13:04:05");
    expect(formatTimestamp(0)).toBe("");
  });

  it("takes the last segment of keys and paths", () => {
    expect(baseName("a/b/c.txt")).toBe("c.txt");
    expect(baseName("c.txt")).toBe("c.txt");
    expect(baseName("C:\\Users\\me\\x.bin")).toBe("x.bin");
    expect(baseName("photos/2024/")).toBe("2024");
  });
});

describe("formatShortTime / formatFullTime", () => {
  // Local times, so the expectations hold in every time zone.
  const at = (y: number, mo: number, d: number, hh = 0, mm = 0, ss = 0) => new Date(y, mo - 1, d, hh, mm, ss).getTime();
  const now = at(2026, 12, 2, 10, 0, 0);

  it.each([
    ["30 s ago", now - 30_000, "just now"],
    ["30 s ahead (clock skew)", now + 30_000, "just now"],
    ["5 min ago", now - 5 * 60_000, "5 min ago"],
    ["59 min 59 s ago", now - 3_599_000, "59 min ago"],
    ["earlier today", at(2026, 12, 2, 8, 5, 9), "today 08:05"],
    ["later today (clock skew)", at(2026, 12, 2, 15, 0), "today 15:00"],
    ["yesterday evening", at(2026, 12, 1, 23, 40, 12), "yesterday 23:40"],
    ["yesterday's first minute", at(2026, 12, 1, 0, 0, 0), "yesterday 00:00"],
    ["the day before yesterday", at(2026, 11, 30, 23, 59, 59), "2026-11-30"],
    ["a later day", at(2027, 1, 5, 12, 0), "2027-01-05"],
  ])("%s", (_what, ms, text) => {
    expect(formatShortTime(ms, now)).toBe(text);
  });

  it("is short enough for its column (never a full date and time)", () => {
    for (const ms of [now - 1, now - 3_000_000, at(2026, 12, 2, 0, 1), at(2026, 12, 1, 12, 0), at(2020, 1, 1)]) {
      expect(formatShortTime(ms, now).length).toBeLessThanOrEqual(15);
    }
  });

  it("counts days by the calendar: just after midnight, 23:50 the evening before is minutes ago, 18:00 is yesterday", () => {
    const newYear = at(2027, 1, 1, 0, 30);
    expect(formatShortTime(at(2026, 12, 31, 23, 50), newYear)).toBe("40 min ago");
    expect(formatShortTime(at(2026, 12, 31, 18, 0), newYear)).toBe("yesterday 18:00");
    expect(formatShortTime(at(2026, 12, 30, 18, 0), newYear)).toBe("2026-12-30");
  });

  it("uses the current time by default and leaves unknown times empty", () => {
    expect(formatShortTime(Date.now() - 10_000)).toBe("just now");
    expect(formatShortTime(0, now)).toBe("");
    expect(formatShortTime(Number.NaN, now)).toBe("");
  });

  it("the tooltip has the full local time with its UTC offset", () => {
    const ms = at(2026, 12, 1, 23, 40, 12);
    const off = -new Date(ms).getTimezoneOffset();
    const zone = `${off < 0 ? "-" : "+"}${String(Math.floor(Math.abs(off) / 60)).padStart(2, "0")}:${String(Math.abs(off) % 60).padStart(2, "0")}`;
    expect(formatFullTime(ms)).toBe(`2026-12-01 23:40:12 UTC${zone}`);
    expect(formatFullTime(0)).toBe("");
  });
});
