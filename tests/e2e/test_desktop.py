"""End to end in the real Hoist window (tauri-driver + WebKitWebDriver under Xvfb),
on the embedded local store: add files through the command the drop handler calls,
watch the queue reach verified, compare the stored objects byte for byte, pause and
resume one item from its row, restart the app mid-upload and see it resume, and a
second launch hands over to the first; a profile's secret lives in the real keyring
and nowhere else, and uploads use it; and a compromised page can neither upload a
file the user never chose, watch /etc, nor point a profile's stored secret at its own
server. Run by scripts/e2e.sh, which sets up the display, the driver and a throwaway
HOME, and registers HOIST_E2E_CHOSEN as the folder of files "the user chose" (native
drops and dialogs cannot be synthesised through WebDriver)."""

import hashlib
import http.server
import json
import re
import sqlite3
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from browser_steps import preview_step
from webdriver import Session
from xwindow import app_windows

DRIVER = os.environ.get("HOIST_E2E_DRIVER", "http://127.0.0.1:4444")
APP = os.environ["HOIST_E2E_APP"]
# What the driver launches: a wrapper that keeps the app's own output in a log.
LAUNCH = os.environ.get("HOIST_E2E_LAUNCH", APP)
WORK = os.environ["HOIST_E2E_WORK"]
# Files below this folder count as chosen by the user (a debug build's test door).
CHOSEN = os.environ["HOIST_E2E_CHOSEN"]
ARTIFACTS = os.environ["HOIST_E2E_ARTIFACTS"]
# One data folder for the app and the `hoist` CLI (hoist-core's journal::data_dir).
DATA = os.path.join(os.environ["XDG_DATA_HOME"], "hoist")
LOGS = os.path.join(os.environ["XDG_DATA_HOME"], "dev.hoist.desktop", "logs")
STORE = os.path.join(DATA, "localstore")
OBJECTS = os.path.join(STORE, "objects", "hoist")
MIB = 1024 * 1024


def write(path, size, seed):
    """A file of `size` bytes whose content depends on the seed (fast to make)."""
    block = bytes((i * 7 + seed) % 251 for i in range(MIB))
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, len(block))
            f.write(block[:n])
            left -= n
    return path


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 * MIB):
            h.update(chunk)
    return h.hexdigest()


def row_css(key):
    return f'[data-testid="queue-row"][data-key="{key}"]'


def state_of(s, key):
    # Read in one script call: the virtual list re-renders rows, so element handles
    # held across polls would go stale.
    return s.execute(
        "const r = document.querySelector(arguments[0]); return r ? r.getAttribute('data-state') : null;",
        row_css(key),
    )


def clipboard():
    """What `xclip -o -selection clipboard` prints (None when nothing is there)."""
    r = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True, timeout=10)
    return r.stdout.decode() if r.returncode == 0 else None


def url_digest(url):
    h = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=60) as resp:
        while chunk := resp.read(4 * MIB):
            h.update(chunk)
    return h.hexdigest()


def queue_counts(s):
    return s.execute("return window.__hoistQueue && window.__hoistQueue();")


def wait_state(s, key, states, timeout=120):
    states = states if isinstance(states, (list, tuple)) else [states]
    return s.wait(f"{key} to be {states}", lambda: state_of(s, key) in states and state_of(s, key), timeout)


