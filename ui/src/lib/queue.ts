// Queue state: the UI's model of the engine's upload queue.
//
// Pure logic, no DOM. Items live in a Map by id plus an array in id order.
// Every event does O(1) work: it updates the item in place and keeps running
// totals (counts by state, bytes) exact by subtracting the item's contribution
// before the change and adding it back after. Listeners are not called per
// event: the first change schedules one flush (an animation frame by default)
// and every further change until then rides along with it.

import type { EngineEvent } from "../bindings/EngineEvent";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { FinishStep } from "../bindings/FinishStep";
import type { ItemState } from "../bindings/ItemState";
import type { ItemStatus } from "../bindings/ItemStatus";
import type { Verification } from "../bindings/Verification";
import { baseName } from "./format";

/** What a row shows: the engine's state, except a running item that is retrying. */
export type DisplayState = ItemState | "retrying";

export const DISPLAY_STATES: readonly DisplayState[] = [
  "queued",
  "running",
  "retrying",
  "paused",
  "verified",
  "landed",
  "skipped",
  "failed",
  "cancelled",
];

export type ItemAction = "pause" | "resume" | "cancel" | "retry" | "remove" | "copy-link" | "copy-when-done";

export interface RetryInfo {
  attempt: number;
  reason: string;
  delayMs: number;
  /** The store cannot be reached: the row says "waiting for network". */
  network: boolean;
}

export interface QueueItem {
  readonly id: number;
  path: string;
  bucket: string;
  key: string;
  size: number;
  bytesDone: number;
  state: ItemState;
  priority: number;
  /** Why it failed (state "failed"). */
  error: string | null;
  errorCode: ErrorCode | null;
  /** Why it was skipped (state "skipped"). */
  skipReason: string | null;
  /** Bytes per second from the latest progress event; 0 when unknown. */
  rate: number;
  /** Set by a `retrying` event, cleared by the next progress/part_done or state change. */
  retry: RetryInfo | null;
  /** Reason of the latest `restarted` event, shown for a short while. */
  notice: string | null;
  /** Set by a `finishing` event: every byte is sent, the engine completes or verifies. */
  step: FinishStep | null;
  resumed: boolean;
  partsTotal: number;
  verification: Verification | null;
  bytesResent: number;
  /** Bumped on every change; views compare it to skip re-rendering unchanged rows. */
  version: number;
}

export interface QueueTotals {
  items: number;
  byState: Record<DisplayState, number>;
  /** verified + landed + skipped */
  finished: number;
  /** items that count towards "X of Y": all but cancelled */
  counted: number;
  /** running, including retrying */
  uploading: number;
  bytesDone: number;
  bytesTotal: number;
  fraction: number;
  /** bytes/s, sum of the rates of running items that are not retrying or finishing */
  speed: number;
  /** seconds, null when unknown */
  eta: number | null;
}

export interface QueueChange {
  /** Items were added, removed or reordered (list length/order may differ). */
  structural: boolean;
  /** Some item reached a final state (verified, landed, skipped, failed, cancelled) or was removed. */
  finished: boolean;
}

export type QueueListener = (change: QueueChange) => void;

export interface QueueStoreOptions {
  /** Runs the coalesced flush later; default: requestAnimationFrame (or a 16 ms timeout). */
  schedule?: (flush: () => void) => void;
  /** Timer for expiring restart notices; default: setTimeout. */
  setTimer?: (fn: () => void, ms: number) => void;
  /** How long a restart reason stays visible, ms. */
  noticeMs?: number;
}

const FINAL: ReadonlySet<ItemState> = new Set<ItemState>(["verified", "landed", "skipped", "failed", "cancelled"]);

export function isFinal(state: ItemState): boolean {
  return FINAL.has(state);
}

/** The URL a fetched item comes from (the engine keeps it as the item's path), or null for a local file. */
export function urlSource(it: Readonly<QueueItem>): string | null {
  return /^https?:\/\//i.test(it.path) ? it.path : null;
}

/** The row's name: the key's last segment, and for a URL the host it comes from. */
export function itemName(it: Readonly<QueueItem>): string {
  const name = baseName(it.key || it.path);
  const url = urlSource(it);
  if (!url) return name;
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the raw URL
  }
  return `${name} · from ${host}`;
}

/** The row's tooltip: where it lands, and where its bytes come from. */
export function itemTitle(it: Readonly<QueueItem>): string {
  const dest = `${it.bucket}/${it.key}`;
  const url = urlSource(it);
  if (url) return `${dest}\nfrom ${url}`;
  return it.path && it.path !== it.key ? `${dest}\n${it.path}` : dest;
}

export function displayState(it: Readonly<QueueItem>): DisplayState {
  return it.state === "running" && it.retry ? "retrying" : it.state;
}

