// Typed wrappers for the Rust shell's commands and events (see ui/IPC.md).
// This is the only module that imports @tauri-apps/*. Every wrapper rejects
// with an IpcError ({ code, message }), whatever went wrong.

import { Channel, invoke, isTauri } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";

import type { AppSettings } from "../../bindings/AppSettings";
import type { Preferences } from "../../bindings/Preferences";
import type { DiagnosticsReport } from "../../bindings/DiagnosticsReport";
import type { TransferSettings } from "../../bindings/TransferSettings";
import type { TransferStatus } from "../../bindings/TransferStatus";
import type { ErrorCode } from "../../bindings/ErrorCode";
import type { ErrorReport } from "../../bindings/ErrorReport";
import type { HistoryEntry } from "../../bindings/HistoryEntry";
import type { ItemStatus } from "../../bindings/ItemStatus";
import type { QueueMessage } from "../../bindings/QueueMessage";
import type { AwsFileProfile } from "../../bindings/AwsFileProfile";
import type { AwsImportForm } from "../../bindings/AwsImportForm";
import type { ConnectionReport } from "../../bindings/ConnectionReport";
import type { ProfileForm } from "../../bindings/ProfileForm";
import type { ProfileList } from "../../bindings/ProfileList";
import type { Disposition } from "../../bindings/Disposition";
import type { LinkExpiry } from "../../bindings/LinkExpiry";
import type { Listing } from "../../bindings/Listing";
import type { ListRequest } from "../../bindings/ListRequest";
import type { TextPreview } from "../../bindings/TextPreview";
import type { ObjectDetails } from "../../bindings/ObjectDetails";
import type { ShareLink } from "../../bindings/ShareLink";
import type { BucketEntry } from "../../bindings/BucketEntry";
import type { BulkSummary } from "../../bindings/BulkSummary";
import type { VersionEntry } from "../../bindings/VersionEntry";
import type { ObjectOptions } from "../../bindings/ObjectOptions";
import type { Profile } from "../../bindings/Profile";
import type { TrashedFile } from "../../bindings/TrashedFile";
import type { WatchConfig } from "../../bindings/WatchConfig";
import type { WatchOptions } from "../../bindings/WatchOptions";
import type { WatchStatus } from "../../bindings/WatchStatus";
import type { AddOutcome } from "../../bindings/AddOutcome";
import type { AddPreferences } from "../../bindings/AddPreferences";
import type { ConflictChoice } from "../../bindings/ConflictChoice";
import type { ConflictPolicy } from "../../bindings/ConflictPolicy";
import type { Destination } from "../../bindings/Destination";
import type { DestinationView } from "../../bindings/DestinationView";
import type { KeyDecision } from "../../bindings/KeyDecision";
import type { QueueAction } from "../../bindings/QueueAction";
import type { CopyMark } from "../../bindings/CopyMark";

/** What every command rejects with. Same shape as the Rust side's ErrorReport. */
export type IpcError = ErrorReport;

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "local_file",
  "network",
  "store_busy",
  "auth",
  "no_such_bucket",
  "no_such_upload",
  "integrity",
  "rejected",
  "journal",
  "invalid_input",
  "cancelled",
  "keyring",
  "no_such_profile",
  "not_found",
  "not_allowed_type",
  "too_large",
  "needs_confirmation",
  "unsupported",
]);

export function isIpcError(e: unknown): e is IpcError {
  if (typeof e !== "object" || e === null) return false;
  const o = e as Record<string, unknown>;
  return typeof o.code === "string" && CODES.has(o.code) && typeof o.message === "string";
}

/**
 * Turn anything thrown into an IpcError. Errors that do not come from Hoist's
 * commands (Tauri's own, e.g. a missing command or bad arguments, arrive as
 * plain strings) have no code of their own and become "rejected".
 */
