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
import { createUploadDefaultsPanel } from "./views/upload-defaults";
import { createDiagnosticsView } from "./views/diagnostics-view";
import { createTransfersPanel } from "./views/transfers-panel";
import { createStartupPanel } from "./views/startup-panel";
import type { WaitReason } from "./bindings/WaitReason";
import { createWatchesView } from "./views/watches-view";
import { WatchStore } from "./lib/watches";
import type { AddOutcome } from "./bindings/AddOutcome";
import type { PendingAdd } from "./bindings/PendingAdd";
import type { QueueAction } from "./bindings/QueueAction";
import { askConflicts } from "./views/conflict-dialog";
import { createConflictSetting } from "./views/conflict-setting";
import { openDestinationPicker } from "./views/destination-picker";
import { confirmDialog } from "./views/modal";
import { TABS } from "./views/header";
import { isFinal } from "./lib/queue";
import { shortcutFor } from "./lib/shortcuts";
import { createExpiryChooser } from "./views/expiry-chooser";

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
  unsupported: "Not supported",
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

  const confirmCancel = (n: number) =>
    confirmDialog(
      n === 1 ? "Cancel this upload?" : `Cancel ${n} uploads?`,
      "What was sent is discarded on the store. A cancelled upload can be retried later; it starts again from the beginning.",
      n === 1 ? "Cancel upload" : `Cancel ${n} uploads`,
    );

  // "Ask" on conflicts: the batch waits in Rust until the dialog is answered.
  const answerConflicts = async (pending: PendingAdd) => {
    const answer = await askConflicts(pending);
    const ids = await ipc.resolveConflicts(pending.batch, answer.decisions, answer.otherwise);
    if (answer.otherwise === null) banner.notice("Nothing was added");
    else if (ids.length) banner.notice(`${ids.length} file${ids.length === 1 ? "" : "s"} added`);
  };
  const added = (o: AddOutcome) => {
    if (o.pending) run(answerConflicts(o.pending));
  };

  // How long links last, chosen where they are made (the Browser has its own).
  const queueExpiry = createExpiryChooser("queue-expiry", ipc.linkExpiry);
  const historyExpiry = createExpiryChooser("history-expiry", ipc.linkExpiry);
  const linksExpiry = createExpiryChooser("links-expiry", ipc.linkExpiry);
  const refreshCopyMarks = () =>
    ipc.copyWhenDoneMarks().then((marks) => queueView.setCopyMarks(new Map(marks.map((m) => [m.id, m.expires_secs]))), report);

  const itemAction = (action: ItemAction, id: number) => {
    if (action === "copy-link") {
      const it = store.get(id);
      if (it) run(ipc.shareLink({ key: it.key, bucket: it.bucket, expiresSecs: queueExpiry.seconds(), copy: true }));
      return;
    }
    if (action === "copy-when-done") {
      run(
        ipc
          .copyLinkWhenDone(id, queueExpiry.seconds())
          .then(() => banner.notice("The link goes to the clipboard when this upload is verified"))
          .finally(() => void refreshCopyMarks()),
      );
      return;
    }
    if (action === "cancel") {
      run(confirmCancel(1).then((yes) => (yes ? ipc.cancelItem(id) : undefined)));
      return;
    }
    const cmd = {
      pause: ipc.pauseItem,
      resume: ipc.resumeItem,
      retry: ipc.retryItem,
      remove: ipc.removeItem,
    }[action];
    run(cmd(id));
  };

  const refreshDestination = () =>
    ipc.getDestination().then((v) => {
      header.setDestination(v.label);
      overlay.setDestination(v.label);
    }, report);
  const chooseDestination = () =>
    openDestinationPicker({
      current: ipc.getDestination,
      profiles: () =>
        ipc.listProfiles().then((l) => [
          { name: null, label: "Local store (built-in)", bucket: "hoist" },
          ...l.profiles.map((p) => ({ name: p.name, label: `Profile ${p.name}`, bucket: p.bucket })),
        ]),
      folders: (d) => ipc.destinationFolders(d),
      choose: ipc.setDestination,
      describeError,
    }).then((v) => {
      if (v) {
        header.setDestination(v.label);
        overlay.setDestination(v.label);
        banner.notice(`Added files go to ${v.label}`);
      }
    });

  const globalAction = (action: GlobalAction) => {
    switch (action) {
      case "add-files":
        return run(ipc.pickFiles().then(added));
      case "add-folder":
        return run(ipc.pickFolder().then(added));
      case "choose-destination":
        return run(chooseDestination());
      case "pause-all":
        return run(ipc.pauseAll());
      case "resume-all":
        return run(ipc.resumeAll());
      case "retry-failed":
        return run(ipc.retryFailed());
    }
  };

  const selectionAction = (action: QueueAction, ids: number[]) => {
    if (action === "cancel") {
      run(confirmCancel(ids.length).then((yes) => (yes ? ipc.queueAction("cancel", ids) : undefined)));
      return;
    }
    run(ipc.queueAction(action, ids));
  };
  const queueView = createQueueView(store, {
    tools: queueExpiry.element,
    thumbnail: ipc.itemThumbnail,
    onAction: itemAction,
    onSelection: selectionAction,
    onClearFinished: () =>
      run(ipc.clearFinished().then((n) => banner.notice(n ? `${n} finished upload${n === 1 ? "" : "s"} cleared` : "No finished uploads to clear"))),
  });
  const historyView = createHistoryView({
    load: (limit) => ipc.history({ limit }),
    onError: report,
    copyLink: (e) => run(ipc.shareLink({ key: e.key, bucket: e.bucket, expiresSecs: historyExpiry.seconds(), copy: true })),
    tools: historyExpiry.element,
  });
  let currentBucket = "";
  const browserView = createBrowserView({
    bucket: () => currentBucket,
    list: ipc.browseList,
    details: ipc.objectDetails,
    remove: ipc.deleteObject,
    download: ipc.downloadObject,
    expiry: ipc.linkExpiry,
    share: (key, seconds, disposition) => ipc.shareLink({ key, bucket: browserView.bucket(), expiresSecs: seconds, disposition, copy: true }),
    thumbnail: ipc.objectThumbnail,
    preview: { text: ipc.objectTextPreview },
    fetchUrl: (url, key, allowedTypes, maxSize) => ipc.fetchUrl({ url, key, allowedTypes, maxSize }),
    uploadLink: (key, seconds, contentType) => ipc.uploadLink({ key, expiresSecs: seconds, contentType, copy: true }),
    onError: report,
    notify: (m) => banner.notice(m),
    buckets: { list: ipc.listBuckets, use: ipc.browseUseBucket, create: (name) => ipc.createBucket(name) },
    selection: {
      remove: ipc.deleteSelection,
      move: ipc.moveSelection,
      rename: ipc.renameEntry,
      newFolder: ipc.newFolder,
      copyLinks: (keys) => ipc.copyLinks(keys, DEFAULT_EXPIRY_SECS),
    },
    dropInto: (prefix) => void ipc.browseDropInto(prefix).catch(report),
    versions: { list: ipc.objectVersions, restore: ipc.restoreVersion, download: ipc.downloadVersionAs },
    cancelDownload: ipc.cancelDownload,
    downloadAs: async (key, progress) => {
      const stop = await ipc.onDownloadProgress((p) => p.key === key && progress(p.done, p.total)).catch(() => () => {});
      try {
        return await ipc.downloadObjectAs(key);
      } finally {
        stop();
      }
    },
  });
  const linksView = createLinksView({
    load: (search, limit) => ipc.linkHistory({ search, limit }),
    copy: ipc.copySavedLink,
    renew: (l) => ipc.shareLink({ key: l.key, bucket: l.bucket, expiresSecs: linksExpiry.seconds(), copy: true }),
    tools: linksExpiry.element,
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
    extras: [
      createUploadDefaultsPanel({
        listProfiles: ipc.listProfiles,
        save: ipc.setUploadDefaults,
        previewKey: ipc.previewKey,
        onError: report,
        notify: (m) => banner.notice(m),
      }),
    ],
  }, [
    createConflictSetting({ load: ipc.addPreferences, save: ipc.setConflictChoice, describeError }),
    createStartupPanel({ get: ipc.getAutostart, set: ipc.setAutostart, toError: ipc.toIpcError }),
    transfersPanel,
  ]);
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
    else if (ipc.inTauri()) void refreshDestination();
    if (next === "links") linksView.shown();
    if (next !== "browser") browserView.hidden();
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

  const panels: Record<Tab, HTMLElement> = {
    queue: queueView.element,
    watches: watchesView.element,
    history: historyView.element,
    browser: browserView.element,
    links: linksView.element,
    settings: settingsView.element,
    diagnostics: diagnosticsView.element,
  };
  for (const t of TABS) {
    panels[t].id = `view-${t}`;
    panels[t].setAttribute("role", "tabpanel");
    panels[t].setAttribute("aria-labelledby", `tab-${t}`);
    panels[t].removeAttribute("aria-label");
  }

  // Keyboard shortcuts (see lib/shortcuts): keys typed into a field stay there.
  document.addEventListener("keydown", (ev) => {
    if (document.querySelector(".modal-veil")) return;
    const sc = shortcutFor(ev);
    if (!sc) return;
    ev.preventDefault();
    const selectedIds = () => (tab === "queue" ? queueView.selected() : []);
    switch (sc.kind) {
      case "add-files":
        return globalAction("add-files");
      case "add-folder":
        return globalAction("add-folder");
      case "tab":
        return setTab(TABS[sc.index]!);
      case "search":
        setTab("queue");
        queueView.search.focus();
        return;
      case "select-all":
        if (tab === "queue") queueView.selectAll();
        return;
      case "toggle-pause": {
        const ids = selectedIds();
        if (!ids.length) return;
        const moving = ids.some((id) => {
          const s = store.get(id)?.state;
          return s === "queued" || s === "running";
        });
        return run(ipc.queueAction(moving ? "pause" : "resume", ids));
      }
      case "remove": {
        const ids = selectedIds().filter((id) => {
          const s = store.get(id)?.state;
          return s !== undefined && isFinal(s);
        });
        if (ids.length) run(ipc.queueAction("remove", ids));
        return;
      }
    }
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
      if (msg.type === "events") {
        for (const event of msg.events) {
          if (event.event === "watch") watches.apply(event);
          else if (event.event === "held") showHold(holdWords(event.reason));
          else store.apply(event);
        }
      } else {
        void resync();
        void refreshWatches();
      }
    })
    .then(() => Promise.all([resync(), refreshWatches()]), report);
  ipc.getTransferSettings().then((s) => showHold(s.held), report);

  ipc
    .onLinkEvents({
      copied: (link) => {
        banner.notice(copiedMessage(link));
        void refreshCopyMarks();
      },
      failed: report,
    })
    .catch(report);

  ipc
    .onFileDrop({
      onHover: overlay.setVisible,
      onAdded: added,
      onError: report,
    })
    .catch(report);
  void refreshDestination();
  void refreshCopyMarks();

  return store;
}