export function itemFraction(it: Readonly<QueueItem>): number {
  if (it.state === "verified" || it.state === "landed" || it.state === "skipped") return 1;
  if (it.size <= 0) return 0;
  return Math.min(1, Math.max(0, it.bytesDone / it.size));
}

/**
 * A running item whose bytes are all sent: the engine is completing the upload
 * (CompleteMultipartUpload) and verifying it, which takes seconds for a big file.
 * No bytes move in this step, so it has no speed or time left.
 */
export function isFinishing(it: Readonly<QueueItem>): boolean {
  return it.state === "running" && !it.retry && (it.step !== null || (it.size > 0 && it.bytesDone >= it.size));
}

/** Bytes/s while running, null otherwise, while retrying or finishing, or when no rate is known yet. */
export function itemSpeed(it: Readonly<QueueItem>): number | null {
  return it.state === "running" && !it.retry && it.rate > 0 && !isFinishing(it) ? it.rate : null;
}

/** Seconds left while running, null when unknown. */
export function itemEta(it: Readonly<QueueItem>): number | null {
  const speed = itemSpeed(it);
  if (speed === null) return null;
  return Math.max(0, it.size - it.bytesDone) / speed;
}

export function stateLabel(it: Readonly<QueueItem>): string {
  switch (it.state) {
    case "queued":
      return it.notice ? `queued · restarted: ${it.notice}` : "queued";
    case "running":
      if (it.retry?.network) return `waiting for network (attempt ${it.retry.attempt}): ${it.retry.reason}`;
      if (it.retry) return `retrying (attempt ${it.retry.attempt}): ${it.retry.reason}`;
      if (it.notice) return `restarted: ${it.notice}`;
      if (!isFinishing(it)) return "uploading";
      return it.step === "verifying" ? "verifying" : "finishing";
    case "paused":
      return "paused";
    case "verified":
      return "verified";
    case "landed":
      // Write-only credentials: the store took it, nothing could read it back.
      return "landed, not verified: no read permission";
    case "skipped":
      return it.skipReason ? `skipped: ${it.skipReason}` : "skipped";
    case "failed":
      return it.error ? `failed: ${it.error}` : "failed";
    case "cancelled":
      return "cancelled";
  }
}

export function actionsFor(state: ItemState): ItemAction[] {
  switch (state) {
    case "queued":
    case "running":
      return ["copy-when-done", "pause", "cancel"];
    case "paused":
      return ["copy-when-done", "resume", "cancel"];
    case "failed":
      return ["retry", "remove"];
    case "verified":
      return ["copy-link", "remove"];
    case "landed":
      // A link needs read permission, which these credentials lack.
      return ["remove"];
    case "cancelled":
      return ["retry", "remove"];
    case "skipped":
      return ["remove"];
  }
}

function emptyCounts(): Record<DisplayState, number> {
  return {
    queued: 0,
    running: 0,
    retrying: 0,
    paused: 0,
    verified: 0,
    landed: 0,
    skipped: 0,
    failed: 0,
    cancelled: 0,
  };
}

function defaultSchedule(flush: () => void): void {
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => flush());
  else setTimeout(flush, 16);
}

function newItem(id: number): QueueItem {
  return {
    id,
    path: "",
    bucket: "",
    key: "",
    size: 0,
    bytesDone: 0,
    state: "queued",
    priority: 0,
    error: null,
    errorCode: null,
    skipReason: null,
    rate: 0,
    retry: null,
    notice: null,
    step: null,
    resumed: false,
    partsTotal: 0,
    verification: null,
    bytesResent: 0,
    version: 0,
  };
}

interface Internal extends QueueItem {
  /** Set when removed; the order array drops it at the next compaction. */
  gone?: boolean;
  noticeSeq?: number;
}

export class QueueStore {
  private readonly byId = new Map<number, Internal>();
  private order: Internal[] = [];
  private orderDirty = false;
  private readonly running = new Set<Internal>();
  private readonly counts = emptyCounts();
  private bytesDone = 0;
  private bytesTotal = 0;
  /** size - done over queued and running items: what is still to send. */
  private remaining = 0;

  private readonly listeners = new Set<QueueListener>();
  private scheduled = false;
  private pending: QueueChange = { structural: false, finished: false };
  /** Events seen while a snapshot is in flight; replayed on top of it. */
  private replay: EngineEvent[] | null = null;
  private noticeSeq = 0;

  private readonly schedule: (flush: () => void) => void;
  private readonly setTimer: (fn: () => void, ms: number) => void;
  private readonly noticeMs: number;