def app_gone(timeout=15):
    """Waits for the app process to end (killing it if it lingers, like a crash), so
    the next launch is a fresh start and not a hand-over to a dying instance."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if subprocess.run(["pgrep", "-f", APP], capture_output=True).returncode != 0:
            return
        time.sleep(0.2)
    subprocess.run(["pkill", "-9", "-f", APP])
    time.sleep(0.5)


def window_viewable():
    from Xlib import X

    found, _ = app_windows()
    return any(w.get_attributes().map_state == X.IsViewable for w in found)


def close_like_a_window_manager():
    """Plays the close button: the WM_DELETE_WINDOW client message a window manager
    sends (there is none under Xvfb); GTK turns it into a close request."""
    from Xlib import X
    from Xlib.protocol import event

    found, d = app_windows()
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    for w in found:
        w.send_event(event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])), event_mask=X.NoEventMask)
    d.flush()
    return len(found)


def app_running():
    return subprocess.run(["pgrep", "-f", APP], capture_output=True).returncode == 0


def start():
    # tauri-driver answers before WebKitWebDriver behind it is ready: retry briefly.
    for attempt in range(10):
        try:
            s = Session(DRIVER, LAUNCH)
            break
        except Exception as e:  # noqa: BLE001
            if attempt == 9:
                raise
            print(f"  (new session failed: {e}; retrying)")
            app_gone(timeout=2)
            time.sleep(1)
    s.wait("the queue window", lambda: s.find('[data-testid="overall"]'), timeout=60)
    return s


def s3(method, url, *extra):
    """A signed request to the S3 test server, by curl (a client that is not Hoist)."""
    key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    return subprocess.run(
        ["curl", "-sS", "--fail", "-X", method, "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{key}:{secret}", *extra, url],
        capture_output=True,
        timeout=60,
    )


def keyring_lookup(name):
    out = subprocess.run(["secret-tool", "lookup", "service", "dev.hoist", "username", name], capture_output=True)
    return out.stdout.decode() if out.returncode == 0 else None


def files_with(root, needle, skip=()):
    hits = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if any(path.startswith(x) for x in skip):
                continue
            try:
                with open(path, "rb") as f:
                    if needle in f.read():
                        hits.append(path)
            except OSError:
                pass
    return hits


def click_css(s, css, timeout=30):
    s.wait(f"{css} to be clickable", lambda: s.execute(
        "const b = document.querySelector(arguments[0]); if (b) b.click(); return !!b;", css), timeout=timeout)


def browser_step(s):
    """Issue 15 in the real window, on the local store: files "dropped" (add_paths, the
    drop handler's command) while the Browser shows a folder land in that folder;
    rename one; select three with Ctrl and Shift and delete them with one confirmation."""
    click_css(s, '[data-testid="tab-browser"]')
    click_css(s, '[data-testid="browser-folder"][data-prefix="album/"] button')
    s.wait("the album listing", lambda: s.find('[data-testid="browser-object"][data-key="album/a photo.jpg"]'))
    os.makedirs(os.path.join(CHOSEN, "drop"), exist_ok=True)
    dropped = [write(os.path.join(CHOSEN, "drop", f"d{i}.txt"), 1000 + i, 40 + i) for i in range(3)]
    ids = s.invoke("add_paths", {"paths": dropped})["ids"]
    check(len(ids) == 3, f"3 dropped files queued: {ids}")

    def landed():
        items = {i["key"]: i["state"] for i in s.invoke("list_queue")}
        return all(items.get(f"album/d{i}.txt") == "verified" for i in range(3))
    s.wait("the dropped files to be verified in album/", landed, timeout=120)
    for i, path in enumerate(dropped):
        check(digest(os.path.join(OBJECTS, "album", f"d{i}.txt")) == digest(path), f"d{i}.txt landed in the folder shown, byte for byte")
    click_css(s, '[data-testid="crumb"][data-prefix="album/"]')
    s.wait("the dropped files in the listing", lambda: s.find('[data-testid="browser-object"][data-key="album/d2.txt"]'))

    click_css(s, '[data-testid="browser-object"][data-key="album/d0.txt"] button')
    s.wait("the rename field", lambda: s.execute("const e = document.querySelector('[data-testid=rename-name]'); return !!e && e.value === 'd0.txt';"))
    s.execute("document.querySelector('[data-testid=rename-name]').value = 'renamed.txt';")
    click_css(s, '[data-testid="rename-go"]')
    s.wait("the rename on disk", lambda: os.path.exists(os.path.join(OBJECTS, "album", "renamed.txt")) and not os.path.exists(os.path.join(OBJECTS, "album", "d0.txt")))
    check(digest(os.path.join(OBJECTS, "album", "renamed.txt")) == digest(dropped[0]), "renamed.txt has d0.txt's bytes")
    s.wait("the listing after the rename", lambda: s.find('[data-testid="browser-object"][data-key="album/renamed.txt"]'))

    pick = """const [key, mods] = arguments;
      const b = document.querySelector(`[data-testid="browser-object"][data-key="${key}"] button`);
      if (!b) return false;
      b.dispatchEvent(new MouseEvent('click', {bubbles: true, ctrlKey: !!mods.ctrl, shiftKey: !!mods.shift}));
      return true;"""
    s.wait("d1 selected", lambda: s.execute(pick, "album/d1.txt", {}))
    s.execute(pick, "album/d2.txt", {"shift": True})
    s.execute(pick, "album/renamed.txt", {"ctrl": True})
    count = s.execute("return document.querySelector('#view-browser [data-testid=selection-count]').textContent;")
    check(count == "3 selected", f"three selected with Shift and Ctrl: {count!r}")
    click_css(s, '#view-browser [data-testid="selection-delete"]')
    asked = s.execute("return document.querySelector('#view-browser [data-testid=selection-delete-confirm]').textContent;")
    check("3" in asked, f"one confirmation naming the count: {asked!r}")
    check(os.path.exists(os.path.join(OBJECTS, "album", "d1.txt")), "nothing is deleted before the confirmation")
    s.screenshot(os.path.join(ARTIFACTS, "browser-confirm-delete.png"))
    click_css(s, '#view-browser [data-testid="selection-delete-confirm"]')
    gone = [os.path.join(OBJECTS, "album", n) for n in ("d1.txt", "d2.txt", "renamed.txt")]
    s.wait("the three objects to be deleted", lambda: not any(os.path.exists(p) for p in gone))
    check(os.path.exists(os.path.join(OBJECTS, "album", "a photo.jpg")), "the unselected object stays")
    click_css(s, '[data-testid="tab-queue"]')


def profiles_step(s):
    """A profile for the S3 test server made in Settings: its secret goes to the real
    keyring (secret-tool sees it), uploads use it, and it is nowhere else."""
    endpoint = os.environ["HOIST_TEST_ENDPOINT"]
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    bucket = f"e2e-profile-{os.getpid()}"
    check(s3("PUT", f"{endpoint}/{bucket}").returncode == 0, f"bucket {bucket} created on the test server")

    s.click(s.find('[data-testid="tab-settings"]'))
    s.click(s.wait("the add-profile button", lambda: s.find('[data-testid="profile-add"]'), timeout=30))
    form = '[data-testid="profile-form"] '
    for name, value in [("name", "e2e-seaweed"), ("endpoint", endpoint), ("bucket", bucket), ("prefix", "via-profile"),
                        ("access_key_id", os.environ["AWS_ACCESS_KEY_ID"]), ("secret", secret)]:
        s.type(s.find(form + f'[name="{name}"]'), value)
    s.click(s.find('[data-testid="profile-save"]'))
    row = '[data-testid="profile-row"][data-name="e2e-seaweed"]'
    s.wait("the new profile's row", lambda: s.find(row), timeout=30)
    check(secret in (keyring_lookup("e2e-seaweed") or ""), "secret-tool finds the secret in the Secret Service")
    check("secret in the keyring" in s.text(s.find(row)), "the row says the secret is in the keyring")

    s.click(s.find(row + ' button[data-action="test"]'))
    result = '[data-testid="profile-test-result"][data-profile="e2e-seaweed"]'
    s.wait("the connection test", lambda: s.find(result), timeout=60)
    ok = s.execute("return document.querySelector(arguments[0]).dataset.ok", result)
    check(ok == "true", f"test connection passes: {s.text(s.find(result))!r}")
    s.screenshot(os.path.join(ARTIFACTS, "settings-profiles.png"))

    s.click(s.find(row + ' button[data-action="use"]'))
    s.wait("the profile to be in use", lambda: s.execute(
        "const r = document.querySelector(arguments[0]); return r && r.dataset.active === 'true';", row), timeout=30)
    path = write(os.path.join(CHOSEN, "by-profile.txt"), 4321, 9)
    s.invoke("add_paths", {"paths": [path]})
    s.click(s.find('[data-testid="tab-queue"]'))
    wait_state(s, "via-profile/by-profile.txt", "verified")
    got = s3("GET", f"{endpoint}/{bucket}/via-profile/by-profile.txt")
    with open(path, "rb") as f:
        check(got.returncode == 0 and got.stdout == f.read(), "the object on the test server equals the file")

    # Secret hygiene: not in what the UI received, the page, the app's files or its log.
    answers = json.dumps([s.invoke(c) for c in ["list_profiles", "get_settings", "list_queue"]] + [s.invoke("history", {"limit": 100})])
    check(secret not in answers, "no IPC answer carries the secret")
    page = s.execute("return document.documentElement.outerHTML + [...document.querySelectorAll('input')].map(i => i.value).join(' ')")
    check(secret not in page, "the page holds no copy of the secret")
    hits = files_with(os.environ["HOME"], secret.encode()) + files_with(os.path.join(WORK, "app.log"), secret.encode())
    check(hits == [], f"no file in the app's config and data dirs or its log holds the secret: {hits}")

    s.click(s.find('[data-testid="tab-settings"]'))
    # Showing Settings re-renders the list: click by selector in one script call, so no
    # element handle can go stale in between.
    confirm = row + ' button[data-action="confirm"]'
    for attempt in range(5):
        click_css(s, row + ' button[data-action="delete"]')
        try:
            click_css(s, confirm, timeout=3)
            break
        except Exception:  # noqa: BLE001 - a re-render closed the question: ask again
            if attempt == 4:
                raise
    s.wait("the row to go", lambda: s.find(row) is None, timeout=30)
    check(keyring_lookup("e2e-seaweed") is None, "deleting the profile removed its keyring entry")
    local = '[data-testid="profile-row"][data-name=""][data-active="true"]'
    check(s.wait("the local store in use again", lambda: s.find(local), timeout=30) is not None, "uploads go to the local store again")
    s.click(s.find('[data-testid="tab-queue"]'))


class Recorder:
    """An attacker's S3 endpoint on loopback: it records every request it gets."""

    def __init__(self):
        seen = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                seen.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def refused(s, command, args, words):
    """Invokes a command as a page would; it must be refused with `words` in the reason."""
    try:
        s.invoke(command, args)
    except Exception as e:  # noqa: BLE001
        message = str(e)
        check(all(w in message for w in words), f"{command} {json.dumps(args)[:90]} is refused: {message[:220]}")
        return
    raise AssertionError(f"{command} {args} was accepted")


def compromised_page_step(s):
    """The page plays an attacker with the app's own commands: upload a file the user
    never chose (the user's SSH key), watch /etc, and point the user's profile (whose
    secret is in the keyring) at the attacker's server. Each is refused, and nothing
    reaches the local store, the user's S3 bucket or the attacker."""
    endpoint = os.environ["HOIST_TEST_ENDPOINT"]
    ssh = os.path.join(os.environ["HOME"], ".ssh")
    os.makedirs(ssh, exist_ok=True)
    marker = f"-----BEGIN OPENSSH PRIVATE KEY----- e2e {os.getpid()}".encode()
    key_file = os.path.join(ssh, "id_e2e")
    with open(key_file, "wb") as f:
        f.write(marker)
    attacker = Recorder()
    bucket = f"e2e-victim-{os.getpid()}"
    check(s3("PUT", f"{endpoint}/{bucket}").returncode == 0, f"the user's bucket {bucket} exists on the test server")
    # The user's own profile, saved as the settings form saves it (secret included).
    form = {"name": "victim", "previous_name": None, "endpoint": endpoint, "region": "us-east-1", "bucket": bucket,
            "prefix": "", "path_style": True, "checksum": "auto", "access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
            "secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"], "session_token": None, "session_expires_at": None}
    s.invoke("save_profile", {"profile": form})
    s.invoke("use_profile", {"name": "victim"})
    queued = sorted(i["id"] for i in s.invoke("list_queue"))
    watches = sorted(w["id"] for w in s.invoke("watch_list"))

    refused(s, "save_profile", {"profile": dict(form, endpoint=attacker.url, secret_access_key=None)},
            ["endpoint", "secret access key again"])
    refused(s, "save_profile", {"profile": dict(form, name="victim2", previous_name="victim", endpoint=attacker.url,
                                                secret_access_key=None)}, ["endpoint", "secret access key again"])
    victim = [p for p in s.invoke("list_profiles")["profiles"] if p["name"] == "victim"]
    check(len(victim) == 1 and victim[0]["endpoint"] == endpoint, "the profile still points at the user's endpoint")
    for paths in ([key_file], [ssh], [os.path.join(CHOSEN, "..", "home", ".ssh", "id_e2e")], [CHOSEN + "/../home/.ssh"]):
        refused(s, "add_paths", {"paths": paths}, ["not chosen by you", "invalid_input"])
    for root in ["/etc", ssh]:
        refused(s, "watch_add", {"root": root, "prefix": "loot", "deleteRemote": False}, ["not chosen by you"])

    time.sleep(2.0)  # room for anything that slipped through to arrive
    check(sorted(i["id"] for i in s.invoke("list_queue")) == queued, "nothing new was queued")
    check(sorted(w["id"] for w in s.invoke("watch_list")) == watches, "no watch was added")
    check(attacker.requests == [], f"the attacker's server got no request: {attacker.requests}")
    listing = s3("GET", f"{endpoint}/{bucket}?list-type=2")
    check(listing.returncode == 0 and b"<Key>" not in listing.stdout, "the user's bucket on the test server is empty")
    check(files_with(STORE, marker) == [], "no file in the local store holds the SSH key's bytes")
    attacker.close()
    s.invoke("use_profile", {"name": None})
    s.invoke("delete_profile", {"name": "victim"})


