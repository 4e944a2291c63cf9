#!/usr/bin/env bash
# Builds Tidings (release) and runs it on http://127.0.0.1:3000 with the
# in-memory defaults. Extra arguments go to the server (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
cargo leptos build --release --precompress --split --bin-features embed
exec target/release/tidings "$@"