  constructor(opts: QueueStoreOptions = {}) {
    this.schedule = opts.schedule ?? defaultSchedule;
    this.setTimer = opts.setTimer ?? ((fn, ms) => void setTimeout(fn, ms));
    this.noticeMs = opts.noticeMs ?? 5000;
  }

  // ---- reading -------------------------------------------------------------

  get size(): number {
    return this.byId.size;
  }

  /** Items in id order. The array is owned by the store: do not mutate it. */
  get items(): readonly Readonly<QueueItem>[] {
    this.compact();
    return this.order;
  }

  get(id: number): Readonly<QueueItem> | undefined {
    return this.byId.get(id);
  }

  /** Counts by display state (all keys present). */
  byState(): Record<DisplayState, number> {
    return { ...this.counts };
  }

  totals(): QueueTotals {
    let speed = 0;
    for (const it of this.running) if (!it.retry && !isFinishing(it)) speed += it.rate;
    const c = this.counts;
    const items = this.byId.size;
    const counted = items - c.cancelled;
    const finished = c.verified + c.landed + c.skipped;
    const fraction =
      this.bytesTotal > 0 ? Math.min(1, this.bytesDone / this.bytesTotal) : counted > 0 ? finished / counted : 0;
    return {
      items,
      byState: { ...c },
      finished,
      counted,
      uploading: c.running + c.retrying,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      fraction,
      speed,
      eta: speed > 0 && this.remaining > 0 ? this.remaining / speed : null,
    };
  }

