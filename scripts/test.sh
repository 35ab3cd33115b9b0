#!/usr/bin/env bash
# Runs every test: starts the SeaweedFS S3 test server, runs the workspace's tests
# against it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/s3-test-server.sh start)"
trap 'scripts/s3-test-server.sh stop' EXIT
cargo fmt --all -- --check
cargo test --workspace --locked
