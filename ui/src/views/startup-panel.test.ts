// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { createStartupPanel } from "./startup-panel";

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("start at login", () => {
  it("shows the current choice, sends a change, and undoes the box when it fails", async () => {
    let on = false;
    let fail = false;
    const panel = createStartupPanel({
      get: async () => on,
      set: async (v) => {
        if (fail) throw new Error("no autostart folder");
        on = v;
        return on;
      },
      toError: (e) => ({ code: "invalid_input", message: (e as Error).message }),
    });
    panel.shown();
    await flush();
    const box = panel.element.querySelector("[data-testid=autostart]") as HTMLInputElement;
    expect(box.checked).toBe(false);
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    await flush();
    expect(on).toBe(true);
    fail = true;
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    await flush();
    expect(box.checked).toBe(true);
    expect(panel.element.querySelector("[role=alert]")?.textContent).toBe("no autostart folder");
  });
});