  /** Listen for coalesced changes; returns an unsubscribe function. */
  subscribe(fn: QueueListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  // ---- writing -------------------------------------------------------------

  /**
   * Call before requesting a snapshot (`list_queue`). Events keep applying as
   * usual and are also recorded, then replayed on top of the snapshot, so the
   * result does not depend on whether an event or the snapshot arrived first.
   */
  beginSnapshot(): void {
    if (!this.replay) this.replay = [];
  }

  /** The snapshot request failed: stop recording events for it. */
  abortSnapshot(): void {
    this.replay = null;
  }

  /** Replace the whole queue with a `list_queue` result. */
  applySnapshot(items: readonly ItemStatus[]): void {
    const buffered = this.replay;
    this.replay = null;
    const seen = new Set<number>();
    for (const s of items) {
      seen.add(s.id);
      let it = this.byId.get(s.id);
      if (!it) it = this.insert(s.id);
      else this.account(it, -1);
      const wasRunning = it.state === "running";
      it.path = s.path;
      it.bucket = s.bucket;
      it.key = s.key;
      it.size = s.size;
      it.bytesDone = s.bytes_done;
      it.state = s.state;
      it.priority = s.priority;
      if (s.state === "failed") {
        it.error = s.error;
      } else {
        it.error = null;
        it.errorCode = null;
      }
      it.skipReason = s.state === "skipped" ? (s.error ?? it.skipReason) : null;
      if (!(wasRunning && s.state === "running")) {
        it.rate = 0;
        it.retry = null;
      }
      this.account(it, +1);
      it.version++;
    }
    for (const it of [...this.byId.values()]) if (!seen.has(it.id)) this.remove(it);
    this.touch(true, true);
    if (buffered) for (const ev of buffered) this.applyOne(ev);
  }

  /** Apply one engine event. */
  apply(ev: EngineEvent): void {
    if (this.replay) {
      // Bounded: past this many the snapshot will be close to current anyway.
      if (this.replay.length < 200_000) this.replay.push(ev);
    }
    this.applyOne(ev);
  }

  /** Run a pending flush now (tests, or before reading after a burst). */
  flushNow(): void {
    if (this.scheduled) this.flush();
  }

  // ---- internals -----------------------------------------------------------

  private applyOne(ev: EngineEvent): void {
    if (ev.event === "idle") {
      for (const it of this.running) {
        if (it.rate !== 0) {
          it.rate = 0;
          it.version++;
        }
      }
      this.touch(false, false);
      return;
    }
    if (ev.event === "queued") {
      let it = this.byId.get(ev.id);
      const created = !it;
      if (!it) it = this.insert(ev.id);
      else this.account(it, -1);
      it.path = ev.path;
      it.bucket = ev.bucket;
      it.key = ev.key;
      it.size = ev.size;
      it.bytesDone = 0;
      it.state = "queued";
      it.error = null;
      it.errorCode = null;
      it.skipReason = null;
      it.rate = 0;
      it.retry = null;
      it.verification = null;
      it.bytesResent = 0;
      it.resumed = false;
      this.account(it, +1);
      it.version++;
      this.touch(created, false);
      return;
    }

    if (ev.event === "watch" || ev.event === "held") return; // watched folders have their own store; a hold shows in a banner
    const it = this.byId.get(ev.id);
    if (!it) return; // not known (yet): the next snapshot brings it
    if (ev.event === "removed") {
      this.remove(it);
      this.touch(true, true);
      return;
    }

    this.account(it, -1);
    let finished = false;
    switch (ev.event) {
      case "started":
        it.state = "running";
        it.step = null;
        it.key = ev.key;
        it.size = ev.size;
        it.partsTotal = ev.parts_total;
        it.resumed = ev.resumed;
        if (!ev.resumed && ev.parts_done === 0) it.bytesDone = 0;
        it.error = null;
        it.errorCode = null;
        it.retry = null;
        break;
      case "progress":
        if (isFinal(it.state)) break;
        it.bytesDone = ev.bytes_done;
        if (ev.bytes_total > 0) it.size = ev.bytes_total;
        if (it.state === "queued") it.state = "running";
        if (it.state === "running") it.rate = ev.rate_bps;
        it.retry = null;
        break;
      case "part_done":
        if (it.state === "running") it.retry = null;
        break;
      case "retrying":
        if (isFinal(it.state)) break;
        it.state = "running";
        it.retry = { attempt: ev.attempt, reason: ev.reason, delayMs: ev.delay_ms, network: ev.code === "network" || ev.offline };
        break;
      case "paused":
        it.state = "paused";
        it.retry = null;
        break;
      case "finishing":
        if (it.state === "running") it.step = ev.step;
        break;
      case "restarted":
        it.bytesDone = 0;
        it.step = null;
        it.notice = ev.reason;
        this.expireNotice(it);
        break;
      case "completed":
        it.state = ev.verification === "no_read_permission" ? "landed" : "verified";
        it.bucket = ev.bucket;
        it.key = ev.key;
        it.size = ev.size;
        it.bytesDone = ev.size;
        it.verification = ev.verification;
        it.bytesResent = ev.bytes_resent;
        it.error = null;
        it.errorCode = null;
        finished = true;
        break;
      case "skipped":
        it.state = "skipped";
        it.key = ev.key;
        it.bytesDone = it.size;
        it.skipReason = ev.reason;
        finished = true;
        break;
      case "failed":
        it.state = "failed";
        it.key = ev.key;
        it.error = ev.error.message;
        it.errorCode = ev.error.code;
        finished = true;
        break;
      case "cancelled":
        it.state = "cancelled";
        finished = true;
        break;
    }
    if (it.state !== "running") {
      it.rate = 0;
      it.retry = null;
      it.step = null;
    }
    this.account(it, +1);
    it.version++;
    this.touch(false, finished);
  }

  private expireNotice(it: Internal): void {
    const seq = ++this.noticeSeq;
    it.noticeSeq = seq;
    this.setTimer(() => {
      if (this.byId.get(it.id) !== it || it.noticeSeq !== seq) return;
      it.notice = null;
      it.version++;
      this.touch(false, false);
    }, this.noticeMs);
  }

  private insert(id: number): Internal {
    const it: Internal = newItem(id);
    this.byId.set(id, it);
    const last = this.order[this.order.length - 1];
    if (last && last.id >= id) this.orderDirty = true; // sorted at the next compaction
    this.order.push(it);
    return it;
  }

  private remove(it: Internal): void {
    this.account(it, -1);
    this.byId.delete(it.id);
    it.gone = true;
    this.orderDirty = true;
  }

  /** Drop removed items and restore id order: O(n), at most once per flush. */
  private compact(): void {
    if (!this.orderDirty) return;
    this.orderDirty = false;
    const next = this.order.filter((it) => !it.gone);
    let sorted = true;
    for (let i = 1; i < next.length; i++) {
      if (next[i - 1]!.id > next[i]!.id) {
        sorted = false;
        break;
      }
    }
    if (!sorted) next.sort((a, b) => a.id - b.id);
    this.order = next;
  }

  /** Add (+1) or take away (-1) an item's share of the running totals. */
  private account(it: Internal, sign: 1 | -1): void {
    this.counts[displayState(it)] += sign;
    const done =
      it.state === "verified" || it.state === "landed" || it.state === "skipped"
        ? it.size
        : Math.min(it.bytesDone, it.size);
    if (it.state !== "cancelled") {
      this.bytesTotal += sign * it.size;
      this.bytesDone += sign * done;
    }
    if (it.state === "queued" || it.state === "running") this.remaining += sign * (it.size - done);
    if (it.state === "running") {
      if (sign > 0) this.running.add(it);
      else this.running.delete(it);
    }
  }

  private touch(structural: boolean, finished: boolean): void {
    if (structural) this.pending.structural = true;
    if (finished) this.pending.finished = true;
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  private flush(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    this.compact();
    const change = this.pending;
    this.pending = { structural: false, finished: false };
    for (const fn of this.listeners) fn(change);
  }
}