export function toIpcError(e: unknown): IpcError {
  if (isIpcError(e)) return { code: e.code, message: e.message };
  if (typeof e === "string") return { code: "rejected", message: e };
  if (e instanceof Error) return { code: "rejected", message: e.message };
  if (typeof e === "object" && e !== null && typeof (e as { message?: unknown }).message === "string") {
    return { code: "rejected", message: (e as { message: string }).message };
  }
  return { code: "rejected", message: String(e) };
}

/** True inside the Tauri webview; false in a plain browser (vite dev preview). */
export function inTauri(): boolean {
  return isTauri();
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toIpcError(e);
  }
}

// ---- commands ---------------------------------------------------------------

/** Start the engine's event stream; `onMessage` gets every QueueMessage. */
export async function subscribe(onMessage: (msg: QueueMessage) => void): Promise<void> {
  const channel = new Channel<QueueMessage>();
  channel.onmessage = onMessage;
  await call<void>("subscribe", { channel });
}

export const listQueue = (): Promise<ItemStatus[]> => call("list_queue");

/**
 * Queue absolute paths (files and folders); resolves to the new ids. Rust accepts only
 * paths the user chose (the end-to-end tests' files count as chosen in debug builds);
 * the app itself queues through the Rust-side dialogs and drops below.
 */
export const addPaths = (paths: string[], destination: Destination | null = null): Promise<AddOutcome> =>
  call("add_paths", { paths, destination });

// ---- destination, conflicts, the queue's selection ------------------------------

/** Where adds go now (remembered per profile) and the conflict setting. */
export const getDestination = (): Promise<DestinationView> => call("get_destination");
/** Choose where adds go; the destination's profile becomes the active one. */
export const setDestination = (destination: Destination): Promise<DestinationView> => call("set_destination", { destination });
/** The folders in a destination's bucket under its folder (objects left out). */
export const destinationFolders = (destination: Destination, continuation: string | null = null): Promise<Listing> =>
  call("destination_folders", { destination, continuation });
export const addPreferences = (): Promise<AddPreferences> => call("add_preferences");
export const setConflictChoice = (choice: ConflictChoice): Promise<AddPreferences> => call("set_conflict_choice", { choice });
/** The conflict dialog's answer; `otherwise: null` cancels the batch. Resolves to the queued ids. */
export const resolveConflicts = (batch: number, decisions: KeyDecision[], otherwise: ConflictPolicy | null): Promise<number[]> =>
  call("resolve_conflicts", { batch, decisions, otherwise });
export const queueAction = (action: QueueAction, ids: number[]): Promise<void> => call("queue_action", { action, ids });
/** Verified, skipped and cancelled rows leave the queue; resolves to how many. */
export const clearFinished = (): Promise<number> => call("clear_finished");

export const pauseItem = (id: number): Promise<void> => call("pause_item", { id });
export const resumeItem = (id: number): Promise<void> => call("resume_item", { id });
export const cancelItem = (id: number): Promise<void> => call("cancel_item", { id });
export const retryItem = (id: number): Promise<void> => call("retry_item", { id });
/** Only for finished items (verified, skipped, failed, cancelled). */
export const removeItem = (id: number): Promise<void> => call("remove_item", { id });

export const pauseAll = (): Promise<void> => call("pause_all");
export const resumeAll = (): Promise<void> => call("resume_all");
export const retryFailed = (): Promise<void> => call("retry_failed");

/** Newest first. */
export const history = (opts: { limit: number }): Promise<HistoryEntry[]> => call("history", { limit: opts.limit });

export const getSettings = (): Promise<AppSettings> => call("get_settings");

/** App preferences (closing the window keeps Hoist in the tray while it works). */
export const getPreferences = (): Promise<Preferences> => call("get_preferences");
export const setPreferences = (preferences: Preferences): Promise<Preferences> => call("set_preferences", { preferences });

