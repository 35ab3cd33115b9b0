#!/usr/bin/env bash
# Slow uplinks: hoist, aws-cli and rclone, each with its defaults, through the same
# emulated uplink (bench/linkemu.py: one cap shared by all connections, 50 ms each
# way = 100 ms RTT) at 1, 2.4, 10 and 50 Mbit/s. Prints time vs the link's ideal time.
# Uses the S3 endpoint in AWS_ENDPOINT_URL (with AWS_ACCESS_KEY_ID/SECRET) as is.
#   bench/slowlink.sh                 (SLOWLINK_RATES="2.4 10" SLOWLINK_TOOLS="hoist aws" to narrow)
# Sizes follow the issue: 12 MiB at 1 Mbit/s, 40 MiB otherwise (SLOWLINK_MIB overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RATES=${SLOWLINK_RATES:-"1 2.4 10 50"}
TOOLS=${SLOWLINK_TOOLS:-"hoist aws rclone"}
WORK=${BENCH_DIR:-/tmp/hoist-slowlink}
PORT=${SLOWLINK_PORT:-18399}
: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the S3 endpoint}"
UP=${AWS_ENDPOINT_URL#http://}
mkdir -p "$WORK"
if [ -z "${HOIST:-}" ]; then
  cargo build --release -q -p hoist-cli
  HOIST=$ROOT/target/release/hoist
fi
AWS=${AWS_CLI:-$(command -v aws || echo .venv-bench/bin/aws)}
RCLONE=${RCLONE:-.venv-bench/bin/rclone}
BUCKET=slowlink-$$
aws s3 mb "s3://$BUCKET" >/dev/null

printf "%-7s %-6s %6s %8s %8s %6s\n" tool Mbit/s MiB seconds ideal ratio
for rate in $RATES; do
  mib=${SLOWLINK_MIB:-$([ "$rate" = 1 ] && echo 12 || echo 40)}
  f=$WORK/f$mib.bin
  [ -f "$f" ] || head -c $((mib * 1048576)) /dev/urandom > "$f"
  bps=$(python3 -c "print(int($rate * 1e6 / 8))")
  ideal=$(python3 -c "print(round($mib * 1048576 / $bps, 1))")
  python3 bench/linkemu.py "$PORT" "$UP" "$bps" 50 & emu=$!
  sleep 0.5
  ep=http://127.0.0.1:$PORT
  for tool in $TOOLS; do
    start=$(date +%s.%N)
    case $tool in
      hoist) "$HOIST" --journal "$WORK/j-$$.sqlite" upload "$f" --bucket "$BUCKET" --endpoint "$ep" \
               -p "$tool-$rate" >/dev/null 2>&1 ;;
      aws) "$AWS" --endpoint-url "$ep" s3 cp "$f" "s3://$BUCKET/$tool-$rate/" >/dev/null 2>&1 ;;
      rclone) RCLONE_CONFIG_L_TYPE=s3 RCLONE_CONFIG_L_PROVIDER=Other RCLONE_CONFIG_L_ENDPOINT=$ep \
               RCLONE_CONFIG_L_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID RCLONE_CONFIG_L_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
               RCLONE_CONFIG_L_REGION=us-east-1 RCLONE_CONFIG_L_FORCE_PATH_STYLE=true \
               "$RCLONE" copy "$f" "L:$BUCKET/$tool-$rate/" >/dev/null 2>&1 ;;
    esac || echo "$tool failed at $rate Mbit/s"
    took=$(python3 -c "print(round($(date +%s.%N) - $start, 1))")
    printf "%-7s %-6s %6s %8s %8s %6s\n" "$tool" "$rate" "$mib" "$took" "$ideal" \
      "$(python3 -c "print(round($took / $ideal, 2))")"
  done
  kill $emu; wait $emu 2>/dev/null || true
done
