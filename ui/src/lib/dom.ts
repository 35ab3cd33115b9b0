// Tiny DOM helpers. Text goes in through textContent only (file names are
// user data), and nothing here writes a style attribute (the CSP forbids them).

type Child = Node | string | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  title?: string;
  /** Plain attributes, including data-* and aria-*. */
  attrs?: Record<string, string>;
  /** Event listeners, e.g. { click: fn }. */
  on?: { [K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.title !== undefined) el.title = props.title;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) el.setAttribute(k, v);
  if (props.on) {
    for (const [type, fn] of Object.entries(props.on)) el.addEventListener(type, fn as EventListener);
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

export function button(label: string, props: Props = {}): HTMLButtonElement {
  const b = h("button", props, label);
  b.type = "button";
  return b;
}

/** Set text only when it changed (keeps style/layout work down for hot rows). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

const SVG = "http://www.w3.org/2000/svg";

/** A 16×16 stroke icon from one or more path strings. */
export function icon(...paths: string[]): SVGSVGElement {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  for (const d of paths) {
    const p = document.createElementNS(SVG, "path");
    p.setAttribute("d", d);
    svg.append(p);
  }
  return svg;
}

export const ICONS = {
  pause: ["M5.5 3.5v9", "M10.5 3.5v9"],
  resume: ["M5 3.5l7 4.5-7 4.5z"],
  cancel: ["M4 4l8 8", "M12 4l-8 8"],
  retry: ["M12.5 8a4.5 4.5 0 1 1-1.3-3.2", "M12.5 2.5v3h-3"],
  remove: ["M3 4.5h10", "M6.5 4.5V3h3v1.5", "M4.5 4.5l.7 8.5h5.6l.7-8.5"],
  addFile: ["M9 2H4.5v12h7V4.5z", "M8 7v5", "M5.5 9.5h5"],
  addFolder: ["M2 4h4.5l1.5 1.5h6V13H2z", "M8 7.5v4", "M6 9.5h4"],
  "copy-link": ["M6.5 9.5l3-3", "M7 5l1.5-1.5a2.5 2.5 0 0 1 3.5 3.5L10.5 8.5", "M9 11l-1.5 1.5a2.5 2.5 0 0 1-3.5-3.5L5.5 7.5"],
  "copy-when-done": ["M6.5 9.5l3-3", "M7 5l1.5-1.5a2.5 2.5 0 0 1 3.5 3.5L10.5 8.5", "M3 13h4"],
} as const;
