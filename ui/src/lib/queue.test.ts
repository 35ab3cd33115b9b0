import { describe, expect, it } from "vitest";

import type { EngineEvent } from "../bindings/EngineEvent";
import type { ItemStatus } from "../bindings/ItemStatus";
import {
  actionsFor,
  displayState,
  itemEta,
  itemFraction,
  itemSpeed,
  isFinishing,
  QueueStore,
  stateLabel,
  type QueueChange,
  type QueueItem,
} from "./queue";

/** A store whose flushes and timers run only when the test says so. */
function manualStore() {
  const frames: (() => void)[] = [];
  const timers: (() => void)[] = [];
  const store = new QueueStore({
    schedule: (f) => frames.push(f),
    setTimer: (f) => timers.push(f),
  });
  const changes: QueueChange[] = [];
  store.subscribe((c) => changes.push(c));
  const frame = () => {
    const fs = frames.splice(0);
    fs.forEach((f) => f());
  };
  return { store, frames, timers, changes, frame };
}

const queued = (id: number, size = 1000, key = `dir/file-${id}.bin`): EngineEvent => ({
  event: "queued",
  id,
  path: `/home/u/${key}`,
  bucket: "b",
  key,
  size,
});
const started = (id: number, size = 1000, resumed = false, parts_done = 0): EngineEvent => ({
  event: "started",
  id,
  key: `dir/file-${id}.bin`,
  size,
  parts_total: 4,
  parts_done,
  resumed,
});
const progress = (id: number, bytes_done: number, rate_bps: number, bytes_total = 1000): EngineEvent => ({
  event: "progress",
  id,
  bytes_done,
  bytes_total,
  rate_bps,
  parts_in_flight: 1,
});
const completed = (id: number, size = 1000): EngineEvent => ({
  event: "completed",
  id,
  bucket: "b",
  key: `dir/file-${id}.bin`,
  size,
  etag: null,
  checksum: "abc",
  verification: "crc32c",
  bytes_sent: size,
  bytes_resent: 0,
});
const status = (id: number, over: Partial<ItemStatus> = {}): ItemStatus => ({
  id,
  path: `/home/u/dir/file-${id}.bin`,
  bucket: "b",
  key: `dir/file-${id}.bin`,
  size: 1000,
  bytes_done: 0,
  state: "queued",
  priority: 0,
  error: null,
  waiting: null,
  ...over,
});

/** The parts of an item that matter to the user (drops the version counter). */
function view(it: Readonly<QueueItem> | undefined) {
  if (!it) return undefined;
  const { version: _v, ...rest } = it as QueueItem & { gone?: boolean; noticeSeq?: number };
  delete (rest as { noticeSeq?: number }).noticeSeq;
  return rest;
}
function dump(store: QueueStore) {
  return { items: store.items.map(view), totals: store.totals() };
}

