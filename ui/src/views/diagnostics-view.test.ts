// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import type { DiagnosticsReport } from "../bindings/DiagnosticsReport";
import { createDiagnosticsView } from "./diagnostics-view";

const flush = () => new Promise((r) => setTimeout(r, 0));

const report = (lines: string[]): DiagnosticsReport => ({
  app_version: "0.1.0",
  engine_version: "0.1.0",
  os: "linux x86_64 (Debian GNU/Linux 12)",
  log_dir: "/home/u/.local/share/dev.hoist.desktop/logs",
  data_dir: "/home/u/.local/share/hoist",
  journal: "/home/u/.local/share/hoist/journal.sqlite",
  recent_log: lines,
});

describe("diagnostics view", () => {
  it("shows versions, paths and the recent log; refresh reloads; copy says what it copied", async () => {
    let loads = 0;
    let copies = 0;
    const notes: string[] = [];
    const view = createDiagnosticsView({
      load: async () => report(loads++ === 0 ? ["line one", "line two"] : ["line three"]),
      copy: async () => void copies++,
      onError: (e) => {
        throw e;
      },
      notify: (m) => notes.push(m),
    });
    document.body.replaceChildren(view.element);
    view.shown();
    await flush();
    const q = (id: string) => view.element.querySelector(`[data-testid="${id}"]`) as HTMLElement;
    expect(q("diag-facts").textContent).toContain("/home/u/.local/share/hoist/journal.sqlite");
    expect(q("diag-facts").textContent).toContain("Debian");
    expect(q("diag-log").textContent).toBe("line one\nline two");
    q("diag-refresh").click();
    await flush();
    expect(q("diag-log").textContent).toBe("line three");
    q("diag-copy").click();
    await flush();
    expect(copies).toBe(1);
    expect(notes[0]).toMatch(/no secrets/);
  });

  it("an empty log says so", async () => {
    const view = createDiagnosticsView({ load: async () => report([]), copy: async () => {}, onError: () => {}, notify: () => {} });
    view.shown();
    await flush();
    expect(view.element.querySelector("[data-testid=diag-log]")?.textContent).toBe("The log is empty.");
  });
});
