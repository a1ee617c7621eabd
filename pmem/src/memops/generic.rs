//! Portable copy and set kernels with ordinary (temporal) stores.
//!
//! A portable reference kernel set (`tests::GENERIC`) the tests run beside the ISA ones. Stores
//! are 8 bytes wide wherever 8 bytes remain, so an 8-byte-aligned destination with an
//! 8-byte-multiple length is written with 8-byte stores only (PMDK's atomicity guarantee for
//! such stores).

use std::ptr::{read_unaligned, write_unaligned};

use crate::arch::must_copy_backward;
use crate::arch::{Edges, WriteBack};

/// memmove semantics for [dst, dst+len) <- [src, src+len), ascending addresses.
///
/// # Safety
/// Both ranges valid; if they overlap, `dst <= src` (an ascending copy never reads a byte it
/// already overwrote then).
#[inline]
pub unsafe fn copy_forward(dst: *mut u8, src: *const u8, len: usize) {
    let mut i = 0;
    while i + 8 <= len {
        // SAFETY: i+8 <= len keeps both 8-byte accesses inside the caller's ranges; the whole
        // word is read before it is written, so overlap with dst <= src is fine.
        unsafe {
            let w = read_unaligned(src.add(i) as *const u64);
            write_unaligned(dst.add(i) as *mut u64, w);
        }
        i += 8;
    }
    while i < len {
        // SAFETY: i < len.
        unsafe { *dst.add(i) = *src.add(i) };
        i += 1;
    }
}

/// memmove semantics, descending addresses (for `dst > src` overlaps).
///
/// # Safety
/// Both ranges valid; if they overlap, `dst >= src`.
#[inline]
pub unsafe fn copy_backward(dst: *mut u8, src: *const u8, len: usize) {
    let mut end = len;
    while end >= 8 {
        end -= 8;
        // SAFETY: end+8 <= len.
        unsafe {
            let w = read_unaligned(src.add(end) as *const u64);
            write_unaligned(dst.add(end) as *mut u64, w);
        }
    }
    while end > 0 {
        end -= 1;
        // SAFETY: end < len.
        unsafe { *dst.add(end) = *src.add(end) };
    }
}

/// memmove semantics in whichever direction the overlap needs.
///
/// # Safety
/// Both ranges valid.
#[inline]
pub unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) {
    if must_copy_backward(dst, src, len) {
        // SAFETY: caller's ranges; direction chosen for the overlap.
        unsafe { copy_backward(dst, src, len) }
    } else {
        // SAFETY: as above.
        unsafe { copy_forward(dst, src, len) }
    }
}

/// Fills [dst, dst+len) with `c`.
///
/// # Safety
/// The range is valid for writes.
#[inline]
pub unsafe fn fill(dst: *mut u8, c: u8, len: usize) {
    let word = u64::from_ne_bytes([c; 8]);
    let mut i = 0;
    while i + 8 <= len {
        // SAFETY: i+8 <= len.
        unsafe { write_unaligned(dst.add(i) as *mut u64, word) };
        i += 8;
    }
    while i < len {
        // SAFETY: i < len.
        unsafe { *dst.add(i) = c };
        i += 1;
    }
}

/// Temporal copy, then write back every line it touched.
///
/// # Safety
/// Both ranges valid; `flush` may be called on the destination.
pub unsafe fn memmove_temporal(dst: *mut u8, src: *const u8, len: usize, flush: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe {
        copy(dst, src, len);
        flush.write_back(dst, len);
    }
}

/// Temporal fill, then write back every line it touched.
///
/// # Safety
/// The range is valid for writes.
pub unsafe fn memset_temporal(dst: *mut u8, c: u8, len: usize, flush: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe {
        fill(dst, c, len);
        flush.write_back(dst, len);
    }
}

/// The portable "non-temporal" kernel: there is no portable streaming store, so the temporal
/// one (every edge is then written through the cache).
///
/// # Safety
/// As `memmove_temporal`.
pub unsafe fn memmove_nt(dst: *mut u8, src: *const u8, len: usize, flush: WriteBack, _: Edges) {
    // SAFETY: forwarded.
    unsafe { memmove_temporal(dst, src, len, flush) }
}

/// # Safety
/// As `memset_temporal`.
pub unsafe fn memset_nt(dst: *mut u8, c: u8, len: usize, flush: WriteBack, _: Edges) {
    // SAFETY: forwarded.
    unsafe { memset_temporal(dst, c, len, flush) }
}
