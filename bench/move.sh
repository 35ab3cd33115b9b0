#!/usr/bin/env bash
# Move throughput: uploads a sparse file of SIZE (default 1GiB; SIZE=6GiB for the issue's
# UploadPartCopy case, ~2x SIZE of free space on the store) with `hoist upload`, then
# times `hoist mv` (server-side copy in parts, HEAD check, then delete) and checks that
# the moved object has the source's size and bytes (sha256 of a download).
# Needs the test store's environment (HOIST_TEST_ENDPOINT, AWS_* keys) and target/debug/hoist.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1GiB}
PART=${PART:-512MiB}
hoist=target/debug/hoist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOIST_CONFIG_DIR=$work/config HOIST_JOURNAL=$work/journal.sqlite
ep=${HOIST_TEST_ENDPOINT:?set HOIST_TEST_ENDPOINT}
bucket=bench-move-$$-$RANDOM
$hoist mb "$bucket" --endpoint "$ep"
truncate -s "$SIZE" "$work/big.bin"
# Some bytes that are not zero, at the start and the end.
head -c 1048576 /dev/urandom | dd of="$work/big.bin" conv=notrunc status=none
head -c 1048576 /dev/urandom | dd of="$work/big.bin" bs=1 seek=$(( $(stat -c %s "$work/big.bin") - 1048576 )) conv=notrunc status=none
want=$(sha256sum "$work/big.bin" | cut -d' ' -f1)
bytes=$(stat -c %s "$work/big.bin")
start=$(date +%s.%N)
$hoist upload "$work/big.bin" --bucket "$bucket" --endpoint "$ep" >/dev/null
mid=$(date +%s.%N)
$hoist mv big.bin moved/big.bin --bucket "$bucket" --endpoint "$ep" --multipart-threshold 64MiB --part-size "$PART"
end=$(date +%s.%N)
aws s3api get-object --endpoint-url "$ep" --bucket "$bucket" --key moved/big.bin "$work/back.bin" >/dev/null
got=$(sha256sum "$work/back.bin" | cut -d' ' -f1)
[ "$got" = "$want" ] || { echo "the moved object differs from the source" >&2; exit 1; }
python3 - "$bytes" "$start" "$mid" "$end" <<'PY'
import sys
b, s, m, e = int(sys.argv[1]), *map(float, sys.argv[2:])
mib = b / 2**20
print(f"upload {mib:.0f} MiB: {m - s:.1f} s ({mib / (m - s):.0f} MiB/s); "
      f"move (UploadPartCopy + verify + delete): {e - m:.1f} s ({mib / (e - m):.0f} MiB/s); sha256 equal")
PY
$hoist rm --recursive --yes "" --bucket "$bucket" --endpoint "$ep" >/dev/null 2>&1 || true
