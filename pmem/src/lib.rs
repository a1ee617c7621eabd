//! A pure-Rust libpmem: persistent memory without a C library.
//!
//! The engine of `libpmem.so.1` (a drop-in for PMDK's libpmem), for Rust programs: map a file,
//! store into it, make the stores durable with the cheapest instructions this CPU has, chosen
//! once at load time.
//!
//! * [`MapOptions`] maps a file as a [`PmemMap`], a byte slice that knows whether it
//!   [is persistent memory](PmemMap::is_pmem) and unmaps when dropped.
//! * Over any byte slice: [`persist`] (= [`flush`] + [`drain`]) where [`is_pmem`], [`msync`]
//!   elsewhere, the deep variants ([`deep_flush`], [`deep_drain`], [`deep_persist`]), and
//!   [`copy`], [`copy_within`] and [`fill`], which store and make durable as their [`Flags`]
//!   say.
//! * [`log`]: the library's log thresholds, and a Rust function to receive it.
//! * [`raw`]: the C API's operations over raw addresses, for memory that is not a slice.
//! * With feature `memmap2`, `PmemExt` gives a `memmap2::MmapMut` the flushes.
//!
//! Errors are [`std::io::Error`]s holding an [`Error`]: PMDK's errno and message.
//!
//! ```
//! use libpmem::{Flags, MapOptions};
//!
//! let dir = std::env::temp_dir();
//! // An unnamed file in `dir`, gone once unmapped. SAFETY: nothing else can open it.
//! let mut map = unsafe { MapOptions::new().tmpfile(true).len(1 << 20).map(&dir)? };
//! libpmem::copy(&mut map[..13], b"hello, pmem!\n", Flags::NONTEMPORAL);
//! libpmem::fill(&mut map[13..4096], 0, Flags::empty());
//! map.sync(..4096)?; // persist if map.is_pmem(), else msync
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod arch;
mod config;
mod dispatch;
mod error;
mod file;
mod flags;
mod forksafe;
mod inline_str;
pub mod log;
mod map;
mod memops;
mod os;
mod persist;
mod registry;
mod slice;
mod sysfs;
mod valgrind;

#[cfg(feature = "memmap2")]
mod ext;

#[cfg(feature = "capi")]
#[doc(hidden)]
pub mod capi;
pub mod raw;

pub use error::Error;
#[cfg(feature = "memmap2")]
#[cfg_attr(docsrs, doc(cfg(feature = "memmap2")))]
pub use ext::PmemExt;
pub use file::{MapOptions, PmemMap};
pub use flags::Flags;
pub use slice::{
    copy, copy_within, deep_drain, deep_flush, deep_persist, drain, fill, flush, is_pmem, msync,
    persist,
};

/// Whether the platform flushes CPU caches on power loss (eADR), so that stores are durable
/// once visible (pmem_has_auto_flush(3)): `Some(true)` if every NVDIMM region says so,
/// `Some(false)` if any does not or there is none, `None` if sysfs can't be read.
pub fn has_auto_flush() -> Option<bool> {
    match sysfs::has_auto_flush(sysfs::SYSFS_ROOT) {
        -1 => None,
        v => Some(v == 1),
    }
}
