#!/usr/bin/env bash
# Runs every check and test: formatting, clippy (server and browser
# feature sets, warnings denied), unit and integration tests, the release
# build, and the Playwright suite in Debian's Chromium. Installs what it
# needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --check

step "clippy (ssr, all targets)"
cargo clippy --features ssr --all-targets -- -D warnings
step "clippy (ssr + schema, all targets: the JSON Schema and its tests)"
cargo clippy --features ssr,schema --all-targets -- -D warnings
step "clippy (the load bench, tidings-bench)"
cargo clippy --features bench --bin tidings-bench -- -D warnings
step "clippy (hydrate, wasm32)"
cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

step "rustdoc of the public API (server and browser feature sets, warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --features ssr
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --target wasm32-unknown-unknown \
  --no-default-features --features hydrate

step "start redis-server on a free loopback port (for the scale-out tests)"
redis_dir=$(mktemp -d)
run_dir=""
cleanup() {
  # Wait for redis-server to exit before removing its folder: it writes its
  # log while shutting down (an rm racing it fails "Directory not empty").
  if [ -f "$redis_dir/pid" ]; then
    pid=$(cat "$redis_dir/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$redis_dir" || true
  if [ -n "$run_dir" ]; then rm -rf "$run_dir" || true; fi
  return 0
}
trap cleanup EXIT
redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
  --dir "$redis_dir" --daemonize yes --pidfile "$redis_dir/pid" --logfile "$redis_dir/log"
for _ in $(seq 1 100); do
  redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping | grep -q PONG
export TIDINGS_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
echo "redis-server on $TIDINGS_TEST_REDIS_URL"

step "unit, integration and property tests"
cargo test --features ssr

step "JSON Schema: docs/protocol.schema.json is current; the docs' examples are valid"
cargo test --features ssr,schema --test schema

step "load bench smoke: 200 subscribers at 100 msg/s for 2 s, and a 200-client reconnect storm"
# Dev profile (quick to build): the figures are printed next to the bare
# baseline's and never asserted. It fails only when the bench itself fails:
# a server child that does not start, or a delivery lost in the in-memory
# steady state (a real bug). Full matrix: scripts/bench.sh.
cargo build --features bench --bin tidings-bench
target/debug/tidings-bench steady --subscribers 200 --rate 100 --duration-s 2 --timeout-s 60 --fail-on-loss
target/debug/tidings-bench storm --clients 200 --rate 20 --phase-s 1 --timeout-s 60

step "the fuzz target builds (run it with cargo +nightly fuzz; see README)"
cargo check --manifest-path fuzz/Cargo.toml

step "release build (WASM site, then the server with the site embedded)"
cargo leptos build --release --precompress --split --bin-features embed
wasm=target/site/pkg/tidings.wasm
raw=$(wc -c < "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "METRIC wasm_release_bytes=$raw wasm_release_gzip_bytes=$gz"
# The chunks `--split` cut off (loaded only by the page that needs them).
for chunk in target/site/pkg/split_*.wasm; do
  [ -e "$chunk" ] || continue
  echo "METRIC wasm_chunk $(basename "$chunk") bytes=$(wc -c < "$chunk") gzip_bytes=$(gzip -9 -c "$chunk" | wc -c)"
done
# The size budget of the WASM every page loads (README, Numbers): past it
# the run fails, so a change that grows the page's download is seen and
# argued for.
wasm_gzip_budget=281600
if [ "$gz" -gt "$wasm_gzip_budget" ]; then
  echo "the release WASM is $gz bytes gzipped, over its budget of $wasm_gzip_budget (README, Numbers)" >&2
  exit 1
fi
echo "release WASM within its budget: $gz of $wasm_gzip_budget bytes gzipped"

step "end-to-end (Playwright, Chromium) against a copy of the binary alone in a directory"
run_dir=$(mktemp -d)
cp target/release/tidings "$run_dir/"
(cd end2end && TIDINGS_BIN="$run_dir/tidings" TIDINGS_RUN_DIR="$run_dir" npx playwright test)
if [ -f end2end/test-results/metrics.json ]; then
  echo "METRIC $(cat end2end/test-results/metrics.json)"
fi