describe("QueueStore events", () => {
  it("queued adds items in id order and counts them", () => {
    const { store } = manualStore();
    store.apply(queued(2));
    store.apply(queued(1));
    store.apply(queued(3));
    expect(store.items.map((i) => i.id)).toEqual([1, 2, 3]);
    expect(store.size).toBe(3);
    expect(store.byState().queued).toBe(3);
    expect(store.totals().bytesTotal).toBe(3000);
  });

  it("progress gives fraction, speed and ETA; totals follow", () => {
    const { store } = manualStore();
    store.apply(queued(1, 1000));
    store.apply(queued(2, 3000));
    store.apply(started(1));
    const it1 = store.get(1)!;
    expect(it1.state).toBe("running");
    expect(itemSpeed(it1)).toBeNull();
    expect(itemEta(it1)).toBeNull();

    store.apply(progress(1, 250, 50));
    expect(itemFraction(it1)).toBeCloseTo(0.25);
    expect(itemSpeed(it1)).toBe(50);
    expect(itemEta(it1)).toBeCloseTo(15); // 750 left at 50 B/s

    const t = store.totals();
    expect(t.bytesDone).toBe(250);
    expect(t.bytesTotal).toBe(4000);
    expect(t.fraction).toBeCloseTo(250 / 4000);
    expect(t.speed).toBe(50);
    expect(t.uploading).toBe(1);
    // remaining over queued + running: 750 + 3000 at 50 B/s
    expect(t.eta).toBeCloseTo(3750 / 50);
  });

  it("overall speed is the sum of running rates and drops when items stop", () => {
    const { store } = manualStore();
    for (const id of [1, 2, 3]) {
      store.apply(queued(id));
      store.apply(started(id));
    }
    store.apply(progress(1, 100, 10));
    store.apply(progress(2, 100, 20));
    store.apply(progress(3, 100, 30));
    expect(store.totals().speed).toBe(60);
    store.apply({ event: "paused", id: 2 });
    expect(store.totals().speed).toBe(40);
    expect(store.get(2)!.rate).toBe(0);
    store.apply(completed(3));
    expect(store.totals().speed).toBe(10);
    store.apply({ event: "idle" });
    expect(store.totals().speed).toBe(0);
    expect(store.totals().eta).toBeNull();
  });

  it("retrying shows attempt and reason until the next progress or part_done", () => {
    const { store } = manualStore();
    store.apply(queued(1));
    store.apply(started(1));
    store.apply(progress(1, 100, 10));
    store.apply({ event: "retrying", id: 1, attempt: 3, delay_ms: 500, reason: "connection reset", code: "store_busy", offline: false });
    const it = store.get(1)!;
    expect(it.state).toBe("running");
    expect(displayState(it)).toBe("retrying");
    expect(stateLabel(it)).toBe("retrying (attempt 3): connection reset");
    expect(store.byState().retrying).toBe(1);
    expect(store.byState().running).toBe(0);
    expect(store.totals().uploading).toBe(1);
    // no transfer while waiting to retry: no speed, no ETA
    expect(itemSpeed(it)).toBeNull();
    expect(itemEta(it)).toBeNull();
    expect(store.totals().speed).toBe(0);

    store.apply({ event: "part_done", id: 1, part: 1, size: 100 });
    expect(itemSpeed(it)).toBe(10);
    expect(displayState(it)).toBe("running");
    expect(stateLabel(it)).toBe("uploading");
    expect(store.byState().running).toBe(1);
    expect(store.byState().retrying).toBe(0);

    store.apply({ event: "retrying", id: 1, attempt: 4, delay_ms: 500, reason: "timeout", code: "store_busy", offline: false });
    store.apply(progress(1, 200, 10));
    expect(stateLabel(it)).toBe("uploading");
  });

  it("a network failure says 'waiting for network' in words, not only an attempt number", () => {
    const { store } = manualStore();
    store.apply(queued(1));
    store.apply(started(1));
    const reason = "cannot reach the store: connection refused";
    store.apply({ event: "retrying", id: 1, attempt: 2, delay_ms: 4000, reason, code: "network", offline: true });
    expect(stateLabel(store.get(1)!)).toBe(`waiting for network (attempt 2): ${reason}`);
    store.apply(progress(1, 200, 10));
    expect(stateLabel(store.get(1)!)).toBe("uploading");
  });

  it("all bytes sent: 'finishing' with no speed or time left until completed", () => {
    const { store } = manualStore();
    store.apply(queued(1, 1000));
    store.apply(queued(2, 1000));
    store.apply(started(1));
    store.apply(started(2));
    store.apply(progress(1, 600, 100));
    store.apply(progress(2, 300, 50));
    const it = store.get(1)!;
    expect(stateLabel(it)).toBe("uploading");

    // The last part is stored; Complete and verification run now (seconds, no bytes).
    store.apply(progress(1, 1000, 100));
    expect(it.state).toBe("running");
    expect(displayState(it)).toBe("running");
    expect(isFinishing(it)).toBe(true);
    expect(stateLabel(it)).toBe("finishing");
    expect(itemFraction(it)).toBe(1);
    expect(itemSpeed(it)).toBeNull();
    expect(itemEta(it)).toBeNull(); // not "0s"
    expect(store.totals().speed).toBe(50); // only item 2 is still sending
    expect(store.totals().uploading).toBe(2);

    // A retry of the Complete request says so instead.
    store.apply({ event: "retrying", id: 1, attempt: 2, delay_ms: 100, reason: "503", code: "store_busy", offline: false });
    expect(isFinishing(it)).toBe(false);
    expect(stateLabel(it)).toBe("retrying (attempt 2): 503");
    store.apply({ event: "part_done", id: 1, part: 4, size: 250 });
    expect(stateLabel(it)).toBe("finishing");

    store.apply(completed(1));
    expect(isFinishing(it)).toBe(false);
    expect(stateLabel(it)).toBe("verified");
  });

  it("the engine's finishing steps show as 'finishing' then 'verifying'", () => {
    const { store } = manualStore();
    store.apply(queued(1, 1000));
    store.apply(started(1));
    store.apply(progress(1, 1000, 100));
    const it = store.get(1)!;
    store.apply({ event: "finishing", id: 1, step: "completing" });
    expect(stateLabel(it)).toBe("finishing");
    store.apply({ event: "finishing", id: 1, step: "verifying" });
    expect(stateLabel(it)).toBe("verifying");
    expect(itemEta(it)).toBeNull();
    store.apply(completed(1));
    expect(stateLabel(it)).toBe("verified");
    expect(it.step).toBeNull();
    // A restart (the file changed) starts over: no stale step.
    store.apply(queued(2, 1000));
    store.apply(started(2));
    store.apply({ event: "finishing", id: 2, step: "verifying" });
    store.apply({ event: "restarted", id: 2, reason: "the file changed" });
    store.apply(started(2));
    store.apply(progress(2, 10, 100));
    expect(store.get(2)!.step).toBeNull();
    expect(isFinishing(store.get(2)!)).toBe(false);
  });

  it("a snapshot or resumed start with every part stored is finishing", () => {
    const { store } = manualStore();
    store.applySnapshot([status(1, { state: "running", bytes_done: 1000 }), status(2, { state: "paused", bytes_done: 1000 })]);
    expect(stateLabel(store.get(1)!)).toBe("finishing");
    expect(stateLabel(store.get(2)!)).toBe("paused"); // only a running item is finishing
    store.apply(started(2, 1000, true, 4));
    expect(stateLabel(store.get(2)!)).toBe("finishing");
  });

  it("failed keeps the reason; retry (queued again) resets it", () => {
    const { store } = manualStore();
    store.apply(queued(1));
    store.apply(started(1));
    store.apply(progress(1, 500, 10));
    store.apply({ event: "failed", id: 1, key: "dir/file-1.bin", error: { code: "auth", message: "access denied" } });
    const it = store.get(1)!;
    expect(it.state).toBe("failed");
    expect(it.errorCode).toBe("auth");
    expect(stateLabel(it)).toBe("failed: access denied");
    expect(actionsFor(it.state)).toEqual(["retry", "remove"]);
    expect(store.totals().speed).toBe(0);
    expect(store.totals().bytesDone).toBe(500); // partial bytes still count

    store.apply(queued(1));
    expect(it.state).toBe("queued");
    expect(it.error).toBeNull();
    expect(it.bytesDone).toBe(0);
    expect(store.byState().failed).toBe(0);
    expect(store.byState().queued).toBe(1);
    expect(store.totals().bytesDone).toBe(0);
  });

  it("skipped shows its reason and counts as done", () => {
    const { store } = manualStore();
    store.apply(queued(1, 800));
    store.apply({ event: "skipped", id: 1, key: "dir/file-1.bin", reason: "already uploaded" });
    const it = store.get(1)!;
    expect(stateLabel(it)).toBe("skipped: already uploaded");
    expect(itemFraction(it)).toBe(1);
    expect(store.totals().finished).toBe(1);
    expect(store.totals().fraction).toBe(1);
  });

  it("completed → verified with full bytes; cancelled is left out of byte totals", () => {
    const { store } = manualStore();
    store.apply(queued(1, 1000));
    store.apply(queued(2, 5000));
    store.apply(started(1));
    store.apply(completed(1));
    store.apply({ event: "cancelled", id: 2 });
    expect(store.get(1)!.state).toBe("verified");
    expect(store.get(1)!.bytesDone).toBe(1000);
    const t = store.totals();
    expect(t.bytesTotal).toBe(1000);
    expect(t.fraction).toBe(1);
    expect(t.counted).toBe(1);
    expect(t.finished).toBe(1);
    expect(actionsFor("cancelled")).toEqual(["retry", "remove"]);
  });

  it("completed without read permission → landed, not verified, and no link offered", () => {
    const { store } = manualStore();
    store.apply(queued(1, 1000));
    store.apply(started(1));
    store.apply({ ...completed(1), verification: "no_read_permission" } as EngineEvent);
    const it1 = store.get(1)!;
    expect(it1.state).toBe("landed");
    expect(stateLabel(it1)).toBe("landed, not verified: no read permission");
    expect(store.byState().verified).toBe(0);
    expect(store.byState().landed).toBe(1);
    expect(store.totals().finished).toBe(1);
    expect(itemFraction(it1)).toBe(1);
    expect(actionsFor("landed")).toEqual(["remove"]);
  });

  it("removed drops the row and its totals", () => {
    const { store, changes, frame } = manualStore();
    store.apply(queued(1));
    store.apply(queued(2));
    store.apply(queued(3));
    frame();
    store.apply(completed(2));
    store.apply({ event: "removed", id: 2 });
    expect(store.get(2)).toBeUndefined();
    expect(store.items.map((i) => i.id)).toEqual([1, 3]);
    expect(store.totals().items).toBe(2);
    expect(store.totals().bytesTotal).toBe(2000);
    expect(store.byState().verified).toBe(0);
    frame();
    expect(changes[changes.length - 1]).toEqual({ structural: true, finished: true });
  });

  it("restarted resets bytes and shows the reason briefly", () => {
    const { store, timers } = manualStore();
    store.apply(queued(1));
    store.apply(started(1));
    store.apply(progress(1, 600, 10));
    store.apply({ event: "restarted", id: 1, reason: "upload id expired" });
    const it = store.get(1)!;
    expect(it.bytesDone).toBe(0);
    expect(stateLabel(it)).toBe("restarted: upload id expired");
    expect(store.totals().bytesDone).toBe(0);
    expect(timers).toHaveLength(1);
    timers[0]!();
    expect(stateLabel(it)).toBe("uploading");
  });

  it("ignores events for unknown ids", () => {
    const { store } = manualStore();
    store.apply(progress(9, 10, 10));
    store.apply({ event: "removed", id: 9 });
    expect(store.size).toBe(0);
    expect(store.totals().bytesDone).toBe(0);
  });

  it("a resumed start keeps the bytes already done", () => {
    const { store } = manualStore();
    store.applySnapshot([status(1, { state: "paused", bytes_done: 500 })]);
    store.apply(started(1, 1000, true, 2));
    expect(store.get(1)!.bytesDone).toBe(500);
    expect(store.get(1)!.resumed).toBe(true);
  });
});