/** Settings → Transfers; applied to the running engine at once. */
export const getTransferSettings = (): Promise<TransferStatus> => call("get_transfer_settings");
export const setTransferSettings = (settings: TransferSettings): Promise<TransferStatus> => call("set_transfer_settings", { settings });

/** Versions, paths and the recent log (redacted); the report is copied by Rust. */
export const diagnostics = (): Promise<DiagnosticsReport> => call("diagnostics");
export const copyDiagnostics = (): Promise<void> => call("copy_diagnostics");

/** Start at login (tray only, no window); off by default. */
export const getAutostart = (): Promise<boolean> => call("get_autostart");
export const setAutostart = (enabled: boolean): Promise<boolean> => call("set_autostart", { enabled });

/** Profiles with whether the keyring holds their secret; never a secret itself. */
export const listProfiles = (): Promise<ProfileList> => call("list_profiles");
/** Create or update; a non-empty secret goes to the keyring (write-only). */
export const saveProfile = (profile: ProfileForm): Promise<ProfileList> => call("save_profile", { profile });
/** Also deletes the profile's keyring entry. */
export const deleteProfile = (name: string): Promise<ProfileList> => call("delete_profile", { name });
/** null = the built-in local store. */
export const useProfile = (name: string | null): Promise<AppSettings> => call("use_profile", { name });
export const testProfile = (name: string, bucket: string | null = null): Promise<ConnectionReport> => call("test_profile", { name, bucket });
export const awsProfiles = (): Promise<AwsFileProfile[]> => call("aws_profiles");
export const importAwsProfile = (request: AwsImportForm): Promise<ProfileList> => call("import_aws_profile", { request });

// ---- links, the bucket browser, fetching URLs ---------------------------------

/** What a link made now would really last (temporary credentials may end first). */
export const linkExpiry = (expiresSecs: number): Promise<LinkExpiry> => call("link_expiry", { expiresSecs });

/** A share link (presigned GET); with `copy`, Rust puts it on the clipboard. */
export const shareLink = (opts: {
  key: string;
  bucket?: string | null;
  expiresSecs: number;
  disposition?: Disposition | null;
  copy: boolean;
}): Promise<ShareLink> =>
  call("share_link", {
    key: opts.key,
    bucket: opts.bucket ?? null,
    expiresSecs: opts.expiresSecs,
    disposition: opts.disposition ?? null,
    copy: opts.copy,
  });

export const uploadLink = (opts: { key: string; expiresSecs: number; contentType?: string | null; copy: boolean }): Promise<ShareLink> =>
  call("upload_link", { key: opts.key, expiresSecs: opts.expiresSecs, contentType: opts.contentType ?? null, copy: opts.copy });

export const copySavedLink = (id: number): Promise<ShareLink> => call("copy_saved_link", { id });
export const linkHistory = (opts: { search?: string | null; limit: number }): Promise<ShareLink[]> =>
  call("link_history", { search: opts.search ?? null, limit: opts.limit });
export const copyLinkWhenDone = (id: number, expiresSecs: number): Promise<void> => call("copy_link_when_done", { id, expiresSecs });
/** Uploads marked "copy link when done" (kept in the journal across restarts). */
export const copyWhenDoneMarks = (): Promise<CopyMark[]> => call("copy_when_done_marks");

/** Queues an upload from a URL; answers the new queue item's id at once. */
export const fetchUrl = (opts: { url: string; key: string; allowedTypes: string[]; maxSize: number | null }): Promise<number> =>
  call("fetch_url", { url: opts.url, key: opts.key, allowedTypes: opts.allowedTypes, maxSize: opts.maxSize });

