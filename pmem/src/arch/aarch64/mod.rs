//! aarch64: HWCAP and cache-line-size detection, `dc cvap`/`dc cvac` write-back and the
//! `dsb` that completes it, and portable copy/set kernels that write back what they store
//! (Arm has no streaming store that bypasses the cache: `stnp` is only a hint).

pub mod cpu;
pub mod decide;
pub mod flush;
pub mod kernels;
pub mod strategy;
pub mod valgrind;
