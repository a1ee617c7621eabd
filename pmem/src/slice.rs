//! The operations over slices: libpmem's C API where a slice stands for (addr, len).
//!
//! Safe because a slice is valid memory for its whole lifetime. An empty slice does nothing
//! (not even the drain of a copy without `NODRAIN`): its pointer may be dangling, and a flush
//! rounds an address down to its cache line, which could then be unmapped.
//!
//! Under `NODRAIN` the copies still end with an SFENCE when they may have streamed: Rust's
//! memory model requires one between non-temporal stores and any later access to their bytes
//! (`raw::memmove` leaves that to its caller). On CPUs with CLWB or CLFLUSHOPT that fence is
//! also the drain, so `NODRAIN` saves only the drain of the flushed lines elsewhere (CLFLUSH).

use std::io;
use std::ops::{Bound, Range, RangeBounds};

use crate::flags::Flags;
use crate::raw;

/// Writes back the CPU cache lines holding `buf` and waits until they are durable
/// (pmem_persist(3)): [`flush`] then [`drain`].
///
/// Durable only on persistent memory ([`is_pmem`]); elsewhere use [`msync`].
#[inline]
pub fn persist(buf: &[u8]) {
    if !buf.is_empty() {
        // SAFETY: a slice's memory is mapped while it is borrowed.
        unsafe { raw::persist(buf.as_ptr(), buf.len()) }
    }
}

/// Starts writing back the CPU cache lines holding `buf`, without waiting (pmem_flush(3)).
/// A later [`drain`] waits for every flush before it.
///
/// Does nothing where the platform flushes caches on power loss, or with `PMEM_NO_FLUSH=1`.
#[inline]
pub fn flush(buf: &[u8]) {
    if !buf.is_empty() {
        // SAFETY: a slice's memory is mapped while it is borrowed.
        unsafe { raw::flush(buf.as_ptr(), buf.len()) }
    }
}

/// [`flush`], even where flushing is otherwise off (pmem_deep_flush(3)).
#[inline]
pub fn deep_flush(buf: &[u8]) {
    if !buf.is_empty() {
        // SAFETY: a slice's memory is mapped while it is borrowed.
        unsafe { raw::deep_flush(buf.as_ptr(), buf.len()) }
    }
}

/// Waits for earlier flushes and non-temporal stores of this thread to complete
/// (pmem_drain(3)).
#[inline]
pub fn drain() {
    raw::drain()
}

/// `msync(MS_SYNC)` of the pages holding `buf`: durable on any file mapping (pmem_msync(3)).
///
/// Fails with msync's errno, such as `EIO` when the kernel could not write the pages back.
/// Memory that no file backs, such as the stack, is accepted and nothing is written.
#[inline]
pub fn msync(buf: &[u8]) -> io::Result<()> {
    if buf.is_empty() {
        return Ok(());
    }
    raw::msync(buf.as_ptr(), buf.len()).map_err(io::Error::from)
}

/// The deepest drain there is for `buf` (pmem_deep_drain(3)): on device DAX, the region's
/// write queues are flushed too; elsewhere it is [`msync`].
#[inline]
pub fn deep_drain(buf: &[u8]) -> io::Result<()> {
    raw::deep_drain(buf.as_ptr(), buf.len()).map_err(io::Error::from)
}

/// [`deep_flush`] then [`deep_drain`] (pmem_deep_persist(3)): durable even through a failure
/// that eADR or the memory controller's queues would not survive.
#[inline]
pub fn deep_persist(buf: &[u8]) -> io::Result<()> {
    if buf.is_empty() {
        return Ok(());
    }
    // SAFETY: a slice's memory stays mapped while it is borrowed.
    unsafe { raw::deep_persist(buf.as_ptr(), buf.len()) }.map_err(io::Error::from)
}

/// Whether all of `buf` is persistent memory, so that [`persist`] makes it durable
/// (pmem_is_pmem(3)).
///
/// Only mappings made by [`MapOptions::map`](crate::MapOptions::map) (or `pmem_map_file`)
/// count, unless `PMEM_IS_PMEM_FORCE` is set; an empty slice is not persistent memory.
#[inline]
pub fn is_pmem(buf: &[u8]) -> bool {
    raw::is_pmem(buf.as_ptr(), buf.len())
}

