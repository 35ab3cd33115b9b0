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
if cargo tree -p hoist-core -e normal --prefix none | grep -qE '^(clap|indicatif|tauri|tauri-[a-z-]+) v'; then
  echo "hoist-core must not depend on shell crates (clap, indicatif, tauri)" >&2
  exit 1
fi
cargo test --workspace --locked
