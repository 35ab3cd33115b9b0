#!/usr/bin/env bash
# Runs every test: starts the SeaweedFS S3 test server, runs the workspace's tests
# against it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
s3_env=$(scripts/s3-test-server.sh start)  # fails the script if the server does not start
eval "$s3_env"
trap 'scripts/s3-test-server.sh stop' EXIT
cargo fmt --all -- --check
cargo test --workspace --locked
