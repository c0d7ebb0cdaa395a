//! The allocator the binaries use: mimalloc, without transparent huge pages.
//!
//! Translation, the sandbox and the history allocate many small values; with glibc's malloc
//! and free they were a third of a translation's time (`benches/translate.rs`). mimalloc's
//! default of asking Linux for huge pages put the window's peak memory at 162 MB (over the
//! 150 MB target); without them it is about where glibc's was.

pub use mimalloc::MiMalloc;
