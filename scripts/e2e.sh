#!/usr/bin/env bash
# End-to-end tests of the desktop app in its real window: builds the UI and the app,
# starts Xvfb, a D-Bus session and tauri-driver, and runs tests/e2e/test_desktop.py
# with a throwaway HOME (HOIST_E2E_SCRIPT runs another script in the same harness:
# bench/app.sh). Artifacts (screenshots) land in .e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version 2.1.0
[ -d ui/node_modules ] || npm --prefix ui ci --no-audit --no-fund --loglevel=error
# python-xlib plays the window manager's close button (WM_DELETE_WINDOW) under Xvfb.
python3 -c 'import Xlib' 2>/dev/null || python3 -m pip install -q --disable-pip-version-check python-xlib
# scripts/test.sh built the UI already: building it again would rebuild the app too.
[ -n "${HOIST_UI_BUILT:-}" ] || npm --prefix ui run build
# --all-targets: the feature set of `cargo test --workspace`, so its build is reused.
cargo build --workspace --all-targets --locked

work=$(mktemp -d)
mkdir -p .e2e/artifacts
export HOME=$work/home XDG_DATA_HOME=$work/home/.local/share XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME"
# A private copy of the app: with a shared CARGO_TARGET_DIR another build could replace
# the binary while the test runs.
cp "${CARGO_TARGET_DIR:-$root/target}/debug/hoist-desktop" "$work/hoist-desktop"
# The test's files live here. A debug build counts files below HOIST_E2E_CHOSEN as
# chosen by the user (native drops and dialogs cannot be driven through WebDriver);
# everything else, like the throwaway HOME's ~/.ssh, stays out of a page's reach.
mkdir -p "$work/chosen"
export HOIST_E2E_APP=$work/hoist-desktop HOIST_E2E_WORK=$work \
  HOIST_E2E_ARTIFACTS=$root/.e2e/artifacts HOIST_E2E_CHOSEN=$work/chosen
# The usual umask: the app's data must be private anyway (checked at the end).
umask 022

cat >"$work/launch-hoist" <<LAUNCH
#!/bin/sh
exec "$HOIST_E2E_APP" "\$@" 2>>"$work/app.log"
LAUNCH
chmod +x "$work/launch-hoist"
export HOIST_E2E_LAUNCH=$work/launch-hoist RUST_BACKTRACE=1

display=:$((90 + RANDOM % 9))
Xvfb "$display" -screen 0 1280x860x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$work"' EXIT
export DISPLAY=$display
# Ports are settable so two runs on one machine do not collide.
export HOIST_E2E_DRIVER=http://127.0.0.1:${HOIST_E2E_PORT:-4444}
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

# A session bus with a real Secret Service (a throwaway GNOME Keyring): single-instance,
# notifications and the profiles' keyring talk D-Bus, as on a desktop.
scripts/with-keyring.sh bash -c '
  tauri-driver --port "${HOIST_E2E_PORT:-4444}" --native-port "${HOIST_E2E_NATIVE_PORT:-4445}" --native-driver /usr/bin/WebKitWebDriver >"$HOIST_E2E_WORK/driver.log" 2>&1 &
  driver=$!
  for _ in $(seq 100); do
    (echo >/dev/tcp/127.0.0.1/${HOIST_E2E_PORT:-4444}) 2>/dev/null && break; sleep 0.1
  done
  status=0
  python3 "${HOIST_E2E_SCRIPT:-tests/e2e/test_desktop.py}" || status=$?
  kill $driver 2>/dev/null || true
  if [ $status -ne 0 ]; then echo "--- tauri-driver log"; tail -120 "$HOIST_E2E_WORK/driver.log"; echo "--- app log"; grep -v "^dbus-daemon" "$HOIST_E2E_WORK/app.log" | tail -80; fi
  exit $status
'
