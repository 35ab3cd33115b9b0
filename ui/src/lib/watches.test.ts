import { describe, expect, it } from "vitest";

import type { WatchStatus } from "../bindings/WatchStatus";
import { WatchStore, describePatterns, describeTarget, describeWatch, parsePatterns } from "./watches";

const status = (over: Partial<WatchStatus> = {}): WatchStatus => ({
  id: 1,
  root: "/home/u/Screenshots",
  bucket: "b",
  prefix: "shots/",
  enabled: true,
  delete_remote: false,
  phase: "watching",
  pending: 0,
  uploading: 0,
  synced_files: 3,
  last_synced_at: null,
  failures: 0,
  profile: null,
  include: [],
  exclude: [],
  retrying: 0,
  held_deletions: 0,
  cannot_read: [],
  error: null,
  ...over,
});

describe("watch store", () => {
  it("takes a snapshot, then watch events, and ignores other events", () => {
    const store = new WatchStore();
    let changes = 0;
    store.subscribe(() => changes++);
    store.setAll([status({ id: 2 }), status({ id: 1 })]);
    expect(store.list().map((w) => w.id)).toEqual([1, 2]);
    store.apply({ event: "watch", status: status({ id: 2, pending: 5 }) });
    store.apply({ event: "idle" });
    expect(store.list()[1]!.pending).toBe(5);
    expect(changes).toBe(2);
    store.remove(1);
    store.remove(1);
    expect(store.list().map((w) => w.id)).toEqual([2]);
    expect(changes).toBe(3);
  });
});

describe("describeWatch", () => {
  const now = 1_000_000_000;
  it("says what a person needs: pending, synced, when, failures, errors", () => {
    expect(describeWatch(status(), now)).toBe("Watching · 3 synced");
    expect(describeWatch(status({ pending: 4, uploading: 2, last_synced_at: now - 5 * 60_000, failures: 1 }), now)).toBe(
      "4 pending · 2 uploading · 3 synced · last synced 5 min ago · 1 failed",
    );
    expect(describeWatch(status({ phase: "scanning" }), now)).toBe("Scanning · 3 synced");
    expect(describeWatch(status({ enabled: false, phase: "paused" }), now)).toBe("Paused");
    expect(describeWatch(status({ phase: "error", error: "the folder /x is missing" }), now)).toBe("the folder /x is missing");
  });
});

describe("targets and patterns in words", () => {
  it("names the local store or the profile, and the patterns against the defaults", () => {
    expect(describeTarget(status({ profile: "hoist-local", bucket: "hoist", prefix: "" }))).toBe("Local store · s3://hoist/");
    expect(describeTarget(status({ profile: "work", bucket: "photos", prefix: "cam/" }))).toBe("Profile work · s3://photos/cam/");
    const defaults = ["*.tmp", "*.part"];
    expect(describePatterns(status({ exclude: ["*.tmp", "*.part"] }), defaults)).toBe("every file, skipping temporary and partial files");
    expect(describePatterns(status({ include: ["*.jpg"], exclude: [] }), defaults)).toBe("only *.jpg, skipping nothing");
    expect(describePatterns(status({ exclude: ["raw/**"] }), defaults)).toBe("every file, skipping raw/**");
    expect(parsePatterns(" *.jpg \n\n raw/** \n")).toEqual(["*.jpg", "raw/**"]);
    expect(describeWatch(status({ retrying: 2 }), 0)).toContain("2 refused by the store, retrying later");
  });
});
