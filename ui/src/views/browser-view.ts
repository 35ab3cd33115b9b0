// The bucket browser: folders by prefix (breadcrumbs), objects page by page ("load
// more"), a name filter, a details pane with copy link (expiry picker showing the
// true expiry), download and delete (with confirmation).

import type { Disposition } from "../bindings/Disposition";
import type { LinkExpiry } from "../bindings/LinkExpiry";
import type { Listing } from "../bindings/Listing";
import type { ListRequest } from "../bindings/ListRequest";
import type { ObjectDetails } from "../bindings/ObjectDetails";
import type { ObjectEntry } from "../bindings/ObjectEntry";
import type { ShareLink } from "../bindings/ShareLink";
import { previewPanel, type PreviewSource } from "./preview-panel";
import { button, h } from "../lib/dom";
import { formatBytes, formatFullTime, formatShortTime } from "../lib/format";
import { createBucketPicker, type BucketSource } from "./bucket-picker";
import { createSelectionBar, Selection, type SelectionActions } from "./browser-selection";
import { renderVersions, type VersionSource } from "./browser-versions";
import { breadcrumbs, DEFAULT_EXPIRY_SECS, describeExpiry, EXPIRY_PRESETS, isImageKey, parseSizeLimit } from "../lib/links";

export const PAGE_SIZE = 200;

export interface BrowserSource {
  bucket(): string;
  list(req: ListRequest): Promise<Listing>;
  details(key: string): Promise<ObjectDetails>;
  remove(key: string): Promise<void>;
  download(key: string): Promise<string>;
  expiry(seconds: number): Promise<LinkExpiry>;
  /** Makes the link and copies it (Rust writes the clipboard). */
  share(key: string, seconds: number, disposition: Disposition | null): Promise<ShareLink>;
  /** data: URL of a thumbnail (optional: tests may leave it out). */
  thumbnail?(key: string): Promise<string>;
  /** Queues the URL; resolves with the new queue item's id at once. */
  fetchUrl(url: string, key: string, allowedTypes: string[], maxSize: number | null): Promise<number>;
  /** Makes an upload link and copies it. */
  uploadLink(key: string, seconds: number, contentType: string | null): Promise<ShareLink>;
  onError(err: unknown): void;
  notify(message: string): void;
  /** The bucket picker and "new bucket" (optional: tests may leave it out). */
  buckets?: Omit<BucketSource, "onError" | "notify">;
  /** Multi-select actions (optional: tests may leave them out). */
  selection?: SelectionActions;
  /** An object's versions (optional: tests may leave them out). */
  versions?: Omit<VersionSource, "onError" | "notify">;
  /** Previews (optional: tests may leave it out; then images get a thumbnail). */
  preview?: PreviewSource;
  /** "Download…" with a save dialog; null when cancelled. Progress comes as (bytes, total). */
  downloadAs?(key: string, progress: (done: number, total: number | null) => void): Promise<string | null>;
  /** Stops a running "Download…" (its promise then resolves to null). */
  cancelDownload?(key: string): Promise<boolean>;
  /** Files dropped on the window go to this folder while the Browser is shown (null: not shown). */
  dropInto?(prefix: string | null): void;
}

export interface BrowserView {
  element: HTMLElement;
  shown(): void;
  /** Another tab is shown: drops go to the queue's destination again. */
  hidden(): void;
  /** The bucket shown (picked, else the profile's). */
  bucket(): string;
  /** Current folder (for tests). */
  prefix(): string;
}

