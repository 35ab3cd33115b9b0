// Wires the store, the views and the IPC layer together.

import type { ErrorCode } from "./bindings/ErrorCode";
import * as ipc from "./lib/ipc";
import { h } from "./lib/dom";
import { QueueStore, type DisplayState, type ItemAction } from "./lib/queue";
import { createBanner } from "./views/banner";
import { createDropOverlay } from "./views/drop-overlay";
import { createHeader, type GlobalAction, type Tab } from "./views/header";
import { createBrowserView } from "./views/browser-view";
import { createHistoryView } from "./views/history-view";
import { createLinksView } from "./views/links-view";
import { copiedMessage, DEFAULT_EXPIRY_SECS } from "./lib/links";
import { createQueueView } from "./views/queue-view";
import { createSettingsView } from "./views/settings-view";
import { createDiagnosticsView } from "./views/diagnostics-view";
import { createTransfersPanel } from "./views/transfers-panel";
import { createStartupPanel } from "./views/startup-panel";
import type { WaitReason } from "./bindings/WaitReason";
import { createWatchesView } from "./views/watches-view";
import { WatchStore } from "./lib/watches";

declare global {
  interface Window {
    /** Test hook for WebDriver: the store's counts without scrolling the virtual list. */
    readonly __hoistQueue?: () => { items: number; byState: Record<string, number> };
  }
}

const CODE_LABELS: Partial<Record<ErrorCode, string>> = {
  local_file: "File",
  network: "Network",
  store_busy: "Store busy",
  auth: "Credentials",
  no_such_bucket: "Bucket not found",
  no_such_upload: "Upload not found",
  integrity: "Integrity check failed",
  rejected: "Rejected",
  journal: "Journal",
  invalid_input: "Invalid input",
  keyring: "Keyring",
  no_such_profile: "Profile",
  not_found: "Not found",
  not_allowed_type: "Type not allowed",
  too_large: "Too large",
  needs_confirmation: "Please confirm",
};

export function describeError(e: unknown): string {
  const err = ipc.toIpcError(e);
  const label = CODE_LABELS[err.code];
  return label && !err.message.toLowerCase().startsWith(label.toLowerCase()) ? `${label}: ${err.message}` : err.message;
}