describe("QueueStore snapshots", () => {
  it("applying the same events twice gives the same state", () => {
    const events: EngineEvent[] = [
      queued(1),
      queued(2),
      started(1),
      progress(1, 400, 100),
      { event: "retrying", id: 1, attempt: 2, delay_ms: 100, reason: "503", code: "store_busy", offline: false },
      completed(2),
      { event: "failed", id: 1, key: "dir/file-1.bin", error: { code: "network", message: "unreachable" } },
    ];
    const a = manualStore().store;
    for (const e of events) a.apply(e);
    const once = dump(a);
    for (const e of events) a.apply(e);
    expect(dump(a)).toEqual(once);
  });

  it("applying the same snapshot twice gives the same state", () => {
    const snap = [status(1, { state: "running", bytes_done: 300 }), status(2, { state: "failed", error: "boom" }), status(5)];
    const { store } = manualStore();
    store.applySnapshot(snap);
    const once = dump(store);
    store.applySnapshot(snap);
    expect(dump(store)).toEqual(once);
    expect(stateLabel(store.get(2)!)).toBe("failed: boom");
    expect(store.totals().bytesDone).toBe(300);
  });

  it("a snapshot replaces the list: missing ids go, present ones update", () => {
    const { store } = manualStore();
    store.apply(queued(1));
    store.apply(queued(2));
    store.apply(queued(3));
    store.applySnapshot([status(2, { state: "verified", bytes_done: 1000 }), status(4)]);
    expect(store.items.map((i) => i.id)).toEqual([2, 4]);
    expect(store.get(2)!.state).toBe("verified");
    expect(store.byState()).toMatchObject({ queued: 1, verified: 1 });
    expect(store.totals().bytesTotal).toBe(2000);
  });

  it("keeps a running item's rate across a snapshot that still has it running", () => {
    const { store } = manualStore();
    store.apply(queued(1));
    store.apply(started(1));
    store.apply(progress(1, 100, 42));
    store.applySnapshot([status(1, { state: "running", bytes_done: 150 })]);
    expect(store.get(1)!.rate).toBe(42);
    expect(store.get(1)!.bytesDone).toBe(150);
  });

  it("events during a snapshot request end the same whichever arrives first", () => {
    // The snapshot was taken after item 1 started and before it completed;
    // item 2 was queued after the snapshot was taken.
    const snap = [status(1, { state: "running", bytes_done: 200 })];
    const during: EngineEvent[] = [started(1), progress(1, 200, 10), completed(1), queued(2)];

    const eventsFirst = manualStore().store;
    eventsFirst.beginSnapshot();
    for (const e of during) eventsFirst.apply(e);
    eventsFirst.applySnapshot(snap);

    const snapFirst = manualStore().store;
    snapFirst.beginSnapshot();
    snapFirst.applySnapshot(snap);
    for (const e of during) snapFirst.apply(e);

    expect(dump(eventsFirst)).toEqual(dump(snapFirst));
    expect(eventsFirst.get(1)!.state).toBe("verified");
    expect(eventsFirst.items.map((i) => i.id)).toEqual([1, 2]);
  });
});

