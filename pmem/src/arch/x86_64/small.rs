//! Baseline x86-64 (SSE2 and scalar) pieces shared by every kernel: copies and fills of at most
//! 32 bytes, and the MOVNTI streams that write small copies and the unaligned edges of
//! non-temporal ones.
//!
//! `copy_le32`/`fill_le32` load everything before they store anything (a first and a last piece
//! that may overlap), so they are memmove-safe in both directions. Every store is at least 8
//! bytes wide when at least 8 bytes are moved, which keeps PMDK's 8-byte store guarantee.

use std::arch::x86_64::{
    __m128i, _mm_loadu_si128, _mm_storeu_si128, _mm_stream_si32, _mm_stream_si64,
};

use super::flush::WriteBack;
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

// Non-temporal stores of fewer than 64 bytes. They are never mixed with ordinary stores plus a
// write-back of the same line, which on AMD Zen costs several times either alone
// (docs/performance.md). MOVNTI has no alignment requirement, so the odd bytes are covered by
// one more 8-byte (or 4-byte) store that overlaps the previous one. Only a range of 1 to 3
// bytes can't be streamed: it is stored and written back.

/// # Safety
/// [d, d+8) valid for writes.
#[inline(always)]
unsafe fn stream8(d: *mut u8, v: u64) {
    // SAFETY: caller contract; MOVNTI takes any alignment.
    unsafe { _mm_stream_si64(d as *mut i64, v as i64) }
}

/// # Safety
/// [d, d+4) valid for writes.
#[inline(always)]
unsafe fn stream4(d: *mut u8, v: u32) {
    // SAFETY: caller contract; MOVNTI takes any alignment.
    unsafe { _mm_stream_si32(d as *mut i32, v as i32) }
}

/// Streams n bytes (any n) in ascending 8-byte pieces; memmove-safe when dst <= src, or when
/// the ranges don't overlap. An 8-byte-aligned destination and 8-byte-multiple length get
/// aligned 8-byte stores only (PMDK's atomicity guarantee). No fence.
///
/// # Safety
/// Both ranges valid; [d, d+n) mapped for `flush`.
#[inline(always)]
pub unsafe fn stream_copy_fwd(d: *mut u8, s: *const u8, n: usize, flush: WriteBack) {
    // SAFETY: every access lies in [0, n). A store at d+i can only overwrite source bytes below
    // i+8, which are already loaded; the overlapping last piece is loaded before any store.
    unsafe {
        if n >= 8 {
            let last = rd(s.add(n - 8) as *const u64);
            let mut i = 0;
            while i + 8 <= n {
                stream8(d.add(i), rd(s.add(i) as *const u64));
                i += 8;
            }
            if i < n {
                stream8(d.add(n - 8), last);
            }
        } else {
            stream_copy_lt8(d, s, n, flush);
        }
    }
}

/// `stream_copy_fwd` in descending order: memmove-safe when dst >= src.
///
/// # Safety
/// As `stream_copy_fwd`.
#[inline(always)]
pub unsafe fn stream_copy_bwd(d: *mut u8, s: *const u8, n: usize, flush: WriteBack) {
    // SAFETY: the mirror of stream_copy_fwd: a store at d+e only overwrites source bytes above
    // e, already loaded; the overlapping first piece is loaded before any store.
    unsafe {
        if n >= 8 {
            let first = rd(s as *const u64);
            let mut e = n;
            while e >= 8 {
                e -= 8;
                stream8(d.add(e), rd(s.add(e) as *const u64));
            }
            if e > 0 {
                stream8(d, first);
            }
        } else {
            stream_copy_lt8(d, s, n, flush);
        }
    }
}

/// n < 8: two overlapping 4-byte streams, or ordinary stores + write-back below 4 bytes.
///
/// # Safety
/// As `stream_copy_fwd`.
#[inline(always)]
unsafe fn stream_copy_lt8(d: *mut u8, s: *const u8, n: usize, flush: WriteBack) {
    // SAFETY: accesses lie in [0, n); both loads precede both stores.
    unsafe {
        if n >= 4 {
            let a = rd(s as *const u32);
            let b = rd(s.add(n - 4) as *const u32);
            stream4(d, a);
            stream4(d.add(n - 4), b);
        } else if n > 0 {
            copy_le32(d, s, n);
            flush.write_back(d, n);
        }
    }
}

/// Streams n copies of `c` like `stream_copy_fwd`.
///
/// # Safety
/// [d, d+n) valid for writes and mapped for `flush`.
#[inline(always)]
pub unsafe fn stream_fill(d: *mut u8, c: u8, n: usize, flush: WriteBack) {
    let w = u64::from_ne_bytes([c; 8]);
    // SAFETY: every store lies in [0, n).
    unsafe {
        if n >= 8 {
            let mut i = 0;
            while i + 8 <= n {
                stream8(d.add(i), w);
                i += 8;
            }
            if i < n {
                stream8(d.add(n - 8), w);
            }
        } else if n >= 4 {
            stream4(d, w as u32);
            stream4(d.add(n - 4), w as u32);
        } else if n > 0 {
            fill_le32(d, c, n);
            flush.write_back(d, n);
        }
    }
}
