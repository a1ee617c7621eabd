//! ppc64le (POWER8 and later): the cache block size from the aux vector, `dcbstps` write-back
//! and the `phwsync` that completes it; the copy/set kernels and the strategy are `portable`'s.
//!
//! `asm!` became stable on PowerPC only in 2026 (the chroot's Rust 1.97 has it): this target
//! needs a newer compiler than the workspace's rust-version, which holds for x86-64 and aarch64.

pub mod cpu;
pub mod decide;
pub mod flush;
pub mod valgrind;

pub use super::portable::{kernels, strategy};
