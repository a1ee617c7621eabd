//! The copy and set kernels of the architectures without streaming stores (Arm's `stnp` and
//! RISC-V's `ntl` are hints), so the "non-temporal" kernels are the temporal ones.
//!
//! `generic` (the default, as PMDK's memops_generic.c): every 8-byte-aligned word of the
//! destination is written by one 8-byte store, the guarantee libpmemobj relies on (glibc's
//! memmove makes no such promise: vector, overlapping or byte stores), and each block of lines
//! is written back as soon as it is stored. `libc` (`PMEM_NO_GENERIC_MEMCPY=1`, as PMDK): the
//! library memmove/memset, then one write-back of the range. On x86-64 the generic set is the
//! tests' portable reference beside the ISA kernels.

#[cfg(target_arch = "x86_64")]
use crate::arch::Edges;
use crate::arch::{must_copy_backward, WriteBack};
#[cfg(not(target_arch = "x86_64"))]
use std::ptr;
use std::ptr::read_unaligned;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How a streaming call writes its partial-line edges: both are the same stores here.
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edges {
    // The engine names both; no class here asks for streamed edges.
    #[allow(dead_code)]
    Stream,
    Cached,
}

/// Source prefetching: none (the cores' own prefetchers follow these simple loops).
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefetch {
    Off,
}

#[cfg(not(target_arch = "x86_64"))]
impl std::fmt::Display for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("none")
    }
}

/// The generic kernels store and write back in blocks that end on a multiple of this, so a
/// line (64 or 128 bytes; any power of two up to this) is written back once, whole.
const BLOCK: usize = 256;

/// One 8-byte store of `v` at `dst`.
///
/// # Safety
/// `dst` is 8-byte aligned and valid for 8 bytes of writes.
#[inline(always)]
unsafe fn store8(dst: *mut u8, v: u64) {
    // SAFETY: the caller's alignment and validity are AtomicU64::from_ptr's requirements. An
    // atomic store is single-copy atomic: never split, nor turned into a library call.
    unsafe { AtomicU64::from_ptr(dst.cast::<u64>()) }.store(v, Relaxed);
}

/// The bytes from `p` to the next multiple of 8 (0-7), exactly (`align_offset` may give up).
#[inline(always)]
fn to_word_boundary(p: *const u8) -> usize {
    (p as usize).wrapping_neg() & 7
}

/// Ascending copy: bytes up to dst's first 8-byte boundary, 8-byte words, bytes.
///
/// # Safety
/// Both ranges valid; if they overlap, `dst <= src` (each word is read before it is written).
#[inline(always)]
unsafe fn copy_up(dst: *mut u8, src: *const u8, len: usize) {
    let head = to_word_boundary(dst).min(len);
    let mut i = 0;
    // SAFETY (every access below): i (+8) <= len keeps it inside the caller's ranges, and
    // from `head` on dst+i is 8-byte aligned.
    while i < head {
        unsafe { *dst.add(i) = *src.add(i) };
        i += 1;
    }
    while i + 8 <= len {
        unsafe { store8(dst.add(i), read_unaligned(src.add(i).cast::<u64>())) };
        i += 8;
    }
    while i < len {
        unsafe { *dst.add(i) = *src.add(i) };
        i += 1;
    }
}

/// Descending copy, the mirror of `copy_up`, for overlaps with `dst > src`.
///
/// # Safety
/// Both ranges valid; if they overlap, `dst >= src`.
#[inline(always)]
unsafe fn copy_down(dst: *mut u8, src: *const u8, len: usize) {
    let tail = ((dst as usize).wrapping_add(len) & 7).min(len);
    let mut end = len;
    // SAFETY (every access below): end stays within [0, len]; below len-tail, dst+end is
    // 8-byte aligned.
    while end > len - tail {
        end -= 1;
        unsafe { *dst.add(end) = *src.add(end) };
    }
    while end >= 8 {
        end -= 8;
        unsafe { store8(dst.add(end), read_unaligned(src.add(end).cast::<u64>())) };
    }
    while end > 0 {
        end -= 1;
        unsafe { *dst.add(end) = *src.add(end) };
    }
}

/// Fills with `c`: bytes to the first 8-byte boundary, 8-byte words, bytes.
///
/// # Safety
/// [dst, dst+len) is valid for writes.
#[inline(always)]
unsafe fn fill(dst: *mut u8, c: u8, len: usize) {
    let word = u64::from_ne_bytes([c; 8]);
    let head = to_word_boundary(dst).min(len);
    let mut i = 0;
    // SAFETY (every access below): as in `copy_up`.
    while i < head {
        unsafe { *dst.add(i) = c };
        i += 1;
    }
    while i + 8 <= len {
        unsafe { store8(dst.add(i), word) };
        i += 8;
    }
    while i < len {
        unsafe { *dst.add(i) = c };
        i += 1;
    }
}

/// The length of the block at `at` (at most `left` bytes): up to the next multiple of BLOCK.
#[inline(always)]
fn block_up(at: usize, left: usize) -> usize {
    (BLOCK - at % BLOCK).min(left)
}

