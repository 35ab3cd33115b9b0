"""End-to-end step for the transfer settings (issue 14): a bandwidth limit set in
Settings → Transfers slows a running upload, and a new limit applies to it at once
(measured from the queue's byte counts)."""

import os
import time

from test_desktop import CHOSEN, check, click_css, write

MB = 1_000_000


def set_rate(s, mb_per_s):
    """Types the limit into the Settings form and applies it, as a user does."""
    click_css(s, '[data-testid="tab-settings"]')
    s.wait("the transfers panel", lambda: s.find('[data-testid="transfers-rate"]'))
    s.execute("""const i = document.querySelector('[data-testid="transfers-rate"]');
      i.value = arguments[0]; i.dispatchEvent(new Event('input', {bubbles: true}));""", "" if mb_per_s is None else str(mb_per_s))
    click_css(s, '[data-testid="transfers-apply"]')
    want = None if mb_per_s is None else int(mb_per_s * MB)
    s.wait(f"the limit {want} to apply", lambda: s.invoke("get_transfer_settings")["settings"]["rate_limit"] == want, timeout=15)


def item_of(s, path):
    return next((i for i in s.invoke("list_queue") if i["path"] == path), None)


def rate_over(s, path, seconds):
    a = item_of(s, path)
    t0 = time.monotonic()
    time.sleep(seconds)
    b = item_of(s, path)
    return (b["bytes_done"] - a["bytes_done"]) / (time.monotonic() - t0), b


def bandwidth_step(s):
    set_rate(s, 1)
    path = write(os.path.join(CHOSEN, "limited.bin"), 24 * 1024 * 1024 + 5, 21)
    s.invoke("add_paths", {"paths": [path]})
    s.wait("the limited upload to send", lambda: (i := item_of(s, path)) and i["state"] == "running" and i["bytes_done"] > 0, timeout=60)
    slow, _ = rate_over(s, path, 4)
    print(f"  limit 1 MB/s: {slow / MB:.2f} MB/s")
    check(0.5 * MB <= slow <= 1.5 * MB, f"1 MB/s limit holds on the running upload ({slow / MB:.2f} MB/s)")
    set_rate(s, 4)
    faster, now = rate_over(s, path, 3)
    print(f"  limit raised to 4 MB/s while running: {faster / MB:.2f} MB/s")
    check(now["state"] == "verified" or faster >= 2 * slow, f"a raised limit applies at once ({slow / MB:.2f} -> {faster / MB:.2f} MB/s)")
    set_rate(s, None)
    s.wait("the limited upload to be verified", lambda: item_of(s, path)["state"] == "verified", timeout=120)
    click_css(s, '[data-testid="tab-queue"]')