/// Copies `src` into `dst` and makes it durable as `flags` say (pmem_memcpy(3)).
///
/// With no flag the bytes are durable when this returns.
///
/// # Panics
/// If the two slices differ in length, like [`slice::copy_from_slice`].
///
/// ```
/// use libpmem::Flags;
/// let mut dst = [0u8; 4];
/// libpmem::copy(&mut dst, b"pmem", Flags::NONTEMPORAL | Flags::NODRAIN);
/// libpmem::drain();
/// assert_eq!(&dst, b"pmem");
/// ```
#[inline]
#[track_caller]
pub fn copy(dst: &mut [u8], src: &[u8], flags: Flags) {
    assert!(
        dst.len() == src.len(),
        "source slice length ({}) does not match destination slice length ({})",
        src.len(),
        dst.len()
    );
    if !dst.is_empty() {
        // SAFETY: both slices are valid for their length, which is the same.
        unsafe { raw::memmove(dst.as_mut_ptr(), src.as_ptr(), dst.len(), flags) }
        fence_streams(flags);
    }
}

/// Copies the bytes of `buf[src]` to `buf[dest..]` (the ranges may overlap) and makes them
/// durable as `flags` say (pmem_memmove(3)), like [`slice::copy_within`].
///
/// # Panics
/// If `src` is out of bounds or ends before it starts, or `dest + src.len()` exceeds
/// `buf.len()`, as `slice::copy_within` does.
///
/// ```
/// let mut buf = *b"abcdef";
/// libpmem::copy_within(&mut buf, 0..4, 2, libpmem::Flags::empty());
/// assert_eq!(&buf, b"ababcd");
/// ```
#[inline]
#[track_caller]
pub fn copy_within(buf: &mut [u8], src: impl RangeBounds<usize>, dest: usize, flags: Flags) {
    let Range { start, end } = checked_range(src, buf.len());
    let count = end - start;
    assert!(dest <= buf.len() - count, "dest is out of bounds");
    if count > 0 {
        let base = buf.as_mut_ptr();
        // SAFETY: [start, end) and [dest, dest + count) were checked to lie in `buf`; both
        // pointers come from the one mutable borrow, and memmove allows overlap.
        unsafe { raw::memmove(base.add(dest), base.add(start), count, flags) }
        fence_streams(flags);
    }
}

/// Sets every byte of `dst` to `value` and makes them durable as `flags` say
/// (pmem_memset(3)).
///
/// ```
/// let mut buf = [1u8; 100];
/// libpmem::fill(&mut buf, 0, libpmem::Flags::empty());
/// assert!(buf.iter().all(|&b| b == 0));
/// ```
#[inline]
pub fn fill(dst: &mut [u8], value: u8, flags: Flags) {
    if !dst.is_empty() {
        // SAFETY: the slice is valid for writes of its length.
        unsafe { raw::memset(dst.as_mut_ptr(), value, dst.len(), flags) }
        fence_streams(flags);
    }
}

/// `range` within a slice of length `len`, with `slice::copy_within`'s panics.
#[track_caller]
fn checked_range(range: impl RangeBounds<usize>, len: usize) -> Range<usize> {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s
            .checked_add(1)
            .expect("attempted to index slice from after maximum usize"),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e
            .checked_add(1)
            .expect("attempted to index slice up to maximum usize"),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    assert!(
        start <= end,
        "slice index starts at {start} but ends at {end}"
    );
    assert!(
        end <= len,
        "range end index {end} out of range for slice of length {len}"
    );
    start..end
}

/// `buf[range]` for any range type, with indexing's panics.
#[inline]
#[track_caller]
pub(crate) fn sub(buf: &[u8], range: impl RangeBounds<usize>) -> &[u8] {
    &buf[(range.start_bound().cloned(), range.end_bound().cloned())]
}

/// The SFENCE a `NODRAIN` copy or fill may have left out after non-temporal stores (a drained
/// one has fenced already; `NOFLUSH` ones store through the cache).
#[inline(always)]
fn fence_streams(flags: Flags) {
    if flags.contains(Flags::NODRAIN) && !flags.contains(Flags::NOFLUSH) {
        raw::store_fence();
    }
}
