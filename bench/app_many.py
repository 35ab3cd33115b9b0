"""Small files through the desktop app, in its real window: queues N tiny files on
the embedded local store (the command a drop calls), waits for every one to be
verified in the page's queue store, and prints files/s and the CPU each process
spent per file: the app (engine, embedded store, IPC) and WebKit (the page).

Run by bench/app.sh (the e2e harness: Xvfb, tauri-driver, a throwaway HOME).
BENCH_APP_FILES (default 3000) files of 64 bytes; BENCH_APP_ROUNDS (default 2);
BENCH_APP_JS_TIMES=1 also prints the time the page spent in animation frames and in
IPC callbacks (channel messages), and how many of each."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
# The end-to-end suite's launch (with its retries), queue counts and paths.
from test_desktop import APP, CHOSEN, queue_counts, start  # noqa: E402

FILES = int(os.environ.get("BENCH_APP_FILES", "3000"))
ROUNDS = int(os.environ.get("BENCH_APP_ROUNDS", "2"))
TICK = os.sysconf("SC_CLK_TCK")


def pids(*pgrep_args):
    out = subprocess.run(["pgrep", *pgrep_args], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def cpu_seconds(pid_list):
    total = 0
    for pid in pid_list:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / TICK


# Time spent in animation-frame callbacks and in IPC callbacks (channel messages),
# for finding where the page's CPU goes.
JS_TIMES = """
const t = (window.__benchTimes = { raf: 0, rafN: 0, ipc: 0, ipcN: 0 });
const raf = window.requestAnimationFrame.bind(window);
window.requestAnimationFrame = (cb) => raf((ts) => { const a = performance.now(); try { cb(ts); } finally { t.raf += performance.now() - a; t.rafN++; } });
for (const [id, fn] of window.__TAURI_INTERNALS__.callbacks) {
  window.__TAURI_INTERNALS__.callbacks.set(id, (data) => { const a = performance.now(); try { return fn(data); } finally { t.ipc += performance.now() - a; t.ipcN++; } });
}
"""


def one_round(s, n, r):
    folder = os.path.join(CHOSEN, f"many-{r}")
    os.makedirs(folder)
    for i in range(n):
        with open(os.path.join(folder, f"f{i:05}.txt"), "wb") as f:
            f.write(b"x" * 64)
    app, web = pids("-f", APP), pids("-f", "WebKitWebProcess")
    before = queue_counts(s)["byState"]["verified"]
    cpu_app, cpu_web = cpu_seconds(app), cpu_seconds(web)
    time.sleep(5)
    idle_app, idle_web = (cpu_seconds(app) - cpu_app) / 5, (cpu_seconds(web) - cpu_web) / 5
    print(f"round {r}: idle before, CPU per second: app {idle_app * 1000:.0f} ms, WebKit {idle_web * 1000:.0f} ms")
    cpu_app, cpu_web = cpu_seconds(app), cpu_seconds(web)
    if os.environ.get("BENCH_APP_JS_TIMES"):
        s.execute(JS_TIMES)
    started = time.time()
    out = s.invoke("add_paths", {"paths": [folder]})
    assert len(out["ids"]) == n, f"{len(out['ids'])} of {n} queued"
    s.wait(f"{n} uploads verified", lambda: queue_counts(s)["byState"]["verified"] >= before + n, timeout=1800, every=1)
    took = time.time() - started
    app_ms = (cpu_seconds(app) - cpu_app) * 1000 / n
    web_ms = (cpu_seconds(web) - cpu_web) * 1000 / n
    print(f"round {r}: {n} x 64 B in {took:.1f} s = {n / took:.0f} files/s; CPU per file: "
          f"app {app_ms:.1f} ms, WebKit {web_ms:.1f} ms; per second: app {app_ms * n / took:.0f} ms, "
          f"WebKit {web_ms * n / took:.0f} ms", flush=True)
    if os.environ.get("BENCH_APP_JS_TIMES"):
        print("  page JS: " + str(s.execute("return window.__benchTimes")), flush=True)
    s.invoke("clear_finished")
    s.wait("finished rows cleared", lambda: queue_counts(s)["items"] == 0, timeout=120)


def main():
    s = start()
    try:
        for r in range(1, ROUNDS + 1):
            one_round(s, FILES, r)
    finally:
        s.quit()


if __name__ == "__main__":
    main()