export function startApp(root: HTMLElement): QueueStore {
  const store = new QueueStore();
  Object.defineProperty(window, "__hoistQueue", {
    value: () => {
      const byState: Record<DisplayState, number> = store.byState();
      return { items: store.size, byState };
    },
    writable: false,
    configurable: false,
  });

  const banner = createBanner();
  const report = (e: unknown) => {
    const err = ipc.toIpcError(e);
    if (err.code === "cancelled") return; // the user cancelled something: not an error to show
    banner.show(describeError(err));
  };
  const run = (p: Promise<unknown>) => void p.catch(report);

  const itemAction = (action: ItemAction, id: number) => {
    if (action === "copy-link") {
      const it = store.get(id);
      if (it) run(ipc.shareLink({ key: it.key, bucket: it.bucket, expiresSecs: DEFAULT_EXPIRY_SECS, copy: true }));
      return;
    }
    if (action === "copy-when-done") {
      run(ipc.copyLinkWhenDone(id, DEFAULT_EXPIRY_SECS).then(() => banner.notice("The link goes to the clipboard when this upload is verified")));
      return;
    }
    const cmd = {
      pause: ipc.pauseItem,
      resume: ipc.resumeItem,
      cancel: ipc.cancelItem,
      retry: ipc.retryItem,
      remove: ipc.removeItem,
    }[action];
    run(cmd(id));
  };

  const globalAction = (action: GlobalAction) => {
    const cmd = {
      "add-files": ipc.pickFiles,
      "add-folder": ipc.pickFolder,
      "pause-all": ipc.pauseAll,
      "resume-all": ipc.resumeAll,
      "retry-failed": ipc.retryFailed,
    }[action];
    run(cmd());
  };

  const queueView = createQueueView(store, { onAction: itemAction });
  const historyView = createHistoryView({
    load: (limit) => ipc.history({ limit }),
    onError: report,
    copyLink: (e) => run(ipc.shareLink({ key: e.key, bucket: e.bucket, expiresSecs: DEFAULT_EXPIRY_SECS, copy: true })),
  });
  let currentBucket = "";
  const browserView = createBrowserView({
    bucket: () => currentBucket,
    list: ipc.browseList,
    details: ipc.objectDetails,
    remove: ipc.deleteObject,
    download: ipc.downloadObject,
    expiry: ipc.linkExpiry,
    share: (key, seconds, disposition) => ipc.shareLink({ key, expiresSecs: seconds, disposition, copy: true }),
    thumbnail: ipc.objectThumbnail,
    fetchUrl: (url, key, allowedTypes, maxSize) => ipc.fetchUrl({ url, key, allowedTypes, maxSize }),
    uploadLink: (key, seconds, contentType) => ipc.uploadLink({ key, expiresSecs: seconds, contentType, copy: true }),
    onError: report,
    notify: (m) => banner.notice(m),
  });
  const linksView = createLinksView({
    load: (search, limit) => ipc.linkHistory({ search, limit }),
    copy: ipc.copySavedLink,
    onError: report,
  });
  const transfersPanel = createTransfersPanel({
    get: ipc.getTransferSettings,
    set: ipc.setTransferSettings,
    toError: ipc.toIpcError,
  });
  const diagnosticsView = createDiagnosticsView({
    load: ipc.diagnostics,
    copy: ipc.copyDiagnostics,
    onError: report,
    notify: (m) => banner.notice(m),
  });
  // A queue held by the transfer rules says why, in words, until it goes on.
  const holdStatus = h("div", { class: "hold-status", attrs: { role: "status", "data-testid": "queue-held" } });
  holdStatus.hidden = true;
  const showHold = (words: string | null) => {
    holdStatus.hidden = words === null;
    holdStatus.textContent = words ? `Uploads wait: ${words}` : "";
  };
  const holdWords = (r: WaitReason | null): string | null =>
    r === null ? null : r.reason === "metered" ? "paused: metered connection" : r.reason === "schedule" ? `waiting for schedule (starts ${r.starts})` : "waiting for network";
  const settingsView = createSettingsView({
    load: ipc.getSettings,
    listProfiles: ipc.listProfiles,
    saveProfile: ipc.saveProfile,
    deleteProfile: ipc.deleteProfile,
    useProfile: ipc.useProfile,
    testProfile: (name) => ipc.testProfile(name),
    awsProfiles: ipc.awsProfiles,
    importAwsProfile: ipc.importAwsProfile,
    getPreferences: ipc.getPreferences,
    setPreferences: ipc.setPreferences,
    toError: ipc.toIpcError,
  }, [createStartupPanel({ get: ipc.getAutostart, set: ipc.setAutostart, toError: ipc.toIpcError }), transfersPanel]);
  const overlay = createDropOverlay();
  const watches = new WatchStore();
  const refreshWatches = () => ipc.watchList().then((l) => watches.setAll(l), report);
  const watchesView = createWatchesView(watches, {
    pickFolder: ipc.pickWatchFolder,
    profiles: () =>
      ipc.listProfiles().then((l) => [
        { name: null, label: "Local store (built-in)", bucket: null },
        ...l.profiles.map((p) => ({ name: p.name, label: `Profile ${p.name}`, bucket: p.bucket })),
      ]),
    defaultExcludes: ipc.watchDefaultExcludes,
    add: (root, prefix, del, options) => ipc.watchAdd(root, prefix, del, options).then(refreshWatches),
    update: (id, root, prefix, del, options) => ipc.watchUpdate(id, root, prefix, del, options).then(refreshWatches),
    setEnabled: ipc.watchSetEnabled,
    remove: ipc.watchRemove,
    rescan: ipc.watchRescan,
    trash: ipc.watchTrash,
    restore: ipc.watchRestore,
    decideDeletions: ipc.watchDecideDeletions,
    onError: report,
    notify: (m) => banner.notice(m),
  });

  let tab: Tab = "queue";
  const setTab = (next: Tab) => {
    tab = next;
    header.setTab(next);
    queueView.element.hidden = next !== "queue";
    watchesView.element.hidden = next !== "watches";
    historyView.element.hidden = next !== "history";
    browserView.element.hidden = next !== "browser";
    linksView.element.hidden = next !== "links";
    settingsView.element.hidden = next !== "settings";
    diagnosticsView.element.hidden = next !== "diagnostics";
    if (next === "diagnostics") diagnosticsView.shown();
    if (next === "queue") queueView.shown();
    if (next === "watches") void refreshWatches();
    if (next === "history") historyView.shown();
    else historyView.hidden();
    if (next === "settings") settingsView.shown();
    if (next === "links") linksView.shown();
    if (next === "browser") {
      ipc.getSettings().then((st) => {
        if (!st.target) {
          report({ code: "invalid_input", message: st.target_problem ?? "no upload target: choose a profile in Settings" });
          return;
        }
        currentBucket = st.target.bucket;
        browserView.shown();
      }, report);
    }
  };
  const header = createHeader(store, { onAction: globalAction, onTab: setTab });

  store.subscribe((change) => {
    if (change.finished && tab === "history") historyView.itemsFinished();
  });

  root.replaceChildren(
    header.element,
    banner.element,
    holdStatus,
    h("main", { class: "views" }, queueView.element, watchesView.element, historyView.element, browserView.element, linksView.element, settingsView.element, diagnosticsView.element),
    overlay.element,
  );
  setTab("queue");

  if (!ipc.inTauri()) {
    banner.show("Not running inside the Hoist app: commands are unavailable in a plain browser.");
    if (import.meta.env.DEV && new URLSearchParams(location.search).has("demo")) {
      void import("./dev/demo").then((m) => m.runDemo(store));
    }
    return store;
  }

  // Events first, then the snapshot; the store records events that arrive
  // while the snapshot is in flight and replays them on top of it.
  let syncing = false;
  let syncAgain = false;
  const resync = async () => {
    if (syncing) {
      syncAgain = true;
      return;
    }
    syncing = true;
    try {
      do {
        syncAgain = false;
        store.beginSnapshot();
        store.applySnapshot(await ipc.listQueue());
      } while (syncAgain);
    } catch (e) {
      store.abortSnapshot();
      report(e);
    } finally {
      syncing = false;
    }
  };

  store.beginSnapshot();
  ipc
    .subscribe((msg) => {
      if (msg.type === "event") {
        if (msg.event.event === "watch") watches.apply(msg.event);
        else if (msg.event.event === "held") showHold(holdWords(msg.event.reason));
        else store.apply(msg.event);
      } else {
        void resync();
        void refreshWatches();
      }
    })
    .then(() => Promise.all([resync(), refreshWatches()]), report);
  ipc.getTransferSettings().then((s) => showHold(s.held), report);

  ipc
    .onLinkEvents({
      copied: (link) => banner.notice(copiedMessage(link)),
      failed: report,
    })
    .catch(report);

  ipc
    .onFileDrop({
      onHover: overlay.setVisible,
      onError: report,
    })
    .catch(report);

  return store;
}
