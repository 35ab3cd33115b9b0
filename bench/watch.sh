#!/usr/bin/env bash
# Watched-folder benchmark on SeaweedFS with the release `hoist watch run`:
#   (a) latency from a small file's close() to its "completed" (verified) event, p50/p95;
#   (b) files/s for a burst of 10,000 files written into 100 fresh folders.
#   bench/watch.sh          (BENCH_SMALL=50 BENCH_BURST=10000 to change sizes)
# With HOIST_TEST_ENDPOINT set it uses that server and leaves it alone; otherwise it
# starts scripts/s3-test-server.sh and stops it on the way out, however it ends
# (the benchmark failing, Ctrl-C), and checks that no server is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# Where scripts/s3-test-server.sh keeps its pid file (same defaults as that script).
S3_STATE="${HOIST_S3_STATE:-$ROOT/.test-s3}"
S3_PORT="${HOIST_S3_PORT:-18333}"

stop_server() {
  local status=$? pid=""
  trap - EXIT INT TERM
  [ -f "$S3_STATE/pid" ] && pid=$(cat "$S3_STATE/pid" 2>/dev/null || true)
  scripts/s3-test-server.sh stop || true
  # The check the old `exec python3 ...` defeated: nothing of the server may outlive us.
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "bench/watch.sh: SeaweedFS (pid $pid) is still running after stop" >&2
    [ "$status" -ne 0 ] || status=1
  elif curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$S3_PORT/"; then
    echo "bench/watch.sh: something still answers on the test server's port $S3_PORT after stop" >&2
    [ "$status" -ne 0 ] || status=1
  else
    echo "bench/watch.sh: test server stopped${pid:+ (pid $pid gone)}; none left running" >&2
  fi
  exit "$status"
}

if [ -z "${HOIST_TEST_ENDPOINT:-}" ]; then
  # Armed before the start, so a server that came up only half way is stopped too.
  trap stop_server EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  s3_env=$(scripts/s3-test-server.sh start)  # fails the script if the server does not start
  eval "$s3_env"
fi
if ! command -v aws >/dev/null; then
  [ -x .venv-bench/bin/aws ] || { python3 -m venv .venv-bench && .venv-bench/bin/pip install -q awscli; }
  export PATH="$ROOT/.venv-bench/bin:$PATH"
fi
cargo build --release -q -p hoist-cli
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# Not `exec`: that would replace this shell and its EXIT trap would never stop the
# server. Run it, keep its exit status, and let the trap stop the server.
status=0
python3 bench/watch_bench.py "$TARGET_DIR/release/hoist" || status=$?
exit "$status"
