// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { EngineEvent } from "../bindings/EngineEvent";
import { QueueStore } from "../lib/queue";
import { createQueueView } from "./queue-view";

const queued = (id: number, name: string): EngineEvent => ({ event: "queued", id, path: `/home/u/${name}`, bucket: "b", key: name, size: 10 });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("queue thumbnails", () => {
  it("asks Rust once per local image, shows it on the row, and never for other files", async () => {
    const frames: (() => void)[] = [];
    const store = new QueueStore({ schedule: (f) => frames.push(f), setTimer: () => {} });
    const asked: number[] = [];
    const view = createQueueView(
      store,
      {
        onAction: () => {},
        thumbnail: async (id) => {
          asked.push(id);
          if (id === 3) throw new Error("not an image Hoist can read");
          return `data:image/png;base64,AAAA${id}`;
        },
      },
      { viewportHeight: () => 36 * 10 },
    );
    document.body.replaceChildren(view.element);
    const frame = () => frames.splice(0).forEach((f) => f());
    store.apply(queued(1, "cat.JPG"));
    store.apply(queued(2, "notes.txt"));
    store.apply(queued(3, "broken.png"));
    frame();
    await flush();
    const thumb = (id: number) => document.querySelector<HTMLImageElement>(`[data-testid="queue-row"][data-id="${id}"] img.qthumb`)!;
    expect(thumb(1).hidden).toBe(false);
    expect(thumb(1).getAttribute("src")).toBe("data:image/png;base64,AAAA1");
    expect(thumb(2).hidden).toBe(true);
    expect(thumb(3).hidden).toBe(true);
    expect(asked.sort()).toEqual([1, 3]);
    // Progress re-renders the row: no second request.
    store.apply({ event: "started", id: 1, key: "cat.JPG", size: 10, parts_total: 1, parts_done: 0, resumed: false });
    frame();
    await flush();
    expect(asked.sort()).toEqual([1, 3]);
    expect(document.querySelector('[data-testid="queue-row"][data-id="1"] .name-text')!.textContent).toBe("cat.JPG");
  });
});