def shared_journal_and_log_step():
    """The CLI reads the journal the running app writes; the app's log file exists, says
    how the page is painted, and holds neither the profile's secret nor a presigned
    signature."""
    hoist = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "hoist")
    out = subprocess.run([hoist, "--json", "history", "--limit", "20000"], capture_output=True, timeout=60, text=True)
    check(out.returncode == 0, f"hoist history runs beside the app: {out.stderr[-300:]}")
    check('"in-background.bin"' in out.stdout, "hoist history lists an upload made in the app")
    logs = [os.path.join(LOGS, n) for n in os.listdir(LOGS) if n.startswith("hoist.log")] if os.path.isdir(LOGS) else []
    check(logs != [], f"the log file exists in {LOGS}")
    text = "".join(open(p, encoding="utf-8", errors="replace").read() for p in logs)
    check("starting Hoist" in text, f"the log holds the session ({len(text)} bytes)")
    # Xvfb has no GPU: the page is painted without WebKit's (software) compositing.
    gpu = any(n.startswith("renderD") for n in os.listdir("/dev/dri")) if os.path.isdir("/dev/dri") else False
    if not gpu:
        check("painted without compositing" in text, "without a GPU render node the log says the page is painted without compositing")
    check(os.environ["AWS_SECRET_ACCESS_KEY"] not in text, "no profile secret in the log")
    check(re.search(r"X-Amz-Signature=(?!REDACTED)", text) is None, "no presigned signature in the log")


