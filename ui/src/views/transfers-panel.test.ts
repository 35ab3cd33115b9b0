// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { TransferSettings } from "../bindings/TransferSettings";
import type { TransferStatus } from "../bindings/TransferStatus";
import { createTransfersPanel, meteredHint, readForm } from "./transfers-panel";

const flush = () => new Promise((r) => setTimeout(r, 0));

const base: TransferStatus = {
  settings: { rate_limit: null, concurrency: null, pause_on_metered: false, schedule: null },
  concurrency_now: 32,
  network_manager: false,
  metered: null,
  held: null,
  held_reason: null,
};

describe("transfers form", () => {
  it("turns MB/s, parts and a window into settings", () => {
    expect(readForm({ rate: "2.5", concurrency: "4", metered: true, scheduled: true, start: "22:00", end: "06:00" })).toEqual({
      rate_limit: 2_500_000,
      concurrency: 4,
      pause_on_metered: true,
      schedule: { start: "22:00", end: "06:00" },
    });
    expect(readForm({ rate: "", concurrency: "", metered: false, scheduled: false, start: "", end: "" })).toEqual(base.settings);
  });

  it("refuses bad values in words", () => {
    expect(readForm({ rate: "-1", concurrency: "", metered: false, scheduled: false, start: "", end: "" })).toMatch(/MB\/s above 0/);
    expect(readForm({ rate: "", concurrency: "0", metered: false, scheduled: false, start: "", end: "" })).toMatch(/1 to 256/);
    expect(readForm({ rate: "", concurrency: "", metered: false, scheduled: true, start: "25:00", end: "06:00" })).toMatch(/HH:MM/);
  });

  it("says when metered connections cannot be detected", () => {
    expect(meteredHint(base)).toMatch(/NetworkManager was not found/);
    expect(meteredHint({ ...base, network_manager: true, metered: true })).toMatch(/metered now/);
  });
});

describe("transfers panel", () => {
  it("shows the current settings and the hold, and applies what the user typed", async () => {
    const sent: TransferSettings[] = [];
    const panel = createTransfersPanel({
      get: async () => ({ ...base, held: "waiting for schedule (starts 22:00)" }),
      set: async (s) => {
        sent.push(s);
        return { ...base, settings: s, concurrency_now: s.concurrency ?? 32 };
      },
      toError: (e) => ({ code: "invalid_input", message: String(e) }),
    });
    document.body.replaceChildren(panel.element);
    panel.shown();
    await flush();
    const q = (id: string) => panel.element.querySelector(`[data-testid="${id}"]`) as HTMLInputElement;
    expect(q("transfers-state").textContent).toBe("Queue held: waiting for schedule (starts 22:00)");
    expect(q("transfers-metered-hint").textContent).toMatch(/does nothing here/);
    expect(panel.element.querySelector("label[for=transfers-rate]")?.textContent).toMatch(/Bandwidth/);
    q("transfers-rate").value = "1";
    q("transfers-concurrency").value = "2";
    q("transfers-apply").click();
    await flush();
    expect(sent).toEqual([{ rate_limit: 1_000_000, concurrency: 2, pause_on_metered: false, schedule: null }]);
    expect(q("transfers-state").textContent).toBe("Queue: sending when there is work.");
    q("transfers-concurrency").value = "999";
    q("transfers-apply").click();
    await flush();
    expect(sent.length).toBe(1);
    expect(q("transfers-error").hidden).toBe(false);
  });
});
