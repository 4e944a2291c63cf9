# Shared by scripts/bench.sh and scripts/bench-redis.sh (sourced): the
# build directory, where results go, the matrix's defaults (each one an
# environment variable to override), and the release build of the bench.
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/bench-build}"
out=docs/bench
rates="${BENCH_RATES:-100 1000}"
duration="${BENCH_DURATION_S:-5}"
storm="${BENCH_STORM:-5000}"
timeout="${BENCH_TIMEOUT_S:-120}"
bin="$CARGO_TARGET_DIR/release/tidings-bench"

build_bench() {
  cargo build --release --features bench --bin tidings-bench
  mkdir -p "$out"
}