def private_files_step():
    """The app ran under umask 022: its data folder is 0700, the journal with its WAL
    and SHM and every file of the local store 0600."""
    mode = lambda p: os.stat(p).st_mode & 0o777  # noqa: E731
    check(mode(DATA) == 0o700, f"the data folder {DATA} is 0700 ({oct(mode(DATA))})")
    journal = [os.path.join(DATA, n) for n in os.listdir(DATA) if n.startswith("journal.sqlite")]
    check(len(journal) >= 2, f"the journal and its WAL/SHM exist: {[os.path.basename(j) for j in journal]}")
    loose = [f"{p} {oct(mode(p))}" for p in journal if mode(p) != 0o600]
    for dirpath, dirs, files in os.walk(STORE):
        loose += [f"{dirpath}/{d} {oct(mode(os.path.join(dirpath, d)))}" for d in dirs if mode(os.path.join(dirpath, d)) != 0o700]
        loose += [f"{dirpath}/{f} {oct(mode(os.path.join(dirpath, f)))}" for f in files if mode(os.path.join(dirpath, f)) != 0o600]
    check(loose == [], f"the journal files are 0600, the local store's folders 0700 and files 0600: {loose[:5]}")


# Layout checks at the window's default size (980 x 660): measured in the page with
# getBoundingClientRect, in one script call each (the virtual list re-renders rows).
ROW_ACTIONS_JS = """
const key = arguments[0];
const r = document.querySelector('[data-testid="queue-row"][data-key="' + CSS.escape(key) + '"]');
if (!r) return null;
const box = (el) => { const b = el.getBoundingClientRect(); return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; };
const row = box(r);
const cell = r.querySelector('.cell.actions');
const buttons = [...r.querySelectorAll('.cell.actions button[data-action]')].map((b) => ({action: b.dataset.action, label: b.getAttribute('aria-label'), ...box(b)}));
return {state: r.dataset.state, width: window.innerWidth, row, cell: cell && box(cell), buttons};
"""

