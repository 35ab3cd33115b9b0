#!/usr/bin/env bash
# The bandwidth cap: `hoist upload --limit-rate 4MiB` of a 120 MiB file (30 s at the
# cap) to the S3 server in AWS_ENDPOINT_URL. Prints the rate held over the upload
# (bytes / seconds between the first and the last byte counted) and its error against
# the cap; the issue asks for ±5 %. Release build.
#   bench/ratecap.sh            (RATECAP_MIB=4 RATECAP_SECONDS=30 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CAP_MIB=${RATECAP_MIB:-4}
SECONDS_AT_CAP=${RATECAP_SECONDS:-30}
WORK=${BENCH_DIR:-/tmp/hoist-ratecap}
: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the S3 endpoint}"
if [ -z "${HOIST:-}" ]; then
  cargo build --release -q -p hoist-cli
  HOIST=$ROOT/target/release/hoist
fi
mkdir -p "$WORK"
mib=$((CAP_MIB * SECONDS_AT_CAP))
f=$WORK/cap$mib.bin
[ -f "$f" ] || head -c $((mib * 1048576)) /dev/urandom > "$f"
BUCKET=ratecap-$$
aws s3 mb "s3://$BUCKET" >/dev/null
rm -f "$WORK/j.sqlite"*
# --json: one line per event, each stamped here as it arrives.
"$HOIST" --json --journal "$WORK/j.sqlite" upload "$f" --bucket "$BUCKET" \
  --limit-rate "${CAP_MIB}MiB" 2>/dev/null \
  | python3 -c '
import json, sys, time
for line in sys.stdin:
    print(f"{time.monotonic():.3f} {line.strip()}")' > "$WORK/events.txt"
python3 - "$WORK/events.txt" "$CAP_MIB" <<'PY'
import json, sys
cap = float(sys.argv[2]) * 1048576
samples = []
for line in open(sys.argv[1]):
    at, _, body = line.partition(" ")
    try:
        e = json.loads(body)
    except ValueError:
        continue
    if e.get("event") == "progress":
        samples.append((float(at), e["bytes_done"]))
    if e.get("event") == "completed":
        samples.append((float(at), e["size"]))
samples = [s for s in samples if s[1] > 0]
(t0, b0), (t1, b1) = samples[0], samples[-1]
rate = (b1 - b0) / (t1 - t0)
# The worst 5 s stretch, to show the cap holds throughout and not only on average.
worst = 0.0
for i, (ta, ba) in enumerate(samples):
    for tb, bb in samples[i + 1:]:
        if tb - ta >= 5:
            worst = max(worst, abs((bb - ba) / (tb - ta) / cap - 1))
            break
print(f"cap {cap / 1048576:.1f} MiB/s: held {rate / 1048576:.2f} MiB/s over {t1 - t0:.1f} s "
      f"({(rate / cap - 1) * 100:+.1f} %); worst 5 s stretch {worst * 100:.1f} % off")
PY
aws s3 rb --force "s3://$BUCKET" >/dev/null 2>&1 || true