/// Generic copy in either direction, each block written back once stored.
///
/// # Safety
/// [dst, dst+len) is valid for writes and [src, src+len) for reads (they may overlap);
/// `flush` is an instruction this CPU has.
pub unsafe fn memmove_generic(dst: *mut u8, src: *const u8, len: usize, flush: WriteBack) {
    if must_copy_backward(dst, src, len) {
        let mut end = len;
        while end > 0 {
            // The block below `end`, starting on a multiple of BLOCK (or at dst).
            let n = ((dst as usize + end - 1) % BLOCK + 1).min(end);
            end -= n;
            // SAFETY: [end, end+n) lies inside the caller's ranges; dst > src.
            unsafe {
                copy_down(dst.add(end), src.add(end), n);
                flush.write_back(dst.add(end), n);
            }
        }
    } else {
        let mut i = 0;
        while i < len {
            let n = block_up(dst as usize + i, len - i);
            // SAFETY: [i, i+n) lies inside the caller's ranges; dst <= src or no overlap.
            unsafe {
                copy_up(dst.add(i), src.add(i), n);
                flush.write_back(dst.add(i), n);
            }
            i += n;
        }
    }
}

/// Generic fill, each block written back once stored.
///
/// # Safety
/// [dst, dst+len) is valid for writes; `flush` is an instruction this CPU has.
pub unsafe fn memset_generic(dst: *mut u8, c: u8, len: usize, flush: WriteBack) {
    let mut i = 0;
    while i < len {
        let n = block_up(dst as usize + i, len - i);
        // SAFETY: [i, i+n) lies inside the caller's range.
        unsafe {
            fill(dst.add(i), c, n);
            flush.write_back(dst.add(i), n);
        }
        i += n;
    }
}

/// # Safety
/// As `memmove_generic`.
pub unsafe fn memmove_generic_nt(d: *mut u8, s: *const u8, n: usize, f: WriteBack, _: Edges) {
    // SAFETY: forwarded.
    unsafe { memmove_generic(d, s, n, f) }
}

/// # Safety
/// As `memset_generic`.
pub unsafe fn memset_generic_nt(d: *mut u8, c: u8, n: usize, f: WriteBack, _: Edges) {
    // SAFETY: forwarded.
    unsafe { memset_generic(d, c, n, f) }
}

/// # Safety
/// As `memmove_generic`.
pub unsafe fn memmove_generic_plain(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: forwarded; nothing is written back.
    unsafe { memmove_generic(dst, src, len, WriteBack::None) }
}

/// # Safety
/// As `memset_generic`.
pub unsafe fn memset_generic_plain(dst: *mut u8, c: u8, len: usize) {
    // SAFETY: forwarded; nothing is written back.
    unsafe { memset_generic(dst, c, len, WriteBack::None) }
}

/// # Safety
/// [dst, dst+len) is valid for writes and [src, src+len) for reads; they may overlap.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn memmove_libc_plain(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: forwarded caller contract; `ptr::copy` allows overlap.
    unsafe { ptr::copy(src, dst, len) }
}

/// # Safety
/// [dst, dst+len) is valid for writes.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn memset_libc_plain(dst: *mut u8, c: u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { ptr::write_bytes(dst, c, len) }
}

/// # Safety
/// As `memmove_libc_plain`; `flush` is an instruction this CPU has.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn memmove_libc(dst: *mut u8, src: *const u8, len: usize, flush: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe {
        ptr::copy(src, dst, len);
        flush.write_back(dst, len);
    }
}

/// # Safety
/// As `memset_libc_plain`; `flush` is an instruction this CPU has.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn memset_libc(dst: *mut u8, c: u8, len: usize, flush: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe {
        ptr::write_bytes(dst, c, len);
        flush.write_back(dst, len);
    }
}

/// # Safety
/// As `memmove_libc`.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn memmove_libc_nt(d: *mut u8, s: *const u8, n: usize, f: WriteBack, _: Edges) {
    // SAFETY: forwarded.
    unsafe { memmove_libc(d, s, n, f) }
}

/// # Safety
/// As `memset_libc`.
#[cfg(not(target_arch = "x86_64"))]
pub unsafe fn memset_libc_nt(d: *mut u8, c: u8, n: usize, f: WriteBack, _: Edges) {
    // SAFETY: forwarded.
    unsafe { memset_libc(d, c, n, f) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_end_on_block_multiples() {
        assert_eq!(block_up(0, 1000), BLOCK);
        assert_eq!(block_up(BLOCK - 8, 1000), 8);
        assert_eq!(block_up(3, 10), 10);
    }

    #[test]
    fn copies_in_both_directions_and_fills() {
        let mut buf: Vec<u8> = (0..2048u32).map(|i| i as u8).collect();
        let want: Vec<u8> = {
            let mut w = buf.clone();
            w.copy_within(5..1500, 300);
            w
        };
        // SAFETY: both ranges lie inside buf.
        unsafe { memmove_generic_plain(buf.as_mut_ptr().add(300), buf.as_ptr().add(5), 1495) };
        assert_eq!(buf, want);
        let mut want = buf.clone();
        want.copy_within(700..2048, 3);
        // SAFETY: as above.
        unsafe { memmove_generic_plain(buf.as_mut_ptr().add(3), buf.as_ptr().add(700), 1348) };
        assert_eq!(buf, want);
        // SAFETY: inside buf.
        unsafe { memset_generic_plain(buf.as_mut_ptr().add(9), 0xa5, 1000) };
        assert!(buf[9..1009].iter().all(|&b| b == 0xa5));
        assert_eq!(buf[8], want[8]);
        assert_eq!(buf[1009], want[1009]);
    }
}