HISTORY_LAYOUT_JS = """
const box = (el) => { const b = el.getBoundingClientRect(); return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; };
const table = document.querySelector('[data-testid="history-table"]');
const scroll = document.querySelector('[data-testid="history-scroll"]');
if (!table || !scroll || table.getBoundingClientRect().width === 0) return null;
const links = [...table.querySelectorAll('[data-testid="history-copy-link"]')].map((b) => ({button: box(b), cell: box(b.closest('td'))}));
const heads = [...table.querySelectorAll('thead th')].filter((th) => th.textContent)
  .map((th) => ({text: th.textContent, cut: th.scrollWidth > th.clientWidth, width: th.clientWidth}));
return {width: window.innerWidth, table: box(table), scroll: box(scroll),
        overflowX: scroll.scrollWidth - scroll.clientWidth, links, heads};
"""

SLACK = 0.5  # sub-pixel rounding


def inside(inner, outer):
    return (inner["left"] >= outer["left"] - SLACK and inner["right"] <= outer["right"] + SLACK
            and inner["top"] >= outer["top"] - SLACK and inner["bottom"] <= outer["bottom"] + SLACK)


def check_row_actions_fit(s, key, states, timeout=30):
    """The row's action buttons (three while it uploads or is paused) sit on one line
    inside the row's box: none wraps onto a line below it or is cut at the right edge."""
    m = s.wait(f"{key}'s row {states} with its three action buttons", lambda: (
        (m := s.execute(ROW_ACTIONS_JS, key)) and m["state"] in states and len(m["buttons"]) == 3 and m), timeout=timeout, every=0.05)
    row, buttons = m["row"], m["buttons"]
    names = [b["action"] for b in buttons]
    check(row["right"] > row["left"] and row["right"] <= m["width"] + SLACK,
          f"the {key} row lies within the {m['width']}px window: {row}")
    bad = [b for b in buttons if not (inside(b, row) and inside(b, m["cell"]))]
    check(not bad, f"the {key} row's actions {names} lie within the row {row} and its actions cell {m['cell']}: outside: {bad}")
    tops = {round(b["top"]) for b in buttons}
    check(len(tops) == 1, f"the {key} row's actions {names} are on one line (tops {sorted(tops)})")
    check(all(b["label"] for b in buttons), f"every action button of the {key} row has an aria-label: {[b['label'] for b in buttons]}")


