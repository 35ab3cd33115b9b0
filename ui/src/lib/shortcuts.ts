// Keyboard shortcuts: Ctrl+O add files, Ctrl+Shift+O add folder, Ctrl+F search the
// queue, Ctrl+1..7 tabs, Space pause/resume the selected rows, Delete remove them,
// Ctrl+A select every row. Keys a text field needs stay with it.

export type Shortcut =
  | { kind: "add-files" }
  | { kind: "add-folder" }
  | { kind: "search" }
  | { kind: "tab"; index: number }
  | { kind: "toggle-pause" }
  | { kind: "remove" }
  | { kind: "select-all" };

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  target: EventTarget | null;
}

const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"]);

/** Whether typing goes into this element (its keys are not shortcuts). */
export function isTextInput(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  const tag = el.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select" || el.isContentEditable) return true;
  return tag === "input" && !NOT_TEXT.has((el as HTMLInputElement).type);
}

/** Whether Space or Enter would press this element. */
function isPressable(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  const tag = el.tagName.toLowerCase();
  return tag === "button" || tag === "a" || tag === "input" || tag === "select" || tag === "textarea";
}

export function shortcutFor(ev: KeyLike): Shortcut | null {
  const mod = ev.ctrlKey || ev.metaKey;
  if (ev.altKey) return null;
  const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  if (mod) {
    if (key === "o") return ev.shiftKey ? { kind: "add-folder" } : { kind: "add-files" };
    if (key === "f" && !ev.shiftKey) return { kind: "search" };
    if (/^[1-7]$/.test(key) && !ev.shiftKey) return { kind: "tab", index: Number(key) - 1 };
    if (key === "a" && !ev.shiftKey && !isTextInput(ev.target)) return { kind: "select-all" };
    return null;
  }
  if (ev.shiftKey || isTextInput(ev.target)) return null;
  if (key === " " && !isPressable(ev.target)) return { kind: "toggle-pause" };
  if (key === "Delete") return { kind: "remove" };
  return null;
}
