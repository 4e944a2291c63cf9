//! The name of this binary's memory allocator (the `#[global_allocator]`
//! is set in main.rs), printed with the results by `report.rs` and
//! `spike.rs`. A leaf: it imports nothing of the bench.

/// The memory allocator of this binary, hence of the server child it
/// runs (printed with the results): the `tidings` binary's (src/main.rs).
pub const ALLOCATOR: &str = "jemalloc (tikv-jemallocator, background threads)";
