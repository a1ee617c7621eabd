//! aarch64: HWCAP and cache-line-size detection, `dc cvap`/`dc cvac` write-back and the
//! `dsb` that completes it; the copy/set kernels and the strategy are `portable`'s.

pub mod cpu;
pub mod decide;
pub mod flush;
pub mod valgrind;

pub use super::portable::{kernels, strategy};
