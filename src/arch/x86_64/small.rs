//! Copies and fills of at most 32 bytes with SSE2 and scalar moves (baseline x86-64).
//!
//! Each size class loads everything before it stores anything (a first and a last piece that may
//! overlap), so these are memmove-safe in both directions. Every store is at least 8 bytes wide
//! when at least 8 bytes are moved, which keeps PMDK's 8-byte store guarantee.

use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_storeu_si128};

use crate::memops::FlushFn;
use std::ptr::{read_unaligned as rd, write_unaligned as wr};

/// # Safety
/// n <= 32; both ranges valid (may overlap).
#[inline(always)]
pub unsafe fn copy_le32(d: *mut u8, s: *const u8, n: usize) {
    // SAFETY: every access lies in [0, n) of the caller's ranges; loads precede stores.
    unsafe {
        if n >= 16 {
            let a = _mm_loadu_si128(s as *const __m128i);
            let b = _mm_loadu_si128(s.add(n - 16) as *const __m128i);
            _mm_storeu_si128(d as *mut __m128i, a);
            _mm_storeu_si128(d.add(n - 16) as *mut __m128i, b);
        } else if n >= 8 {
            let a = rd(s as *const u64);
            let b = rd(s.add(n - 8) as *const u64);
            wr(d as *mut u64, a);
            wr(d.add(n - 8) as *mut u64, b);
        } else if n >= 4 {
            let a = rd(s as *const u32);
            let b = rd(s.add(n - 4) as *const u32);
            wr(d as *mut u32, a);
            wr(d.add(n - 4) as *mut u32, b);
        } else if n >= 2 {
            let a = rd(s as *const u16);
            let b = rd(s.add(n - 2) as *const u16);
            wr(d as *mut u16, a);
            wr(d.add(n - 2) as *mut u16, b);
        } else if n == 1 {
            *d = *s;
        }
    }
}

/// # Safety
/// n <= 32; the range is valid for writes.
#[inline(always)]
pub unsafe fn fill_le32(d: *mut u8, c: u8, n: usize) {
    let w = u64::from_ne_bytes([c; 8]);
    // SAFETY: every store lies in [0, n).
    unsafe {
        if n >= 16 {
            let v = std::arch::x86_64::_mm_set1_epi8(c as i8);
            _mm_storeu_si128(d as *mut __m128i, v);
            _mm_storeu_si128(d.add(n - 16) as *mut __m128i, v);
        } else if n >= 8 {
            wr(d as *mut u64, w);
            wr(d.add(n - 8) as *mut u64, w);
        } else if n >= 4 {
            wr(d as *mut u32, w as u32);
            wr(d.add(n - 4) as *mut u32, w as u32);
        } else if n >= 2 {
            wr(d as *mut u16, w as u16);
            wr(d.add(n - 2) as *mut u16, w as u16);
        } else if n == 1 {
            *d = c;
        }
    }
}

/// Copies the edge (n < 64 bytes, next to a streamed body) of a non-temporal copy with ordinary
/// stores and writes its line back. Streaming a partial line is slower: a partly filled
/// write-combining buffer drains as several small bus writes (measured: 256-byte misaligned
/// copies took 2.5x longer with 8-byte MOVNTI edges).
///
/// # Safety
/// Both ranges valid; loads precede stores, so any overlap is fine.
#[inline(always)]
pub unsafe fn nt_copy_edge(
    d: *mut u8,
    s: *const u8,
    n: usize,
    copy: unsafe fn(*mut u8, *const u8, usize),
    flush: FlushFn,
) {
    if n > 0 {
        // SAFETY: forwarded caller contract.
        unsafe {
            copy(d, s, n);
            flush(d, n);
        }
    }
}

/// Fills the edge of a non-temporal fill like `nt_copy_edge`.
///
/// # Safety
/// The range is valid for writes.
#[inline(always)]
pub unsafe fn nt_fill_edge(
    d: *mut u8,
    c: u8,
    n: usize,
    fill: unsafe fn(*mut u8, u8, usize),
    flush: FlushFn,
) {
    if n > 0 {
        // SAFETY: forwarded caller contract.
        unsafe {
            fill(d, c, n);
            flush(d, n);
        }
    }
}
