"""Drives `hoist --json watch run` and times it from outside (see bench/watch.sh)."""
import json, os, statistics, subprocess, sys, tempfile, threading, time

HOIST = sys.argv[1]
ENDPOINT = os.environ["HOIST_TEST_ENDPOINT"]
SMALL = int(os.environ.get("BENCH_SMALL", "50"))
BURST = int(os.environ.get("BENCH_BURST", "10000"))
work = tempfile.mkdtemp(prefix="hoist-watch-bench-")
folder = os.path.join(work, "inbox")
os.mkdir(folder)
journal = os.path.join(work, "journal.sqlite")
bucket = f"watch-bench-{os.getpid()}-{int(time.time())}"
subprocess.run(["aws", "--endpoint-url", ENDPOINT, "s3", "mb", f"s3://{bucket}"], check=True,
               stdout=subprocess.DEVNULL)
base = [HOIST, "--json", "--journal", journal]
subprocess.run(base + ["watch", "add", folder, "--bucket", bucket, "--endpoint", ENDPOINT],
               check=True, stdout=subprocess.DEVNULL)
proc = subprocess.Popen(base + ["watch", "run"], stdout=subprocess.PIPE, text=True)

completed = {}          # key -> monotonic time the verified event was read
last_status = {}
cond = threading.Condition()

def reader():
    for line in proc.stdout:
        t = time.monotonic()
        try:
            e = json.loads(line)
        except ValueError:
            continue
        with cond:
            if e.get("event") == "completed":
                completed[e["key"]] = t
            elif e.get("event") == "watch":
                last_status.update(e["status"])
                last_status["_t"] = t
            cond.notify_all()

threading.Thread(target=reader, daemon=True).start()

def wait(pred, limit=300):
    deadline = time.monotonic() + limit
    with cond:
        while not pred():
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit("timed out")
            cond.wait(left)

wait(lambda: last_status.get("phase") == "watching" and last_status.get("pending") == 0)

# (a) close -> verified for small files, one at a time.
lat = []
for i in range(SMALL):
    key = f"small-{i:03d}.txt"
    with open(os.path.join(folder, key), "wb") as f:
        f.write(os.urandom(4096))
    closed = time.monotonic()
    wait(lambda: key in completed)
    lat.append((completed[key] - closed) * 1000)
    time.sleep(0.05)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(round(q * (len(lat) - 1))))]

# (b) a burst into fresh folders (mkdir, then files at once).
t0 = time.monotonic()
per = max(1, BURST // 100)
n = 0
for d in range(100):
    sub = os.path.join(folder, f"burst-{d:03d}")
    os.mkdir(sub)
    for j in range(per):
        if n == BURST:
            break
        with open(os.path.join(sub, f"f{j:04d}.bin"), "wb") as f:
            f.write(os.urandom(16384))
        n += 1
written = time.monotonic() - t0
total = SMALL + n
wait(lambda: last_status.get("synced_files") == total and last_status.get("pending") == 0, 600)
took = last_status["_t"] - t0
proc.terminate()
proc.wait(timeout=30)
print(f"watch latency, close -> verified, {SMALL} files of 4 KiB one at a time: "
      f"p50 {statistics.median(lat):.0f} ms, p95 {p(0.95):.0f} ms, max {lat[-1]:.0f} ms")
print(f"watch burst: {n} files of 16 KiB in 100 new folders, written in {written:.2f} s, "
      f"all verified after {took:.2f} s = {n / took:.0f} files/s")
