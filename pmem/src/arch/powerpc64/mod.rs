//! ppc64le (POWER8 and later): the cache block size from the aux vector, `dcbstps` write-back
//! and the `phwsync` that completes it; the copy/set kernels and the strategy are `portable`'s.
//!
//! Inline assembly on PowerPC is stable only in the Rust releases of 2026:
//! this target needs a newer compiler than the workspace's rust-version, which x86-64 and
//! aarch64 keep.

pub mod cpu;
pub mod decide;
pub mod flush;
pub mod valgrind;

pub use super::portable::{kernels, strategy};