describe("QueueStore coalescing", () => {
  it("notifies once per frame however many events arrive", () => {
    const { store, frames, changes, frame } = manualStore();
    for (let i = 1; i <= 100; i++) store.apply(queued(i));
    for (let i = 1; i <= 100; i++) store.apply(started(i));
    expect(frames).toHaveLength(1);
    expect(changes).toHaveLength(0);
    frame();
    expect(changes).toEqual([{ structural: true, finished: false }]);

    store.apply(progress(5, 10, 10));
    store.apply(progress(6, 10, 10));
    frame();
    expect(changes).toHaveLength(2);
    expect(changes[1]).toEqual({ structural: false, finished: false });

    frame(); // nothing pending: no call
    expect(changes).toHaveLength(2);
  });

  it("handles 10,000 items and 100,000 progress events quickly", () => {
    const { store, frames, frame } = manualStore();
    const N = 10_000;
    const E = 100_000;
    const t0 = performance.now();
    const snap: ItemStatus[] = [];
    for (let id = 1; id <= N; id++) snap.push(status(id, { size: 1_000_000 }));
    store.applySnapshot(snap);
    for (let id = 1; id <= N; id++) store.apply(started(id, 1_000_000));
    const t1 = performance.now();
    for (let i = 0; i < E; i++) {
      const id = (i % N) + 1;
      const done = Math.floor((i / E) * 1_000_000);
      store.apply(progress(id, done, 1000 + (i % 7), 1_000_000));
    }
    const t2 = performance.now();
    expect(frames.length).toBe(1);
    frame();
    const totals = store.totals();
    const t3 = performance.now();
    console.log(
      `[perf] ${N} items: snapshot+start ${(t1 - t0).toFixed(1)} ms; ` +
        `${E} progress events ${(t2 - t1).toFixed(1)} ms (${(((t2 - t1) * 1000) / E).toFixed(2)} µs/event); ` +
        `flush+totals ${(t3 - t2).toFixed(1)} ms`,
    );
    expect(totals.items).toBe(N);
    expect(totals.uploading).toBe(N);
    // Last progress per item: i = E - N + id - 1
    let expectDone = 0;
    for (let id = 1; id <= N; id++) expectDone += Math.floor(((E - N + id - 1) / E) * 1_000_000);
    expect(totals.bytesDone).toBe(expectDone);
    expect(t2 - t1).toBeLessThan(1000);
  });
});