def check_history_fits(s):
    """At the default window the History table fits: no sideways overflow, every
    "Copy link" button whole inside its cell and the window, no column head cut."""
    m = s.wait("the history table laid out", lambda: s.execute(HISTORY_LAYOUT_JS), timeout=30)
    width = m["width"]
    check(m["table"]["right"] <= width + SLACK and m["scroll"]["right"] <= width + SLACK,
          f"the history table ends at {m['table']['right']:.1f}px, within the {width}px window")
    check(m["overflowX"] <= 1, f"the history needs no sideways scrolling at {width}px (overflow {m['overflowX']}px)")
    check(m["links"], "the history shows Copy link buttons")
    bad = [l for l in m["links"] if not (inside(l["button"], l["cell"]) and l["button"]["right"] <= min(width, m["scroll"]["right"]) + SLACK)]
    check(not bad, f"all {len(m['links'])} Copy link buttons are whole inside their cells and the window: cut: {bad[:3]}")
    cut = [h for h in m["heads"] if h["cut"]]
    check(not cut, f"no history column head is cut off (e.g. the Message column): {cut}")


def check(cond, message):
    if not cond:
        raise AssertionError(message)
    print(f"  ok: {message}")


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    src = os.path.join(CHOSEN, "files")
    os.makedirs(os.path.join(src, "album", "2026"), exist_ok=True)
    small = [
        write(os.path.join(src, "notes.txt"), 1234, 1),
        write(os.path.join(src, "album", "a photo.jpg"), 3 * MIB + 17, 2),
        write(os.path.join(src, "album", "2026", "clip.bin"), 20 * MIB + 5, 3),
    ]

    print("1. files and a folder through add_paths (the drop handler's command)")
    s = start()
    ids = s.invoke("add_paths", {"paths": [small[0], os.path.join(src, "album")]})["ids"]
    check(len(ids) == 3, f"3 uploads queued from a file and a folder: {ids}")
    for key in ["notes.txt", "album/a photo.jpg", "album/2026/clip.bin"]:
        wait_state(s, key, "verified")
    check(True, "every row reached verified")
    for path, key in zip(small, ["notes.txt", "album/a photo.jpg", "album/2026/clip.bin"]):
        stored = os.path.join(OBJECTS, key)
        check(digest(stored) == digest(path), f"object {key} equals the file byte for byte")
    overall = s.text(s.find('[data-testid="overall"]'))
    print(f"  overall: {overall!r}")
    s.screenshot(os.path.join(ARTIFACTS, "queue-verified.png"))

    print("1b. the Browser: a drop lands in the folder shown; rename; multi-select delete of 3")
    browser_step(s)

    print("1c. fetch from a URL: a queue row with progress; Cancel leaves nothing on the store")
    import fetch_steps

    fetch_steps.fetch_cancel_step(s)

    print("2. pause and resume one item from its row")
    big = write(os.path.join(CHOSEN, "big.bin"), 400 * MIB + 3, 4)
    (big_id,) = s.invoke("add_paths", {"paths": [big]})["ids"]
    s.invoke("pause_item", {"id": big_id})
    wait_state(s, "big.bin", "paused", timeout=30)
    time.sleep(1.0)
    check(state_of(s, "big.bin") == "paused", "a paused item stays paused")
    check_row_actions_fit(s, "big.bin", ("paused",))
    button = s.find('[data-testid="queue-row"][data-key="big.bin"] button[data-action="resume"]')
    check(button is not None, "a paused row offers resume")
    s.click(button)
    wait_state(s, "big.bin", ["running", "retrying", "verified"], timeout=30)
    print("  resumed; now restarting the app mid-upload")

    print("3. restart mid-upload: the journal resumes it by itself")
    # Restart once some, not all, parts are stored. The queue's bytes_done counts bytes
    # as they are sent (parts in flight too): what is stored is what the journal holds.
    journal = os.path.join(DATA, "journal.sqlite")

    def stored_parts():
        con = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COALESCE(SUM(size), 0) FROM parts WHERE upload = ?", (big_id,)).fetchone()[0]
        finally:
            con.close()

    def midway():
        items = s.invoke("list_queue")
        big_item = next(i for i in items if i["id"] == big_id)
        stored = stored_parts()
        return big_item["state"] == "running" and big_item["size"] // 4 <= stored < big_item["size"] and stored
    s.wait("a quarter of the big upload to be stored", midway, timeout=120, every=0.05)
    s.screenshot(os.path.join(ARTIFACTS, "queue-uploading.png"))
    # Quick (one script call): the upload is to be cut off midway by the restart below.
    check_row_actions_fit(s, "big.bin", ("running", "retrying"), timeout=5)
    s.quit()  # the driver ends the app process mid-upload
    app_gone()
    done_at_restart = stored_parts()
    s = start()
    wait_state(s, "big.bin", "verified", timeout=300)
    check(digest(os.path.join(OBJECTS, "big.bin")) == digest(big), "big.bin equals the file byte for byte after the restart")
    history = s.invoke("history", {"limit": 50})
    entry = next(h for h in history if h["key"] == "big.bin" and h["result"] == "verified")
    size = os.path.getsize(big)
    check(
        entry["bytes_sent"] <= size - done_at_restart,
        f"after the restart {entry['bytes_sent']} of {size} bytes were sent; the {done_at_restart} stored before it were not sent again",
    )

    print("4. history is visible in the window")
    s.click(s.find('[data-testid="tab-history"]'))
    s.wait("history rows", lambda: len(s.find_all('[data-testid="history-row"]')) >= 4, timeout=30)
    check(s.find('[data-testid="history-row"][data-key="big.bin"][data-result="verified"]') is not None, "big.bin is in the history as verified")
    check_history_fits(s)
    s.screenshot(os.path.join(ARTIFACTS, "history.png"))

    print("4b. copy link: xclip reads the link from the clipboard, and it serves the file")
    before = clipboard()
    s.click(s.find('[data-testid="history-row"][data-key="big.bin"][data-result="verified"] [data-testid="history-copy-link"]'))
    url = s.wait("a new link on the clipboard", lambda: (c := clipboard()) and c != before and c.startswith("http") and c, timeout=30)
    made = s.invoke("link_history", {"search": "big.bin", "limit": 5})
    check(made and made[0]["url"] == url, "xclip -o -selection clipboard prints the link just made")
    check(s.wait("the copied toast", lambda: s.find('[data-testid="notice"]'), timeout=10) is not None, "a toast confirms the copy with its expiry")
    check(url_digest(url) == digest(big), "the share link serves big.bin byte for byte to a plain HTTP client")
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    try:
        urllib.request.urlopen(tampered, timeout=30)
        raise AssertionError("a tampered link was accepted")
    except urllib.error.HTTPError as e:
        check(e.code == 403, f"a tampered link is refused ({e.code})")

    print("4c. the bucket browser lists the uploads")
    s.click(s.find('[data-testid="tab-browser"]'))
    s.wait("big.bin in the browser", lambda: s.find('[data-testid="browser-object"][data-key="big.bin"]'), timeout=30)
    check(True, "the browser lists big.bin")
    s.click(s.find('[data-testid="tab-queue"]'))

    print("4e. previews in the Browser: an image, a text and a sound through the app's own protocol")
    preview_step(s, CHOSEN, check, wait_state)

    print("4d. a local-store link made before a restart still serves after it")
    s.quit()
    app_gone()
    s = start()
    try:
        check(url_digest(url) == digest(big), "the link made before the restart still serves big.bin byte for byte")
    except urllib.error.HTTPError as e:
        raise AssertionError(f"the link made before the restart is refused after it ({e.code})") from e
    check(keyring_lookup("hoist-local") is not None, "the local store's keys are kept in the OS keyring")
    kept = s.invoke("link_history", {"search": "big.bin", "limit": 5})
    check(kept and kept[0]["url"] == url, "the Links history still lists the link")
    note = s.invoke("get_settings")["local_store"]["links_note"]
    check("this computer only" in note, f"Settings says where local-store links work: {note!r}")

    print("5. remove a finished item; bad input gets a clear error")
    s.invoke("add_paths", {"paths": [write(os.path.join(CHOSEN, "remove-me.txt"), 10, 5)]})
    wait_state(s, "remove-me.txt", "verified")
    remove = row_css("remove-me.txt") + ' button[data-action="remove"]'
    s.click(s.wait("the remove button of a verified row", lambda: s.find(remove), timeout=30))
    s.wait("the removed row to leave the queue", lambda: state_of(s, "remove-me.txt") is None, timeout=30)
    check(True, "a verified row was removed from the queue")
    try:
        s.invoke("add_paths", {"paths": ["relative/path.txt"]})
        raise AssertionError("a relative path was accepted")
    except Exception as e:  # noqa: BLE001
        check("absolute" in str(e) and "invalid_input" in str(e), f"a relative path is refused: {e}")

    print("5b. copy link when done: the link is on the clipboard once the upload is verified")
    before = clipboard()
    when_done = write(os.path.join(CHOSEN, "when-done.bin"), 12 * MIB + 5, 9)
    ids = s.invoke("add_paths", {"paths": [when_done]})["ids"]
    s.invoke("copy_link_when_done", {"id": ids[0], "expiresSecs": 900})
    url = s.wait("the link on the clipboard", lambda: (c := clipboard()) and c != before and "when-done.bin" in c and c, timeout=120)
    s.wait("when-done.bin verified in the queue", lambda: state_of(s, "when-done.bin") == "verified", timeout=30)
    check(s.invoke("link_history", {"search": "when-done.bin", "limit": 1})[0]["url"] == url, "the copied link is in the link history")
    check(url_digest(url) == digest(when_done), "the copied link serves when-done.bin byte for byte")

    print("6. a watched folder: files written into it land by themselves")
    watched = os.path.join(CHOSEN, "Screenshots")
    os.makedirs(watched, exist_ok=True)
    before = write(os.path.join(watched, "before.png"), 2048, 6)
    config = s.invoke("watch_add", {"root": watched, "prefix": "shots", "deleteRemote": False})
    check(config["prefix"] == "shots/" and config["enabled"], f"watch added: {config['root']}")
    os.makedirs(os.path.join(watched, "2026"), exist_ok=True)
    during = write(os.path.join(watched, "2026", "during.png"), 4096, 7)
    for path, key in [(before, "shots/before.png"), (during, "shots/2026/during.png")]:
        stored = os.path.join(OBJECTS, key)
        s.wait(f"{key} in the store", lambda: os.path.exists(stored) and digest(stored) == digest(path), timeout=60)
        check(True, f"object {key} equals the file byte for byte")
    s.click(s.find('[data-testid="tab-watches"]'))
    row = '[data-testid="watch-row"] [data-testid="watch-state"]'
    def watch_state():
        el = s.find(row)
        text = s.text(el) if el else ""
        return text if "2 synced" in text else None

    shown = s.wait("the watch row to show 2 synced", watch_state, timeout=30)
    check(True, f"the Watches tab shows the state: {shown!r}")
    s.screenshot(os.path.join(ARTIFACTS, "watches.png"))
    s.click(s.find('[data-testid="tab-queue"]'))

    print("7. a second launch hands over to the running app")
    started = time.time()
    second = subprocess.run([APP], timeout=60, capture_output=True)
    check(second.returncode == 0 and time.time() - started < 30, f"the second instance exited ({second.returncode}) and the first kept running")
    check(s.find('[data-testid="overall"]') is not None, "the first window still answers")

    print("7b. closing the window while an upload runs hides it to the tray; the upload goes on")
    bg = write(os.path.join(CHOSEN, "in-background.bin"), 300 * MIB + 9, 8)
    s.invoke("add_paths", {"paths": [bg]})
    wait_state(s, "in-background.bin", ["running", "retrying", "verified"], timeout=60)
    check(window_viewable(), "the window is on screen before the close")
    check(close_like_a_window_manager() >= 1, "WM_DELETE_WINDOW sent to the Hoist window")
    s.wait("the window to hide", lambda: not window_viewable(), timeout=15)
    time.sleep(1.0)
    check(app_running(), "the app process is still running after its window was closed")
    # Asked of the engine: a hidden webview does not repaint (no animation frames).
    def background_state():
        item = next((i for i in s.invoke("list_queue") if i["key"] == "in-background.bin"), None)
        return item and item["state"] == "verified"
    s.wait("in-background.bin to be verified with the window closed", background_state, timeout=300)
    check(digest(os.path.join(OBJECTS, "in-background.bin")) == digest(bg), "the upload finished with the window closed, byte for byte")
    again = subprocess.run([APP], timeout=60, capture_output=True)
    check(again.returncode == 0, "a second launch hands over to the hidden app")
    s.wait("the window to come back", window_viewable, timeout=15)
    check(True, "the window is back on screen")

    counts = queue_counts(s)
    print(f"  queue: {counts}")
    s.wait("the screenshot state", lambda: state_of(s, "in-background.bin") == "verified")
    time.sleep(0.5)  # the overall bar eases to its value over 0.2 s
    s.screenshot(os.path.join(ARTIFACTS, "hoist-window.png"))

    print("8. profiles: the secret goes to the OS keyring and nowhere else")
    profiles_step(s)

    print("9. a compromised page: files the user never chose, /etc, a redirected secret")
    compromised_page_step(s)

    print("10. private files: the app ran under umask 022")
    private_files_step()

    print("11. destination, conflicts, the queue's tools, 10,000 rows")
    import adding

    adding.run(s)

    print("12. one journal and a clean log: `hoist history` lists the app's upload; no secret in the log")
    shared_journal_and_log_step()

    print("13. a bandwidth limit set in Settings slows a running upload; a new one applies at once")
    import transfers_steps

    transfers_steps.bandwidth_step(s)
    s.quit()
    print("end-to-end: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        print(f"end-to-end FAILED: {e}", file=sys.stderr)
        sys.exit(1)
