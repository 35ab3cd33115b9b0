"""End-to-end steps for where files go and what the user decides (issue 14): the
destination picker in the real window sends a drop to a chosen bucket and folder on
SeaweedFS; "ask" on a conflict, answered "rename", keeps both objects; the queue's
filter, search and multi-select; and frame times with 10,000 rows in WebKit."""

import json
import os
import time

from test_desktop import ARTIFACTS, CHOSEN, check, digest, row_css, s3, state_of, wait_state, write

FRAME_JS = """
const done = arguments[arguments.length - 1];
const list = document.querySelector('.queue-view .vlist');
const frames = [];
let last = performance.now();
const end = last + 3000;
let dir = 1;
function tick(now) {
  frames.push(now - last);
  last = now;
  // Scroll a page per frame, down then up: the worst case for a virtual list.
  list.scrollTop += dir * list.clientHeight;
  if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1) dir = -1;
  if (list.scrollTop <= 0) dir = 1;
  if (now < end) requestAnimationFrame(tick);
  else {
    frames.shift();
    frames.sort((a, b) => a - b);
    const pick = (p) => frames[Math.min(frames.length - 1, Math.floor(frames.length * p))];
    done({frames: frames.length, median: pick(0.5), p95: pick(0.95), max: frames[frames.length - 1],
          rows: document.querySelectorAll('[data-testid="queue-row"]').length});
  }
}
requestAnimationFrame(tick);
"""


