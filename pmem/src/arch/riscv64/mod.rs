//! riscv64: Zicbom detection through the kernel's riscv_hwprobe, `cbo.clean` write-back and
//! the fence that orders it; the copy/set kernels and the strategy are `portable`'s.

pub mod cpu;
pub mod decide;
pub mod flush;
pub mod valgrind;

pub use super::portable::{kernels, strategy};
