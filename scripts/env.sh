# Sourced by the scripts: puts the pinned wasm-opt (npm binaryen) first on
# PATH so cargo-leptos never tries to download one.
export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
