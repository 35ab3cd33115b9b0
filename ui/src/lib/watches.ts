// The watched folders' state: a snapshot from `watch_list`, then the engine's
// "watch" events on the one event stream keep it current.

import type { EngineEvent } from "../bindings/EngineEvent";
import type { WatchStatus } from "../bindings/WatchStatus";

export type WatchListener = () => void;

export class WatchStore {
  private byId = new Map<number, WatchStatus>();
  private listeners = new Set<WatchListener>();

  /** Replaces everything (after `watch_list`). */
  setAll(list: WatchStatus[]): void {
    this.byId = new Map(list.map((w) => [w.id, w]));
    this.emit();
  }

  /** Takes the engine's watch events; ignores every other event. */
  apply(event: EngineEvent): void {
    if (event.event !== "watch") return;
    this.byId.set(event.status.id, event.status);
    this.emit();
  }

  remove(id: number): void {
    if (this.byId.delete(id)) this.emit();
  }

  list(): WatchStatus[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  subscribe(fn: WatchListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}

/** One line a person reads: what the watch is doing now. */
export function describeWatch(w: WatchStatus, now = Date.now()): string {
  if (!w.enabled) return "Paused";
  if (w.phase === "error") return w.error ?? "Error";
  const parts: string[] = [];
  if (w.phase === "scanning") parts.push("Scanning");
  else if (w.pending > 0) parts.push(`${w.pending} pending`);
  else parts.push("Watching");
  if (w.uploading > 0) parts.push(`${w.uploading} uploading`);
  parts.push(`${w.synced_files} synced`);
  if (w.last_synced_at !== null) parts.push(`last synced ${ago(now - w.last_synced_at)}`);
  if (w.failures > 0) parts.push(`${w.failures} failed`);
  if (w.retrying > 0) parts.push(`${w.retrying} refused by the store, retrying later`);
  return parts.join(" · ");
}

/** The profile name the shell uses for the built-in local store. */
export const LOCAL_PROFILE = "hoist-local";

/** Where a watch's files go, in words: "Local store · s3://hoist/shots/". */
export function describeTarget(w: Pick<WatchStatus, "profile" | "bucket" | "prefix">): string {
  const who = w.profile === null || w.profile === LOCAL_PROFILE ? "Local store" : `Profile ${w.profile}`;
  return `${who} · s3://${w.bucket}/${w.prefix}`;
}

/** The watch's patterns in words, next to the defaults it may still use. */
export function describePatterns(w: Pick<WatchStatus, "include" | "exclude">, defaults: readonly string[]): string {
  const only = w.include.length > 0 ? `only ${w.include.join(", ")}` : "every file";
  const same = w.exclude.length === defaults.length && w.exclude.every((p, i) => p === defaults[i]);
  const skip = same
    ? "skipping temporary and partial files"
    : w.exclude.length === 0
      ? "skipping nothing"
      : `skipping ${w.exclude.join(", ")}`;
  return `${only}, ${skip}`;
}

/** One pattern a line; blank lines dropped. */
export function parsePatterns(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
