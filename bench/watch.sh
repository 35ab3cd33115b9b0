#!/usr/bin/env bash
# Watched-folder benchmark on SeaweedFS with the release `hoist watch run`:
#   (a) latency from a small file's close() to its "completed" (verified) event, p50/p95;
#   (b) files/s for a burst of 10,000 files written into 100 fresh folders.
#   bench/watch.sh          (BENCH_SMALL=50 BENCH_BURST=10000 to change sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
if [ -z "${HOIST_TEST_ENDPOINT:-}" ]; then
  eval "$(scripts/s3-test-server.sh start)"
  trap 'scripts/s3-test-server.sh stop' EXIT
fi
if ! command -v aws >/dev/null; then
  [ -x .venv-bench/bin/aws ] || { python3 -m venv .venv-bench && .venv-bench/bin/pip install -q awscli; }
  export PATH="$ROOT/.venv-bench/bin:$PATH"
fi
cargo build --release -q -p hoist-cli
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
exec python3 bench/watch_bench.py "$TARGET_DIR/release/hoist"
