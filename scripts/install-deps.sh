#!/usr/bin/env bash
# Installs what building, running and testing Hoist needs on Debian/Ubuntu: the
# WebKitGTK stack for the desktop window, Xvfb + WebKitWebDriver + D-Bus for the
# end-to-end tests, Python's venv for the S3 test server, and tauri-driver.
# Safe to run again: it installs only what is missing.
set -euo pipefail
packages=(
  build-essential pkg-config curl ca-certificates python3 python3-venv
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libxdo-dev libssl-dev
  xvfb xauth xclip webkit2gtk-driver dbus-daemon procps gnome-keyring libsecret-tools
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null || { echo "Rust (cargo, 1.95+) is required: https://rustup.rs" >&2; exit 1; }
command -v npm >/dev/null || { echo "Node.js 20+ with npm is required" >&2; exit 1; }
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version 2.1.0