export function createBrowserView(src: BrowserSource): BrowserView {
  let prefix = "";
  let next: string | null = null;
  let filter = "";
  let selected: string | null = null;
  let generation = 0;
  // A bucket picked in the Browser, and the profile's bucket it was picked under: a
  // change of profile shows that profile's own bucket again.
  let picked: { bucket: string; under: string } | null = null;
  const bucketName = () => (picked && picked.under === src.bucket() ? picked.bucket : src.bucket());

  const crumbs = h("nav", { class: "crumbs", attrs: { "data-testid": "browser-crumbs" } });
  const filterBox = h("input", { class: "filter", attrs: { type: "search", placeholder: "Filter names", "data-testid": "browser-filter", "aria-label": "Filter names" } });
  const tbody = h("tbody");
  const more = button("Load more", { class: "btn", attrs: { "data-testid": "browser-more" }, on: { click: () => void load(false) } });
  const status = h("span", { class: "muted" });
  const details = h("aside", { class: "details", attrs: { "data-testid": "browser-details" } });
  details.hidden = true;

  const sel = new Selection();
  const bar = src.selection
    ? createSelectionBar(sel, src.selection, {
        done: (m) => {
          src.notify(m);
          sel.clear();
          void load(true);
        },
        onError: src.onError,
      })
    : null;
  const rowKeys = () => [...tbody.children].map((r) => (r as HTMLElement).dataset.key ?? (r as HTMLElement).dataset.prefix ?? "");
  const refreshSelection = () => {
    sel.setOrder(rowKeys());
    for (const r of tbody.children) {
      const el = r as HTMLElement;
      const on = sel.has(el.dataset.key ?? el.dataset.prefix ?? "");
      el.classList.toggle("selected", on);
      el.setAttribute("aria-selected", String(on));
    }
    const folders = [...tbody.children].map((r) => (r as HTMLElement).dataset.prefix).filter((p): p is string => !!p);
    bar?.update(prefix, folders);
  };
  /** Ctrl/⌘ toggles, Shift extends; returns whether it was a plain click. */
  const pick = (key: string, e: MouseEvent): boolean => {
    const toggle = e.ctrlKey || e.metaKey;
    sel.click(key, { shift: e.shiftKey, toggle });
    refreshSelection();
    return !toggle && !e.shiftKey;
  };

  const open = (p: string) => {
    prefix = p;
    selected = null;
    details.hidden = true;
    sel.clear();
    src.dropInto?.(p);
    void load(true);
  };

  const renderCrumbs = () => {
    crumbs.replaceChildren(
      ...breadcrumbs(bucketName(), prefix).flatMap((c, i) => {
        const b = button(c.label, { class: "link", attrs: { "data-testid": "crumb", "data-prefix": c.prefix }, on: { click: () => open(c.prefix) } });
        return i > 0 ? [h("span", { class: "muted", text: " / " }), b] : [b];
      }),
    );
  };

  const folderRow = (f: { prefix: string; name: string }) =>
    h(
      "tr",
      {
        class: "folder",
        attrs: { "data-testid": "browser-folder", "data-prefix": f.prefix },
        on: { click: (e: Event) => (e.target as HTMLElement).tagName !== "BUTTON" && pick(f.prefix, e as MouseEvent) },
      },
      h("td", {}, button(`${f.name}/`, { class: "link", title: f.prefix, on: { click: (e: Event) => {
        const m = e as MouseEvent;
        if (m.ctrlKey || m.metaKey || m.shiftKey) pick(f.prefix, m);
        else open(f.prefix);
      } } })),
      h("td", { class: "num", text: "" }),
      h("td", { class: "num", text: "" }),
    );

  const objectRow = (o: ObjectEntry) =>
    h(
      "tr",
      {
        attrs: { "data-testid": "browser-object", "data-key": o.key },
        on: { click: (e: Event) => (e.target as HTMLElement).tagName !== "BUTTON" && pick(o.key, e as MouseEvent) },
      },
      h("td", {}, button(o.name, { class: "link", title: o.key, on: { click: (e: Event) => {
        if (pick(o.key, e as MouseEvent)) void select(o.key);
      } } })),
      h("td", { class: "num", text: formatBytes(o.size) }),
      h("td", {
        class: "num time",
        text: o.modified ? formatShortTime(o.modified) : "",
        title: o.modified ? formatFullTime(o.modified) : "",
      }),
    );

  const load = async (fresh: boolean) => {
    const gen = ++generation;
    if (fresh) {
      next = null;
      tbody.replaceChildren();
      renderCrumbs();
    }
    status.textContent = "Loading…";
    try {
      const page = await src.list({ prefix, filter: filter || null, continuation: fresh ? null : next, page_size: PAGE_SIZE });
      if (gen !== generation) return;
      tbody.append(...page.folders.map(folderRow), ...page.objects.map(objectRow));
      refreshSelection();
      next = page.next;
      more.hidden = next === null;
      const n = tbody.children.length;
      status.textContent = `${n} ${n === 1 ? "entry" : "entries"}${next ? " so far" : ""}`;
    } catch (e) {
      if (gen === generation) status.textContent = "";
      src.onError(e);
    }
  };

  const select = async (key: string) => {
    selected = key;
    details.hidden = false;
    details.replaceChildren(h("p", { class: "muted", text: "Loading…" }));
    try {
      const d = await src.details(key);
      if (selected === key) renderDetails(d);
    } catch (e) {
      src.onError(e);
    }
  };

  const renderDetails = (d: ObjectDetails) => {
    const rows: [string, string][] = [
      ["Key", d.key],
      ["Size", `${formatBytes(d.size)} (${d.size} bytes)`],
      ["Type", d.content_type ?? ""],
      ["Modified", d.modified ? formatFullTime(d.modified) : ""],
      ["ETag", d.etag ?? ""],
      ...Object.entries(d.checksums).map(([k, v]) => [k, v] as [string, string]),
      ...Object.entries(d.metadata).map(([k, v]) => [`meta: ${k}`, v] as [string, string]),
    ];
    const dl = h("dl", {}, ...rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));

    const expirySel = h("select", { attrs: { "data-testid": "link-expiry", "aria-label": "Link expiry" } });
    for (const p of EXPIRY_PRESETS) {
      const o = h("option", { text: p.label, attrs: { value: String(p.seconds) } });
      if (p.seconds === DEFAULT_EXPIRY_SECS) o.selected = true;
      expirySel.append(o);
    }
    const dispSel = h(
      "select",
      { attrs: { "data-testid": "link-disposition", "aria-label": "Open or download" } },
      h("option", { text: "Browser decides", attrs: { value: "" } }),
      h("option", { text: "Show inline", attrs: { value: "inline" } }),
      h("option", { text: "Download", attrs: { value: "attachment" } }),
    );
    const trueExpiry = h("p", { class: "muted", attrs: { "data-testid": "true-expiry" } });
    const refreshExpiry = () => {
      src.expiry(Number(expirySel.value)).then(
        (e) => (trueExpiry.textContent = describeExpiry(e)),
        (e: unknown) => src.onError(e),
      );
    };
    expirySel.addEventListener("change", refreshExpiry);
    refreshExpiry();

    const copy = button("Copy link", {
      class: "btn primary",
      attrs: { "data-testid": "browser-copy-link" },
      on: {
        click: () => {
          const disp = dispSel.value === "" ? null : (dispSel.value as Disposition);
          src.share(d.key, Number(expirySel.value), disp).catch((e: unknown) => src.onError(e));
        },
      },
    });
    const progress = h("span", { class: "muted", attrs: { "data-testid": "download-progress" } });
    const stop = button("Cancel download", {
      class: "btn",
      attrs: { "data-testid": "download-cancel" },
      on: { click: () => void src.cancelDownload?.(d.key).catch((e: unknown) => src.onError(e)) },
    });
    stop.hidden = true;
    const download = button(src.downloadAs ? "Download…" : "Download", {
      class: "btn",
      attrs: { "data-testid": "browser-download" },
      on: {
        click: () => {
          if (!src.downloadAs) {
            src.download(d.key).then((p) => src.notify(`Saved to ${p}`), (e: unknown) => src.onError(e));
            return;
          }
          download.disabled = true;
          stop.hidden = !src.cancelDownload;
          src
            .downloadAs(d.key, (done, total) => {
              progress.textContent = total ? `${Math.floor((done / total) * 100)}% of ${formatBytes(total)}` : formatBytes(done);
            })
            .then(
              (p) => {
                const cancelled = progress.textContent !== "" && !p;
                progress.textContent = "";
                if (p) src.notify(`Saved to ${p}`);
                else if (cancelled) src.notify(`Download of ${d.key} cancelled: nothing was saved`);
              },
              (e: unknown) => {
                progress.textContent = "";
                src.onError(e);
              },
            )
            .finally(() => {
              download.disabled = false;
              stop.hidden = true;
            });
        },
      },
    });
    let armed = false;
    const del = button("Delete…", { class: "btn danger", attrs: { "data-testid": "browser-delete" } });
    del.addEventListener("click", () => {
      if (!armed) {
        armed = true;
        del.textContent = `Delete ${d.key} for good?`;
        del.setAttribute("data-testid", "browser-delete-confirm");
        return;
      }
      src.remove(d.key).then(
        () => {
          src.notify(`Deleted ${d.key}`);
          details.hidden = true;
          selected = null;
          for (const r of [...tbody.children]) if ((r as HTMLElement).dataset.key === d.key) r.remove();
        },
        (e: unknown) => src.onError(e),
      );
    });
    const thumb = h("img", { class: "thumb", attrs: { alt: "", "data-testid": "browser-thumb" } });
    thumb.hidden = true;
    const preview = src.preview ? previewPanel(d, src.preview) : null;
    if (!preview && src.thumbnail && isImageKey(d.key)) {
      src.thumbnail(d.key).then(
        (url) => {
          if (url.startsWith("data:image/")) {
            thumb.src = url;
            thumb.hidden = false;
          }
        },
        () => {}, // no thumbnail is not an error worth a banner
      );
    }
    details.replaceChildren(
      preview ?? thumb,
      h("h3", { text: d.key.split("/").pop() ?? d.key }),
      dl,
      h("div", { class: "row-actions" }, expirySel, dispSel, copy),
      trueExpiry,
      h("div", { class: "row-actions" }, download, progress, stop, del),
      ...(src.versions ? [renderVersions({ ...src.versions, onError: src.onError, notify: src.notify }, d.key, () => void select(d.key))] : []),
    );
  };

  let filterTimer: ReturnType<typeof setTimeout> | null = null;
  filterBox.addEventListener("input", () => {
    if (filterTimer) clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      filter = filterBox.value.trim();
      void load(true);
    }, 250);
  });

  const input = (placeholder: string, testid: string) =>
    h("input", { attrs: { type: "text", placeholder, "aria-label": placeholder, "data-testid": testid } });
  const fetchUrl = input("https://… URL to fetch", "fetch-url");
  const fetchKey = input("key (in this folder)", "fetch-key");
  const fetchTypes = input("allowed types, e.g. image/*", "fetch-types");
  const fetchMax = input("size limit, e.g. 100MiB", "fetch-max");
  const fetchGo = button("Fetch into bucket", {
    class: "btn",
    attrs: { "data-testid": "fetch-go" },
    on: {
      click: () => {
        const max = parseSizeLimit(fetchMax.value);
        if (max === undefined) return src.onError({ code: "invalid_input", message: `${fetchMax.value} is not a size (try 100MiB)` });
        const types = fetchTypes.value.split(",").map((t) => t.trim()).filter(Boolean);
        const key = prefix + fetchKey.value.trim().replace(/^\/+/, "");
        fetchGo.disabled = true;
        src.fetchUrl(fetchUrl.value.trim(), key, types, max).then(
          () => src.notify(`Queued ${key}: progress in the Queue tab`),
          (e: unknown) => src.onError(e),
        ).finally(() => (fetchGo.disabled = false));
      },
    },
  });
  const ulKey = input("key for the upload link", "upload-link-key");
  const ulType = input("content type (optional)", "upload-link-type");
  const ulGo = button("Copy upload link (15 min)", {
    class: "btn",
    attrs: { "data-testid": "upload-link-go" },
    on: {
      click: () => {
        const key = prefix + ulKey.value.trim().replace(/^\/+/, "");
        src.uploadLink(key, 15 * 60, ulType.value.trim() || null).catch((e: unknown) => src.onError(e));
      },
    },
  });
  const tools = h(
    "details",
    { class: "tools" },
    h("summary", { text: "Fetch a URL · Upload link" }),
    h("div", { class: "row-actions" }, fetchUrl, fetchKey, fetchTypes, fetchMax, fetchGo),
    h("div", { class: "row-actions" }, ulKey, ulType, ulGo),
  );

  const picker = src.buckets
    ? createBucketPicker({ ...src.buckets, onError: src.onError, notify: src.notify }, (b) => {
        picked = { bucket: b, under: src.bucket() };
        open("");
      })
    : null;

  const element = h(
    "section",
    { class: "view browser-view", attrs: { "aria-label": "Bucket browser" } },
    h("div", { class: "toolbar" }, h("h2", { text: "Browser" }), ...(picker ? [picker.element] : []), crumbs, h("div", { class: "grow" }), filterBox, status, button("Refresh", { class: "btn", on: { click: () => void load(true) } })),
    tools,
    ...(bar ? [bar.element] : []),
    h(
      "div",
      { class: "browser-body" },
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { class: "history browser-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { class: "c-name", text: "Name" }),
              h("th", { class: "c-size num", text: "Size" }),
              h("th", { class: "c-time num", text: "Modified" }),
            ),
          ),
          tbody,
        ),
        more,
      ),
      details,
    ),
  );
  more.hidden = true;

  return {
    element,
    shown() {
      src.dropInto?.(prefix);
      void load(true);
      void picker?.refresh(bucketName());
    },
    hidden() {
      src.dropInto?.(null);
    },
    bucket: bucketName,
    prefix: () => prefix,
  };
}