export const browseList = (request: ListRequest): Promise<Listing> => call("browse_list", { request });
export const objectDetails = (key: string): Promise<ObjectDetails> => call("object_details", { key });
export const objectTextPreview = (key: string, bucket: string): Promise<TextPreview> => call("object_text_preview", { key, bucket });
/** Only after the user confirmed. */
export const deleteObject = (key: string): Promise<void> => call("delete_object", { key });
/** A PNG thumbnail as a data: URL (made in Rust; the CSP allows only data: images). */
/** A queued local image's thumbnail as a data: URL (Rust reads the item's file). */
export const itemThumbnail = (id: number): Promise<string> => call("item_thumbnail", { id });
export const objectThumbnail = (key: string): Promise<string> => call("object_thumbnail", { key });
/** Saves into Downloads; resolves to the file's path. */
export const downloadObject = (key: string): Promise<string> => call("download_object", { key });

// ---- buckets, upload defaults, key templates -------------------------------------

/** The current profile's buckets (the local store's when none is active). */
export const listBuckets = (): Promise<BucketEntry[]> => call("list_buckets");
export const createBucket = (name: string, region: string | null = null): Promise<void> => call("create_bucket", { name, region });
/** The Browser's bucket for this profile (null: the profile's own); resolves to the bucket shown. */
export const browseUseBucket = (bucket: string | null): Promise<string> => call("browse_use_bucket", { bucket });
/** The key a file would get now with `template` (null: the active profile's). */
export const previewKey = (template: string | null, fileName: string): Promise<string> => call("preview_key", { template, fileName });
/** The Browser's selection, in the bucket it shows. Deleting: only after the user confirmed. */
export const deleteSelection = (keys: string[]): Promise<BulkSummary> => call("delete_selection", { keys });
export const moveSelection = (keys: string[], dest: string): Promise<BulkSummary> => call("move_selection", { keys, dest });
export const renameEntry = (from: string, to: string): Promise<BulkSummary> => call("rename_entry", { from, to });
export const newFolder = (parent: string, name: string): Promise<string> => call("new_folder", { parent, name });
/** Share links for the keys, one a line on the clipboard (Rust writes it); resolves to how many. */
export const copyLinks = (keys: string[], expiresSecs: number): Promise<number> => call("copy_links", { keys, expiresSecs });
/** While the Browser shows `prefix`, dropped files go there (null: the queue's destination). */
export const browseDropInto = (prefix: string | null): Promise<void> => call("browse_drop_into", { prefix });
/** Save dialog (Rust), then the download; null when cancelled. */
export const downloadObjectAs = (key: string): Promise<string | null> => call("download_object_as", { key });
/** Stops a running "Download…" of `key`; false when none runs. */
export const cancelDownload = (key: string): Promise<boolean> => call("cancel_download", { key });
export async function onDownloadProgress(handler: (p: { key: string; done: number; total: number | null }) => void): Promise<() => void> {
  try {
    return await listen<{ key: string; done: number; total: number | null }>("download-progress", (e) => handler(e.payload));
  } catch (e) {
    throw toIpcError(e);
  }
}
export const objectVersions = (key: string): Promise<VersionEntry[]> => call("object_versions", { key });
/** Only after the user confirmed. */
export const restoreVersion = (key: string, versionId: string): Promise<void> => call("restore_version", { key, versionId });
export const downloadVersionAs = (key: string, versionId: string): Promise<string | null> => call("download_version_as", { key, versionId });
export const setUploadDefaults = (name: string, defaults: ObjectOptions, keyTemplate: string | null): Promise<Profile> =>
  call("set_upload_defaults", { name, defaults, keyTemplate });

/** A link went to the clipboard (from any view, or "copy link when done"). */
export async function onLinkEvents(handlers: { copied(link: ShareLink): void; failed(err: IpcError): void }): Promise<() => void> {
  try {
    const a = await listen<ShareLink>("link-copied", (e) => handlers.copied(e.payload));
    const b = await listen<unknown>("link-failed", (e) => handlers.failed(toIpcError(e.payload)));
    return () => {
      a();
      b();
    };
  } catch (e) {
    throw toIpcError(e);
  }
}

// ---- watched folders ------------------------------------------------------------

