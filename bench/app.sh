#!/usr/bin/env bash
# Small files through the desktop app in its real window (bench/app_many.py), in the
# end-to-end harness (Xvfb, tauri-driver, a throwaway HOME, the embedded local store).
# A debug build, as the end-to-end tests use: only it takes test files without a
# native dialog. BENCH_APP_FILES (default 3000), BENCH_APP_ROUNDS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
HOIST_E2E_SCRIPT=bench/app_many.py exec scripts/e2e.sh