def destination_step(s):
    endpoint = os.environ["HOIST_TEST_ENDPOINT"]
    default_bucket = f"e2e-dest-default-{os.getpid()}"
    chosen_bucket = f"e2e-dest-chosen-{os.getpid()}"
    for b in (default_bucket, chosen_bucket):
        check(s3("PUT", f"{endpoint}/{b}").returncode == 0, f"bucket {b} created on the test server")
    # A folder in the chosen bucket for the picker's listing.
    marker = write(os.path.join(CHOSEN, "marker.txt"), 10, 11)
    check(s3("PUT", f"{endpoint}/{chosen_bucket}/inbox/marker.txt", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--data-binary", f"@{marker}").returncode == 0, "inbox/ exists")
    s.invoke("save_profile", {"profile": {
        "name": "e2e-dest", "previous_name": None, "endpoint": endpoint, "region": "us-east-1",
        "bucket": default_bucket, "prefix": "", "path_style": True, "checksum": "auto",
        "access_key_id": os.environ["AWS_ACCESS_KEY_ID"], "secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"],
        "session_token": None, "session_expires_at": None}})

    print("  the destination picker: profile, bucket, a folder from the listing, a new folder")
    s.click(s.find('[data-testid="tab-queue"]'))
    s.click(s.find('[data-testid="destination"]'))
    s.wait("the picker", lambda: s.find('[data-testid="destination-picker"]'), timeout=30)
    index = s.execute("""
        const sel = document.querySelector('[data-testid="dest-profile"]');
        const i = [...sel.options].findIndex((o) => o.textContent === 'Profile e2e-dest');
        sel.value = String(i); sel.dispatchEvent(new Event('change')); return i;""")
    check(index > 0, "the picker lists the profile")
    bucket = s.find('[data-testid="dest-bucket"]')
    # Element handles cannot be script arguments here: scripts find elements by selector.
    s.execute("document.querySelector('[data-testid=\"dest-bucket\"]').value = ''")
    s.type(bucket, chosen_bucket)
    s.execute("document.querySelector('[data-testid=\"dest-bucket\"]').dispatchEvent(new Event('change'))")
    folder = '[data-testid="dest-folder"][data-prefix="inbox/"]'
    s.wait("inbox/ in the picker's listing", lambda: s.find(folder), timeout=30)
    s.click(s.find(folder))
    s.wait("inside inbox/", lambda: "inbox/" in s.text(s.find('[data-testid="dest-where"]')), timeout=30)
    s.type(s.find('[data-testid="dest-new"]'), "2026")
    s.click(s.find('[data-testid="dest-new-go"]'))
    s.click(s.find('[data-testid="dest-ok"]'))
    want = f"e2e-dest · {chosen_bucket} · inbox/2026/"
    def header_label():
        error = s.execute("const e = document.querySelector('[data-testid=\"dest-error\"]'); return e && !e.hidden ? e.textContent : null")
        if error:
            raise AssertionError(f"the picker refused the destination: {error}")
        # textContent: the label may be cut with an ellipsis on screen.
        t = s.execute("return document.querySelector('[data-testid=\"destination-label\"]').textContent")
        return t == want and t
    label = s.wait(f"the header to show {want!r}", header_label, timeout=30)
    check(True, f"the header shows {label!r}")
    overlay = s.execute("return document.querySelector('[data-testid=\"drop-destination\"]').textContent")
    check(want in overlay, f"the drop overlay says where a drop goes: {overlay!r}")
    s.screenshot(os.path.join(ARTIFACTS, "destination.png"))

    print("  a drop (the drop handler's command, no destination of its own) lands there")
    photo = write(os.path.join(CHOSEN, "dropped.jpg"), 70_000, 12)
    out = s.invoke("add_paths", {"paths": [photo]})
    check(len(out["ids"]) == 1 and out["pending"] is None, f"queued at once: {out}")
    wait_state(s, "inbox/2026/dropped.jpg", "verified")
    got = s3("GET", f"{endpoint}/{chosen_bucket}/inbox/2026/dropped.jpg")
    with open(photo, "rb") as f:
        check(got.returncode == 0 and got.stdout == f.read(), "the object is in the chosen bucket and folder on SeaweedFS")
    listed = s3("GET", f"{endpoint}/{default_bucket}?list-type=2").stdout.decode()
    check("dropped.jpg" not in listed, "and not in the profile's default bucket")

    print("  'ask' (the default) on a conflict, answered 'rename': two objects")
    write(photo, 80_000, 13)  # same name, other bytes
    out = s.invoke("add_paths", {"paths": [photo]})
    pending = out["pending"]
    check(out["ids"] == [] and pending and pending["existing"] == ["inbox/2026/dropped.jpg"],
          f"nothing queued; the existing key is reported: {json.dumps(out)}")
    ids = s.invoke("resolve_conflicts", {"batch": pending["batch"], "decisions": [], "otherwise": "rename"})
    check(len(ids) == 1, "the answer queued the file")
    wait_state(s, "inbox/2026/dropped (1).jpg", "verified")
    listed = s3("GET", f"{endpoint}/{chosen_bucket}?list-type=2&prefix=inbox%2F2026%2F").stdout.decode()
    check("dropped.jpg" in listed and "dropped (1).jpg" in listed, "both objects are on SeaweedFS")
    got = s3("GET", f"{endpoint}/{chosen_bucket}/inbox/2026/dropped%20%281%29.jpg")
    check(got.returncode == 0 and got.stdout == open(photo, "rb").read(), "the renamed one holds the new bytes")

    # Back to the local store for the steps after this one.
    s.invoke("set_destination", {"destination": {"profile": None, "bucket": "hoist", "prefix": ""}})
    s.invoke("delete_profile", {"name": "e2e-dest"})


def queue_step(s):
    print("  queue: filter, search, multi-select, clear finished")
    s.click(s.find('[data-testid="tab-queue"]'))
    search = s.find('[data-testid="queue-search"]')
    s.type(search, "dropped")
    s.wait("only the matching rows", lambda: s.execute(
        "return [...document.querySelectorAll('[data-testid=\"queue-row\"]')].every((r) => r.dataset.key.includes('dropped'))"
        " && document.querySelectorAll('[data-testid=\"queue-row\"]').length === 2"), timeout=15)
    check(True, "the search shows the two dropped.jpg rows")
    s.click(s.find('[data-testid="select-all"]'))
    count = s.text(s.find('[data-testid="selection-count"]'))
    check(count == "2 selected", f"select all takes the visible rows: {count!r}")
    s.click(s.find('[data-testid="clear-selection"]'))
    first = s.find('[data-testid="queue-row"]')
    s.click(first)
    s.execute("""
        const rows = [...document.querySelectorAll('[data-testid="queue-row"]')];
        rows[1].dispatchEvent(new MouseEvent('click', {bubbles: true, ctrlKey: true}));""")
    check(s.text(s.find('[data-testid="selection-count"]')) == "2 selected", "click then ctrl-click selects two rows")
    s.execute("const i = document.querySelector('[data-testid=\"queue-search\"]'); i.value = ''; i.dispatchEvent(new Event('input'));")
    s.execute("const f = document.querySelector('[data-testid=\"queue-filter\"]'); f.value = 'failed'; f.dispatchEvent(new Event('change'));")
    n = s.execute("return document.querySelectorAll('[data-testid=\"queue-row\"]').length")
    check(n == 0, f"the failed filter shows no rows (none failed): {n}")
    s.execute("const f = document.querySelector('[data-testid=\"queue-filter\"]'); f.value = 'all'; f.dispatchEvent(new Event('change'));")


def ten_thousand_step(s):
    print("  10,000 rows in WebKit: frame times while the list scrolls and uploads run")
    many = os.path.join(CHOSEN, "many")
    os.makedirs(many, exist_ok=True)
    for i in range(10_000):
        with open(os.path.join(many, f"f{i:05}.txt"), "wb") as f:
            f.write(b"x" * 64)
    before = s.execute("return window.__hoistQueue().items")
    verified_before = s.execute("return window.__hoistQueue().byState.verified")
    started = time.time()
    out = s.invoke("add_paths", {"paths": [many]})
    check(len(out["ids"]) == 10_000, f"10,000 uploads queued in {time.time() - started:.1f} s (keys checked first: 'ask')")
    s.wait("10,000 more rows in the store", lambda: s.execute("return window.__hoistQueue().items") >= before + 10_000, timeout=120)
    s.click(s.find('[data-testid="tab-queue"]'))
    result = s.call("POST", "/execute/async", {"script": FRAME_JS, "args": []})
    print(f"  WebKit, {before + 10_000} rows, uploads running, scrolling a page per frame: "
          f"{result['frames']} frames in 3 s, median {result['median']:.1f} ms, p95 {result['p95']:.1f} ms, max {result['max']:.1f} ms; "
          f"{result['rows']} row elements in the DOM")
    check(result["rows"] < 100, "only the visible rows are in the DOM")
    # Uploads go on under the 10,000 rows; a thousand landing is proof enough. Waiting
    # for all of them took three and a half minutes of a debug build (and of CI).
    s.wait("a thousand of the 10,000 uploads to land",
           lambda: s.execute("return window.__hoistQueue().byState.verified") >= verified_before + 1_000, timeout=300, every=1)
    s.click(s.find('[data-testid="pause-all"]'))

    def settled():
        q = s.execute("return window.__hoistQueue()")["byState"]
        return q["queued"] + q["running"] + q["retrying"] == 0 and q
    by_state = s.wait("every upload paused or finished", settled, timeout=60)
    paused, verified = by_state["paused"], by_state["verified"]
    check(paused > 0 and paused + verified >= before + 10_000 - 5,
          f"Pause all stops the rest: {verified} verified, {paused} paused")
    idle = s.call("POST", "/execute/async", {"script": FRAME_JS, "args": []})
    print(f"  WebKit, {before + 10_000} rows, queue idle, scrolling a page per frame: "
          f"{idle['frames']} frames in 3 s, median {idle['median']:.1f} ms, p95 {idle['p95']:.1f} ms, max {idle['max']:.1f} ms")
    # Frame times measure the machine as much as the list: on a shared 2-core runner
    # with other builds they are noise, so the bound is checked only on a quiet one.
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load / cores < 1.0:
        check(idle["p95"] < 50, "95 % of frames take under 50 ms while 10,000 rows scroll")
    else:
        print(f"  (frame bound not checked: load average {load:.1f} on {cores} cores)")
    s.click(s.find('[data-testid="clear-finished"]'))
    s.wait("finished rows cleared", lambda: s.execute("return window.__hoistQueue().items") <= paused + 5, timeout=60)
    left = s.execute("return window.__hoistQueue()")
    check(left["byState"]["verified"] == 0 and left["byState"]["paused"] == paused,
          f"clear finished takes the verified rows and keeps the {paused} paused ones: {left}")


def run(s):
    destination_step(s)
    queue_step(s)
    ten_thousand_step(s)
