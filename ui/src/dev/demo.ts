// Dev-only demo (vite dev, plain browser, `?demo` or `?demo=10000`): feeds the
// store synthetic engine events so the UI can be looked at without the Rust
// shell. Not included in production builds.

import type { EngineEvent } from "../bindings/EngineEvent";
import type { QueueStore } from "../lib/queue";

export function runDemo(store: QueueStore): void {
  const n = Number(new URLSearchParams(location.search).get("demo")) || 2000;
  const sizes = [4_096, 350_000, 12_000_000, 80_000_000, 1_500_000_000];
  const emit = (ev: EngineEvent) => store.apply(ev);

  for (let id = 1; id <= n; id++) {
    const dir = ["photos/2024", "backups/db", "video/raw", "docs"][id % 4]!;
    const key = `${dir}/file-${String(id).padStart(5, "0")}.${["jpg", "tar.zst", "mov", "pdf"][id % 4]}`;
    emit({ event: "queued", id, path: `/home/me/${key}`, bucket: "demo-bucket", key, size: sizes[id % sizes.length]! });
  }
  // A few finished ones so every state shows.
  emit({ event: "completed", id: 1, bucket: "demo-bucket", key: store.get(1)!.key, size: store.get(1)!.size, etag: null, checksum: "AAAA", verification: "crc32c", bytes_sent: 1, bytes_resent: 0 });
  emit({ event: "skipped", id: 2, key: store.get(2)!.key, reason: "already uploaded (same checksum)" });
  emit({ event: "failed", id: 3, key: store.get(3)!.key, error: { code: "local_file", message: "permission denied" } });
  emit({ event: "cancelled", id: 4 });
  emit({ event: "paused", id: 5 });

  let next = 6;
  const active = new Map<number, { done: number; rate: number }>();
  setInterval(() => {
    while (active.size < 4 && next <= n) {
      const id = next++;
      const it = store.get(id)!;
      emit({ event: "started", id, key: it.key, size: it.size, parts_total: Math.ceil(it.size / 8_388_608), parts_done: 0, resumed: false });
      active.set(id, { done: 0, rate: 2_000_000 + Math.random() * 8_000_000 });
    }
    for (const [id, a] of active) {
      const it = store.get(id)!;
      if (id % 37 === 0 && a.done > 0 && !it.retry && Math.random() < 0.05) {
        emit({ event: "retrying", id, attempt: 2, delay_ms: 800, reason: "cannot reach the store: connection reset by peer", code: "network", offline: false });
        continue;
      }
      a.done = Math.min(it.size, a.done + (a.rate * 0.1) * 40);
      emit({ event: "progress", id, bytes_done: a.done, bytes_total: it.size, rate_bps: a.rate, parts_in_flight: 2 });
      if (a.done >= it.size) {
        active.delete(id);
        emit({ event: "completed", id, bucket: it.bucket, key: it.key, size: it.size, etag: null, checksum: "x", verification: "crc32c", bytes_sent: it.size, bytes_resent: 0 });
      }
    }
  }, 100);
}
