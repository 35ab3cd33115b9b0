// Links: the history of share and upload links, newest first, with copy again.

import type { ShareLink } from "../bindings/ShareLink";
import { button, h } from "../lib/dom";
import { formatTimestamp } from "../lib/format";
import { isExpired, isThisComputerOnly } from "../lib/links";

export const LINKS_LIMIT = 500;

export interface LinksSource {
  load(search: string | null, limit: number): Promise<ShareLink[]>;
  copy(id: number): Promise<ShareLink>;
  /** A new share link for the same object (with the toolbar's expiry). */
  renew?(l: ShareLink): Promise<unknown>;
  /** Shown in the toolbar (the link expiry chooser). */
  tools?: HTMLElement;
  onError(err: unknown): void;
}

export interface LinksView {
  element: HTMLElement;
  shown(): void;
}

export function createLinksView(src: LinksSource): LinksView {
  const tbody = h("tbody");
  const search = h("input", { class: "filter", attrs: { type: "search", placeholder: "Search keys", "data-testid": "links-search", "aria-label": "Search keys" } });
  const status = h("span", { class: "muted" });

  const row = (l: ShareLink) => {
    const expired = isExpired(l);
    return h(
      "tr",
      { attrs: { "data-testid": "link-row", "data-key": l.key, "data-state": expired ? "expired" : "live" } },
      h("td", { class: "key", text: l.key, title: l.url }),
      h("td", {
        text: `${l.method === "put" ? "upload" : "share"}${isThisComputerOnly(l) ? " · this computer only" : ""}`,
        title: isThisComputerOnly(l) ? "The link names a store on this computer: it does not work anywhere else." : "",
      }),
      h("td", { class: "num time", text: formatTimestamp(l.created_at) }),
      h("td", { class: "num time", text: `${expired ? "expired " : ""}${formatTimestamp(l.expires_at)}${l.limited_by_credentials ? " *" : ""}`, title: l.limited_by_credentials ? "limited by the credentials' expiry" : "" }),
      h(
        "td",
        { class: "row-actions" },
        expired || l.id === null
          ? null
          : button("Copy", { class: "btn", attrs: { "data-testid": "link-copy" }, on: { click: () => void src.copy(l.id as number).catch(src.onError) } }),
        src.renew && l.method === "get"
          ? button("New link", {
              class: "btn",
              title: "A new link to the same object, lasting as long as chosen above",
              attrs: { "data-testid": "link-renew" },
              on: { click: () => void src.renew!(l).then(() => refresh(), src.onError) },
            })
          : null,
      ),
    );
  };

  const refresh = async () => {
    status.textContent = "Loading…";
    try {
      const links = await src.load(search.value.trim() || null, LINKS_LIMIT);
      tbody.replaceChildren(...links.map(row));
      status.textContent = `${links.length} links`;
    } catch (e) {
      status.textContent = "";
      src.onError(e);
    }
  };
  search.addEventListener("change", () => void refresh());

  const element = h(
    "section",
    { class: "view links-view", attrs: { "aria-label": "Links" } },
    h("div", { class: "toolbar" }, h("h2", { text: "Links" }), status, h("div", { class: "grow" }), search, src.tools, button("Refresh", { class: "btn", on: { click: () => void refresh() } })),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "history links-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { class: "c-key", text: "Key" }),
            h("th", { class: "c-kind", text: "Kind" }),
            h("th", { class: "c-time num", text: "Created" }),
            h("th", { class: "c-expires num", text: "Expires" }),
            h("th", { class: "c-action", text: "", attrs: { "aria-label": "Actions" } }),
          ),
        ),
        tbody,
      ),
    ),
  );
  return { element, shown: () => void refresh() };
}
