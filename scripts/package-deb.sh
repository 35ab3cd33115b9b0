#!/usr/bin/env bash
# Builds Hoist's .deb with the npm Tauri CLI. The CLI wants tauri.conf.json beside
# the app's Cargo.toml, while ours sits at the repo root (next to the workspace
# manifest): a copy with paths made relative to src-tauri/ is written for the
# duration of the build. `--debug` gives a quick unoptimised package.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund --loglevel=error
python3 - <<'PY'
import json
c = json.load(open("tauri.conf.json"))
b = c["build"]
b["frontendDist"] = "../" + b["frontendDist"]
c["bundle"]["icon"] = ["../" + i for i in c["bundle"]["icon"]]
json.dump(c, open("src-tauri/tauri.conf.json", "w"), indent=2)
PY
trap 'rm -f src-tauri/tauri.conf.json' EXIT
# The CLI comes from npm on demand (its lock entries for other platforms are not
# all on the registry mirror, which would break `npm ci` of the UI).
(cd src-tauri && npx --yes @tauri-apps/cli@2.12.5 build --bundles deb "$@")
ls -l target/*/bundle/deb/*.deb
