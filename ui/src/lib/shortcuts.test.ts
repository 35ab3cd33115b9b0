// @vitest-environment jsdom
import { describe, expect, it } from "vitest";

import { isTextInput, shortcutFor } from "./shortcuts";

const key = (k: string, mods: Partial<{ ctrl: boolean; shift: boolean; meta: boolean; alt: boolean }> = {}, target: EventTarget | null = document.body) => ({
  key: k,
  ctrlKey: !!mods.ctrl,
  shiftKey: !!mods.shift,
  metaKey: !!mods.meta,
  altKey: !!mods.alt,
  target,
});

describe("keyboard shortcuts", () => {
  it("map the documented keys", () => {
    expect(shortcutFor(key("o", { ctrl: true }))).toEqual({ kind: "add-files" });
    expect(shortcutFor(key("O", { ctrl: true, shift: true }))).toEqual({ kind: "add-folder" });
    expect(shortcutFor(key("f", { meta: true }))).toEqual({ kind: "search" });
    expect(shortcutFor(key("1", { ctrl: true }))).toEqual({ kind: "tab", index: 0 });
    expect(shortcutFor(key("6", { ctrl: true }))).toEqual({ kind: "tab", index: 5 });
    expect(shortcutFor(key("7", { ctrl: true }))).toEqual({ kind: "tab", index: 6 });
    expect(shortcutFor(key("8", { ctrl: true }))).toBeNull();
    expect(shortcutFor(key(" "))).toEqual({ kind: "toggle-pause" });
    expect(shortcutFor(key("Delete"))).toEqual({ kind: "remove" });
    expect(shortcutFor(key("a", { ctrl: true }))).toEqual({ kind: "select-all" });
    expect(shortcutFor(key("x"))).toBeNull();
    expect(shortcutFor(key("o", { ctrl: true, alt: true }))).toBeNull();
  });

  it("leave text fields their keys; Space still presses a focused button", () => {
    const input = document.createElement("input");
    const area = document.createElement("textarea");
    const check = document.createElement("input");
    check.type = "checkbox";
    const btn = document.createElement("button");
    expect(isTextInput(input)).toBe(true);
    expect(isTextInput(area)).toBe(true);
    expect(isTextInput(check)).toBe(false);
    for (const t of [input, area]) {
      expect(shortcutFor(key(" ", {}, t))).toBeNull();
      expect(shortcutFor(key("Delete", {}, t))).toBeNull();
      expect(shortcutFor(key("a", { ctrl: true }, t))).toBeNull();
    }
    expect(shortcutFor(key(" ", {}, btn))).toBeNull();
    // Add files and tab switching still work from a field: they type nothing.
    expect(shortcutFor(key("o", { ctrl: true }, input))).toEqual({ kind: "add-files" });
  });
});
