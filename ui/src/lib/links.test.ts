import { describe, expect, it } from "vitest";

import type { ShareLink } from "../bindings/ShareLink";
import { breadcrumbs, copiedMessage, describeExpiry, EXPIRY_PRESETS, formatSpan, isExpired, isThisComputerOnly, parseSizeLimit } from "./links";

const link = (over: Partial<ShareLink> = {}): ShareLink => ({
  id: 1,
  url: "http://s3/b/k?X-Amz-Signature=x",
  method: "get",
  endpoint: null,
  bucket: "b",
  key: "k",
  content_type: null,
  disposition: null,
  created_at: 0,
  expires_at: 3_600_000,
  limited_by_credentials: false,
  ...over,
});

describe("links", () => {
  it("presets run from 15 minutes to SigV4's 7 days", () => {
    expect(EXPIRY_PRESETS[0]!.seconds).toBe(900);
    expect(EXPIRY_PRESETS[EXPIRY_PRESETS.length - 1]!.seconds).toBe(7 * 86400);
    const secs = EXPIRY_PRESETS.map((p) => p.seconds);
    expect([...secs].sort((a, b) => a - b)).toEqual(secs);
  });

  it("spans read naturally", () => {
    expect(formatSpan(30_000)).toBe("30 s");
    expect(formatSpan(15 * 60_000)).toBe("15 min");
    expect(formatSpan(90 * 60_000)).toBe("1.5 h");
    expect(formatSpan(7 * 86_400_000)).toBe("7 d");
  });

  it("says when temporary credentials cut a link short", () => {
    const free = describeExpiry({ requested_expires_at: 3_600_000, expires_at: 3_600_000, limited_by_credentials: false, credentials_expire_at: null }, 0);
    expect(free).toContain("1 h");
    expect(free).not.toContain("credentials");
    const cut = describeExpiry({ requested_expires_at: 86_400_000, expires_at: 600_000, limited_by_credentials: true, credentials_expire_at: 600_000 }, 0);
    expect(cut).toContain("10 min");
    expect(cut).toContain("temporary credentials");
  });

  it("the copy toast carries the expiry", () => {
    expect(copiedMessage(link(), 0)).toMatch(/^Link copied — valid 1 h, until /);
    expect(copiedMessage(link({ method: "put", limited_by_credentials: true }), 0)).toMatch(/^Upload link copied.*limited/);
    expect(isExpired(link(), 3_600_000)).toBe(true);
    expect(isExpired(link(), 0)).toBe(false);
  });

  it("says when a link works on this computer only", () => {
    expect(isThisComputerOnly({ url: "http://127.0.0.1:4100/hoist/a.txt?X-Amz-Signature=x" })).toBe(true);
    expect(isThisComputerOnly({ url: "http://localhost:9000/b/k" })).toBe(true);
    expect(isThisComputerOnly({ url: "http://[::1]:9000/b/k" })).toBe(true);
    expect(isThisComputerOnly({ url: "https://b.s3.amazonaws.com/k" })).toBe(false);
    expect(isThisComputerOnly({ url: "http://127.example.com/k" })).toBe(false);
    expect(isThisComputerOnly({ url: "not a url" })).toBe(false);
    expect(copiedMessage(link({ url: "http://127.0.0.1:4100/hoist/k" }), 0)).toMatch(/works on this computer only$/);
    expect(copiedMessage(link(), 0)).not.toMatch(/this computer/);
  });

  it("breadcrumbs open each folder level", () => {
    expect(breadcrumbs("photos-bucket", "")).toEqual([{ label: "photos-bucket", prefix: "" }]);
    expect(breadcrumbs("b", "a/b c/")).toEqual([
      { label: "b", prefix: "" },
      { label: "a", prefix: "a/" },
      { label: "b c", prefix: "a/b c/" },
    ]);
  });

  it("size limits parse like the CLI's", () => {
    expect(parseSizeLimit("")).toBeNull();
    expect(parseSizeLimit("100MiB")).toBe(100 * 1024 * 1024);
    expect(parseSizeLimit("5 MB")).toBe(5_000_000);
    expect(parseSizeLimit("2048")).toBe(2048);
    expect(parseSizeLimit("lots")).toBeUndefined();
  });
});
