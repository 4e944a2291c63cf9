#!/usr/bin/env bash
# Installs everything building, running and testing Tidings needs, and
# skips whatever is already there: the wasm32 target, rustfmt/clippy,
# cargo-leptos 0.3.10, wasm-bindgen-cli 0.2.130 (must equal the crate's
# wasm-bindgen), Debian's Chromium and redis-server (for the scale-out
# tests), and the end2end npm packages (Playwright without a browser
# download, binaryen's wasm-opt).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1 \
    || ! command -v redis-server >/dev/null 2>&1; then
  say "Installing Debian packages (chromium, redis-server, nodejs, npm)"
  pkgs=(chromium redis-server)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

# The build tools only drive the build, so they are compiled for a quick
# install rather than top speed: opt-level 1, no LTO (swc, lightningcss and
# wasm-bindgen's walrus dominate; at opt-level 3 cargo-leptos alone took 25
# minutes here). Both install at once, so each fills the other's idle core.
tools_profile=(env CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=0)
tool_pids=()
if ! cargo leptos --version 2>/dev/null | grep -q ' 0\.3\.10'; then
  say "Installing cargo-leptos 0.3.10 (once per machine)"
  "${tools_profile[@]}" cargo install cargo-leptos --locked --version 0.3.10 &
  tool_pids+=($!)
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q ' 0\.2\.130'; then
  say "Installing wasm-bindgen-cli 0.2.130 (once per machine)"
  "${tools_profile[@]}" CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version 0.2.130 &
  tool_pids+=($!)
fi
for pid in "${tool_pids[@]}"; do wait "$pid"; done

stamp=end2end/node_modules/.tidings-lock
if [ ! -f "$stamp" ] || ! cmp -s end2end/package-lock.json "$stamp"; then
  say "Installing end2end npm packages (no browser download)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp end2end/package-lock.json "$stamp"
fi
