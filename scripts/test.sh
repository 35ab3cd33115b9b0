#!/usr/bin/env bash
# Runs every test: the UI's unit tests, the workspace's Rust tests against a real
# SeaweedFS S3 server, the engine and CLI suites again against the embedded local
# store, then the desktop app end to end in its real window (scripts/e2e.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
# The engine knows no shell: no CLI, terminal or desktop crates in its dependencies.
if cargo tree -p hoist-core -e normal --prefix none | grep -qE '^(clap|indicatif|tauri|tauri-[a-z-]+|hoist-localstore|s3s) v'; then
  echo "hoist-core must not depend on shell crates (clap, indicatif, tauri) or the local store" >&2
  exit 1
fi

# Inside the engine, lower folders never import higher ones (crates/hoist-core/README.md):
# the journal, the S3 layer and the event types know no feature; transfer knows none of
# the features built on it; the HTTP origins (upload from a URL) know no store or queue.
layer_violation() { grep -rnE "crate::($2)\b" "crates/hoist-core/src/$1" && echo "hoist-core/$1 must not import $2" >&2; }
if layer_violation journal 's3|events|transfer|watch|profiles|objects' \
  || layer_violation s3 'events|transfer|watch|profiles|objects' \
  || layer_violation events 'transfer|watch|profiles|objects' \
  || layer_violation transfer 'watch|profiles|objects' \
  || layer_violation origin.rs 'journal|s3|events|transfer|watch|profiles|objects'; then
  exit 1
fi

echo "== UI: unit tests and build (the desktop crate embeds ui/dist)"
npm --prefix ui ci --no-audit --no-fund --loglevel=error
npm --prefix ui test
npm --prefix ui run build

s3_env=$(scripts/s3-test-server.sh start)  # fails the script if the server does not start
eval "$s3_env"
ls_pid=""
ls_dir=$(mktemp -d)
trap '[ -n "$ls_pid" ] && kill $ls_pid 2>/dev/null; rm -rf "$ls_dir"; scripts/s3-test-server.sh stop' EXIT

echo "== Rust: every crate's tests against SeaweedFS, with a real Secret Service for the keyring"
scripts/with-keyring.sh cargo test --workspace --locked

# ts-rs rewrote ui/src/bindings while the tests ran: they must match what is committed.
if [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
  git status --short -- ui/src/bindings
  echo "ui/src/bindings is out of date with the Rust types: run the tests and commit the result" >&2
  exit 1
fi

echo "== the engine's resume, multipart and compatibility suites, links, browser and fetch again, against the embedded local store"
target/debug/hoist-localstore --data "$ls_dir/data" --bucket hoist >"$ls_dir/endpoint" 2>"$ls_dir/log" &
ls_pid=$!
for _ in $(seq 100); do [ -s "$ls_dir/endpoint" ] && break; sleep 0.1; done
[ -s "$ls_dir/endpoint" ] || { cat "$ls_dir/log" >&2; echo "the local store did not start" >&2; exit 1; }
ls_endpoint=$(head -1 "$ls_dir/endpoint")
# The test binaries built above run again as they are: selecting them through cargo
# would change the feature set and rebuild half the dependencies.
suites=$(cargo test --workspace --locked --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    crate = (m.get("manifest_path") or "").rsplit("/", 2)[-2:][0]
    wanted = {"hoist-core": ("engine", "compat", "share", "browse", "fetch"), "hoist-cli": ("cli",)}
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] in wanted.get(crate, ()) and "test" in m["target"]["kind"]:
        print(m["executable"])' | sort -u)
[ "$(echo "$suites" | wc -l)" -eq 6 ] || { echo "expected the engine, compat, cli, share, browse and fetch test binaries, got: $suites" >&2; exit 1; }
for suite in $suites; do
  # Outside cargo, ts-rs would write its types to ./bindings: point it where cargo does.
  TS_RS_EXPORT_DIR="$PWD/ui/src/bindings" HOIST_TEST_STORE=embedded HOIST_TEST_ENDPOINT=$ls_endpoint AWS_ENDPOINT_URL=$ls_endpoint "$suite"
done

echo "== the desktop app, end to end in its window"
HOIST_UI_BUILT=1 scripts/e2e.sh
