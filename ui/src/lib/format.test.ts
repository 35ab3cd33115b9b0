import { describe, expect, it } from "vitest";

import { baseName, formatBytes, formatDuration, formatPercent, formatRate, formatTimestamp } from "./format";

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
