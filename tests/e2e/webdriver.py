"""A minimal W3C WebDriver client over plain HTTP (no Selenium needed), enough to
drive the Hoist window through tauri-driver + WebKitWebDriver."""

import http.client
import json
import time
import urllib.error
import urllib.request

from xwindow import window_png

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    pass


class Session:
    def __init__(self, url, application):
        self.url = url.rstrip("/")
        caps = {"tauri:options": {"application": application}}
        value = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self.id = value["sessionId"]

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(4):
            req = urllib.request.Request(self.url + path, data=data, method=method)
            req.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    payload = json.loads(r.read() or b"{}")
                return payload.get("value")
            except urllib.error.HTTPError as e:
                raise WebDriverError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from None
            except (http.client.RemoteDisconnected, ConnectionResetError) as e:
                # tauri-driver reuses a keep-alive connection that WebKitWebDriver has
                # just closed ("connection reset"); the request never reached the
                # browser, so sending it again is safe.
                if attempt == 3:
                    raise WebDriverError(f"{method} {path}: {e}") from None
                time.sleep(0.2)

    def call(self, method, path, body=None):
        return self._call(method, f"/session/{self.id}{path}", body)

    def quit(self):
        try:
            self.call("DELETE", "")
        except Exception:
            pass

    # elements
    def find_all(self, css):
        found = self.call("POST", "/elements", {"using": "css selector", "value": css})
        return [e[ELEMENT] for e in found]

    def find(self, css):
        found = self.find_all(css)
        return found[0] if found else None

    def click(self, el):
        self.call("POST", f"/element/{el}/click", {})

    def type(self, el, text):
        """Keystrokes into an input, as a user types them."""
        self.call("POST", f"/element/{el}/value", {"text": text})

    def text(self, el):
        return self.call("GET", f"/element/{el}/text")

    def attr(self, el, name):
        return self.call("GET", f"/element/{el}/attribute/{name}")

    # scripts
    def execute(self, script, *args):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def invoke(self, command, args=None):
        """Calls a Tauri command the way the UI's ipc module does; raises on rejection."""
        result = self.call(
            "POST",
            "/execute/async",
            {
                "script": """
                    const [cmd, args, done] = arguments;
                    window.__TAURI_INTERNALS__.invoke(cmd, args)
                      .then(v => done({ok: v}), e => done({err: e}));
                """,
                "args": [command, args or {}],
            },
        )
        if "err" in result:
            raise WebDriverError(f"{command} rejected: {result['err']}")
        return result.get("ok")

    def screenshot(self, path):
        """The window as the screen shows it (see xwindow: WebDriver's own screenshot
        hangs while WebKitGTK paints without compositing)."""
        window_png(path)

    def wait(self, what, predicate, timeout=60, every=0.2):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = predicate()
            except WebDriverError as e:
                last = e
            if last and not isinstance(last, Exception):
                return last
            time.sleep(every)
        raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
