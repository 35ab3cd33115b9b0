#!/usr/bin/env bash
# Runs every test: starts the SeaweedFS S3 test server, runs the workspace's tests
# against it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
s3_env=$(scripts/s3-test-server.sh start)  # fails the script if the server does not start
eval "$s3_env"
trap 'scripts/s3-test-server.sh stop' EXIT
cargo fmt --all -- --check
# The engine knows no shell: no CLI, terminal or desktop crates in its dependencies.
if cargo tree -p hoist-core -e normal --prefix none | grep -qE '^(clap|indicatif|tauri|tauri-[a-z-]+|hoist-localstore|s3s) v'; then
  echo "hoist-core must not depend on shell crates (clap, indicatif, tauri) or the local store" >&2
  exit 1
fi
cargo test --workspace --locked

# The engine's resume and multipart suites again, against the embedded local store.
ls_dir=$(mktemp -d)
target/debug/hoist-localstore --data "$ls_dir/data" --bucket hoist >"$ls_dir/endpoint" 2>"$ls_dir/log" &
ls_pid=$!
trap 'kill $ls_pid 2>/dev/null; rm -rf "$ls_dir"; scripts/s3-test-server.sh stop' EXIT
for _ in $(seq 100); do [ -s "$ls_dir/endpoint" ] && break; sleep 0.1; done
[ -s "$ls_dir/endpoint" ] || { cat "$ls_dir/log" >&2; echo "the local store did not start" >&2; exit 1; }
ls_endpoint=$(head -1 "$ls_dir/endpoint")
echo "== engine and CLI suites against the local store at $ls_endpoint"
HOIST_TEST_ENDPOINT=$ls_endpoint AWS_ENDPOINT_URL=$ls_endpoint \
  cargo test --locked -p hoist-core --test engine -p hoist-cli --test cli
