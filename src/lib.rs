//! A Rust reimplementation of PMDK's libpmem, ABI-compatible with `libpmem.so.1`.
//!
//! Layout: `ffi` is the whole C surface; everything else is safe Rust over small, commented
//! unsafe blocks. `dispatch` picks the flush instruction and copy kernels once, at load time,
//! from `arch::x86_64` and the CPU class's `strategy`; `memops` applies PMDK's flag semantics over them; `map` and `registry`
//! implement pmem_map_file and the pmem range tracking; `persist` the flush/drain/msync family.

pub mod arch;
pub mod config;
pub mod consts;
pub mod dispatch;
pub mod error;
pub mod ffi;
pub mod forksafe;
pub mod inline_str;
pub mod log;
pub mod map;
pub mod memops;
pub mod persist;
pub mod pmem;
pub mod registry;
pub mod strategy;
pub mod sysfs;
pub mod valgrind;

pub use consts::*;
pub use ffi::*;
