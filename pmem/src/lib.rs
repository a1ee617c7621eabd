//! A pure-Rust libpmem: persistent memory without a C library.
//!
//! The engine of `libpmem.so.1` (a drop-in for PMDK's libpmem), for Rust programs: map a file,
//! store into it, make the stores durable with the cheapest instructions this CPU has, chosen
//! once at load time.
//!
//! [`raw`] has the C API's operations over raw addresses.
#![deny(missing_docs)]

mod arch;
mod config;
mod consts;
mod dispatch;
mod error;
mod flags;
mod forksafe;
mod init;
mod inline_str;
mod log;
mod map;
mod memops;
mod os;
mod persist;
mod pmem;
mod registry;
mod strategy;
mod sysfs;
mod valgrind;

#[cfg(test)]
mod env_tests;

#[doc(hidden)]
pub mod capi;
pub mod raw;

pub use error::Error;
pub use flags::Flags;

/// Whether the platform flushes CPU caches on power loss (eADR): `Some(true)` if every NVDIMM
/// region says so, `Some(false)` if any does not or there is none, `None` if sysfs can't be
/// read.
pub fn has_auto_flush() -> Option<bool> {
    match pmem::has_auto_flush() {
        -1 => None,
        v => Some(v == 1),
    }
}

/// The PMDK libpmem release whose behaviour this crate implements (its log says so).
const C_LIBRARY_VERSION: &str = "1.12.1";
