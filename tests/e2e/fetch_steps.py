"""End-to-end step for fetch in the queue (issue 15): a URL fetched from the Browser's
form becomes a queue row that shows progress, and Cancel on that row leaves nothing on
the store (no object, no unfinished multipart upload)."""

import http.server
import os
import threading
import time

from test_desktop import OBJECTS, STORE, check, click_css

SIZE = 12 * 1024 * 1024
CHUNK = 64 * 1024


class SlowOrigin:
    """Serves SIZE bytes at about 1 MB/s, so the fetch is still running when cancelled."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(SIZE))
                self.end_headers()
                block = bytes(range(256)) * (CHUNK // 256)
                try:
                    for _ in range(SIZE // CHUNK):
                        self.wfile.write(block)
                        time.sleep(CHUNK / 1_000_000)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slow.bin"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def unfinished_uploads():
    root = os.path.join(STORE, "multipart")
    return [d for d, _, files in os.walk(root) if "upload.json" in files] if os.path.isdir(root) else []


def fetch_cancel_step(s):
    origin = SlowOrigin()
    try:
        click_css(s, '[data-testid="tab-browser"]')
        s.wait("the fetch form", lambda: s.find('[data-testid="fetch-url"]'))
        s.execute("""const [url] = arguments;
          const set = (id, v) => { const i = document.querySelector(`[data-testid="${id}"]`); i.value = v; i.dispatchEvent(new Event('input', {bubbles: true})); };
          set('fetch-url', url); set('fetch-key', 'fetched.bin');""", origin.url)
        click_css(s, '[data-testid="fetch-go"]')
        item = s.wait("the fetch in the queue", lambda: next((i for i in s.invoke("list_queue") if i["path"] == origin.url), None), timeout=30)
        key = item["key"]
        click_css(s, '[data-testid="tab-queue"]')
        row = f'[data-testid="queue-row"][data-id="{item["id"]}"]'
        s.wait("progress on the fetch's row", lambda: s.execute(
            "const r = document.querySelector(arguments[0]); return r && r.dataset.state === 'running' && /^[1-9]/.test(r.querySelector('.pct').textContent) ? r.querySelector('.pct').textContent : null", row), timeout=60)
        done = next(i for i in s.invoke("list_queue") if i["id"] == item["id"])["bytes_done"]
        check(0 < done < SIZE, f"the fetch is under way when cancelled ({done} of {SIZE} bytes)")
        click_css(s, f'{row} button[data-action="cancel"]')
        click_css(s, '.modal [data-action="confirm"]')
        s.wait("the fetch to be cancelled", lambda: next(i for i in s.invoke("list_queue") if i["id"] == item["id"])["state"] == "cancelled", timeout=30)
        s.wait("no unfinished upload on the store", lambda: unfinished_uploads() == [], timeout=30)
        check(not os.path.exists(os.path.join(OBJECTS, *key.split("/"))), f"no object {key} on the store after the cancel")
    finally:
        origin.close()
