#!/usr/bin/env bash
# Installs what Hoist needs on Debian/Ubuntu, builds the UI and the desktop app, and
# starts it on the embedded local store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
npm --prefix ui ci --no-audit --no-fund --loglevel=error
npm --prefix ui run build
exec cargo run --locked -p hoist-desktop
