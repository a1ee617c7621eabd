//! The operations over raw addresses, as libpmem's C API has them.
//!
//! For memory the safe API cannot describe: a range that another library mapped, or one that
//! is not a Rust slice. `libpmem.so.1` is built on these. Each function that touches memory is
//! `unsafe` and states what the caller guarantees.

use crate::error::Error;
use crate::flags::Flags;
// The module alone: the crate root also has a `persist` function, and so does this module.
use crate::persist::{self as persist};
use crate::{memops, pmem};

/// pmem_is_pmem(3): whether all of [addr, addr+len) is persistent memory this process mapped
/// (with [`MapOptions`](crate::MapOptions) or `pmem_map_file`), or `PMEM_IS_PMEM_FORCE` says
/// so.
#[inline]
pub fn is_pmem(addr: *const u8, len: usize) -> bool {
    pmem::is_pmem(addr, len)
}

/// pmem_flush(3): writes back the cache lines of the range, without waiting.
///
/// # Safety
/// The range is mapped for the whole call.
#[inline(always)]
pub unsafe fn flush(addr: *const u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { persist::flush(addr, len) }
}

/// pmem_deep_flush(3): [`flush`], even where flushing is otherwise off (eADR,
/// `PMEM_NO_FLUSH=1`).
///
/// # Safety
/// The range is mapped for the whole call.
#[inline(always)]
pub unsafe fn deep_flush(addr: *const u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { persist::deep_flush(addr, len) }
}

/// pmem_drain(3): waits for earlier flushes and non-temporal stores to complete.
#[inline(always)]
pub fn drain() {
    persist::drain()
}

/// pmem_persist(3): [`flush`] then [`drain`].
///
/// # Safety
/// The range is mapped for the whole call.
#[inline(always)]
pub unsafe fn persist(addr: *const u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { persist::flush(addr, len) };
    persist::drain();
}

/// pmem_msync(3): msync(MS_SYNC) of the pages covering the range. An unmapped range is an
/// error (`ENOMEM`), not a fault.
#[inline(always)]
pub fn msync(addr: *const u8, len: usize) -> Result<(), Error> {
    persist::msync(addr, len)
}

/// pmem_deep_drain(3): device DAX ranges drain and flush their region's write queues; the
/// rest is msynced. An unmapped range is an error, not a fault.
pub fn deep_drain(addr: *const u8, len: usize) -> Result<(), Error> {
    persist::deep_drain(addr, len)
}

/// pmem_deep_persist(3): deep flush then deep drain. A range that is not mapped when the call
/// starts is reported (`ENOMEM`) before anything is flushed.
///
/// # Safety
/// Nothing unmaps the range while the call runs.
pub unsafe fn deep_persist(addr: *const u8, len: usize) -> Result<(), Error> {
    // SAFETY: forwarded caller contract.
    unsafe { persist::deep_persist(addr, len) }
}

/// pmem_memmove(3): copies `len` bytes (the ranges may overlap) and makes them durable as
/// `flags` say.
///
/// # Safety
/// [dst, dst+len) is valid for writes and [src, src+len) for reads. With `Flags::NODRAIN`
/// the copy may end with non-temporal stores not yet fenced: call [`drain`] or
/// [`store_fence`] before anything reads or writes [dst, dst+len).
#[inline(always)]
pub unsafe fn memmove(dst: *mut u8, src: *const u8, len: usize, flags: Flags) {
    // SAFETY: forwarded caller contract.
    unsafe { memops::memmove(dst, src, len, flags) }
}

/// pmem_memset(3): sets `len` bytes to `c` and makes them durable as `flags` say.
///
/// # Safety
/// [dst, dst+len) is valid for writes. With `Flags::NODRAIN`, as for [`memmove`]: fence
/// before the bytes are accessed again.
#[inline(always)]
pub unsafe fn memset(dst: *mut u8, c: u8, len: usize, flags: Flags) {
    // SAFETY: forwarded caller contract.
    unsafe { memops::memset(dst, c, len, flags) }
}

/// SFENCE: orders this thread's earlier non-temporal stores before its later accesses, as
/// Rust's memory model requires after a `NODRAIN` [`memmove`] or [`memset`]. Not a drain:
/// it makes nothing durable that was not flushed.
#[inline(always)]
pub fn store_fence() {
    crate::arch::x86_64::flush::sfence()
}
