#!/usr/bin/env bash
# Runs a command with a real Secret Service: a private D-Bus session and a throwaway
# GNOME Keyring, unlocked, whose keyring files live in a temporary folder (your own
# keyring is never touched). The keyring tests and the desktop end-to-end run use it.
#   scripts/with-keyring.sh cargo test ...
set -euo pipefail
if [ -z "${HOIST_KEYRING_SESSION:-}" ]; then
  export HOIST_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
kr=$(mktemp -d)
trap 'rm -rf "$kr"' EXIT
mkdir -p "$kr/data" "$kr/run" && chmod 700 "$kr/run"
# gnome-keyring keeps keyrings in $XDG_DATA_HOME/keyrings and its sockets in the
# runtime dir: for the daemon only, both point into the throwaway folder (the command
# keeps its own XDG folders). Without --unlock there is no default collection and
# every call fails (FACTS.md).
eval "$(printf 'hoist-test-keyring' | XDG_DATA_HOME="$kr/data" XDG_RUNTIME_DIR="$kr/run" \
  gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