export const watchList = (): Promise<WatchStatus[]> => call("watch_list");
/**
 * Watch an absolute folder under `prefix`: into `options`' target with its patterns,
 * or (without options) the current target's bucket with the default patterns.
 */
export const watchAdd = (root: string, prefix: string, deleteRemote: boolean, options: WatchOptions | null = null): Promise<WatchConfig> =>
  call("watch_add", { root, prefix, deleteRemote, options });
/** Change a watch's folder, target, patterns or deletions (it catches up again). */
export const watchUpdate = (id: number, root: string, prefix: string, deleteRemote: boolean, options: WatchOptions): Promise<WatchConfig> =>
  call("watch_update", { id, root, prefix, deleteRemote, options });
export const watchDefaultExcludes = (): Promise<string[]> => call("watch_default_excludes");
/** The watch's deleted files in the trash, newest first. */
export const watchTrash = (id: number): Promise<TrashedFile[]> => call("watch_trash", { id });
/** Put a trashed file back into the folder; resolves to its path. */
export const watchRestore = (id: number, trashKey: string): Promise<string> => call("watch_restore", { id, trashKey });
/** Answer the large-deletion guard: move the held deletions to the trash, or keep them. */
export const watchDecideDeletions = (id: number, approve: boolean): Promise<number> =>
  call("watch_decide_deletions", { id, approve });
export const watchRemove = (id: number): Promise<void> => call("watch_remove", { id });
export const watchSetEnabled = (id: number, enabled: boolean): Promise<void> =>
  call("watch_set_enabled", { id, enabled });
export const watchRescan = (id: number): Promise<void> => call("watch_rescan", { id });

/** Native folder picker for a watch (opened by Rust); resolves to the chosen folder or null. */
export const pickWatchFolder = (): Promise<string | null> => call("pick_watch_folder");

// ---- file pickers and drag & drop --------------------------------------------
// Rust opens the dialogs and receives drops, and queues what the user chose: the
// page never names a local path of its own (see src-tauri/src/chosen.rs).

/** Native file picker; queues the chosen files at `destination` (null = the current one). */
export const pickFiles = (destination: Destination | null = null): Promise<AddOutcome> => call("pick_files", { destination });

/** Native folder picker; queues the chosen folders at `destination`. */
export const pickFolder = (destination: Destination | null = null): Promise<AddOutcome> => call("pick_folders", { destination });

export interface FileDropHandlers {
  /** true while files are dragged over the window (show the overlay), false when they leave or drop. */
  onHover(active: boolean): void;
  /** After a drop was queued, or held for the conflict dialog. */
  onAdded?(outcome: AddOutcome): void;
  onError?(err: IpcError): void;
}

/**
 * Listen for files dragged onto the window: the overlay while they hover, then Rust's
 * answer once it queued the drop (`files-added` with the new ids, or `add-failed`).
 * Resolves to an unlisten function.
 */
export async function onFileDrop(handlers: FileDropHandlers): Promise<() => void> {
  // A drag of something that is not files (text, a link) enters with no paths: no overlay for it.
  let files = false;
  try {
    const added = await listen<AddOutcome>("files-added", (e) => handlers.onAdded?.(e.payload));
    const failed = await listen<unknown>("add-failed", (e) => handlers.onError?.(toIpcError(e.payload)));
    const drag = await getCurrentWebview().onDragDropEvent((event) => {
      const p = event.payload;
      switch (p.type) {
        case "enter":
          files = p.paths.length > 0;
          handlers.onHover(files);
          break;
        case "over":
          if (files) handlers.onHover(true);
          break;
        case "leave":
          files = false;
          handlers.onHover(false);
          break;
        case "drop":
          // Rust queues the dropped files itself and answers with an event.
          files = false;
          handlers.onHover(false);
          break;
      }
    });
    return () => {
      added();
      failed();
      drag();
    };
  } catch (e) {
    throw toIpcError(e);
  }
}
