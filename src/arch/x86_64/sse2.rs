//! Non-temporal copy and set with SSE2 16-byte streaming stores (every x86-64 CPU has SSE2).
//!
//! Shape shared by every NT kernel: a temporal head up to the first 16-byte-aligned destination
//! byte, a body of streaming stores, a temporal tail; head and tail are flushed with the given
//! flush function, the body bypasses the cache. No fence: the caller drains.

use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_set1_epi8, _mm_stream_si128};

use crate::memops::generic::{copy_backward, copy_forward, fill, must_copy_backward};
use crate::memops::FlushFn;

const VEC: usize = 16;

/// Bytes from `dst` to the next multiple of VEC, at most `len`.
#[inline(always)]
fn head_len(dst: *const u8, len: usize) -> usize {
    ((VEC - (dst as usize % VEC)) % VEC).min(len)
}

/// # Safety
/// Both ranges valid (they may overlap); the CPU has SSE2.
#[target_feature(enable = "sse2")]
pub unsafe fn memmove_nt(dst: *mut u8, src: *const u8, len: usize, flush: FlushFn) {
    if must_copy_backward(dst, src, len) {
        // SAFETY: forwarded.
        unsafe { memmove_nt_backward(dst, src, len, flush) }
    } else {
        // SAFETY: forwarded.
        unsafe { memmove_nt_forward(dst, src, len, flush) }
    }
}

#[target_feature(enable = "sse2")]
unsafe fn memmove_nt_forward(dst: *mut u8, src: *const u8, len: usize, flush: FlushFn) {
    let head = head_len(dst, len);
    let body = (len - head) / VEC * VEC;
    let tail = len - head - body;
    // SAFETY: head + body + tail == len, so every access stays inside the caller's ranges;
    // ascending order is overlap-safe for dst <= src (each vector is loaded before it's stored).
    unsafe {
        copy_forward(dst, src, head);
        flush(dst, head);
        let (d, s) = (dst.add(head), src.add(head));
        let mut i = 0;
        while i < body {
            let v = _mm_loadu_si128(s.add(i) as *const __m128i);
            _mm_stream_si128(d.add(i) as *mut __m128i, v);
            i += VEC;
        }
        copy_forward(d.add(body), s.add(body), tail);
        flush(d.add(body), tail);
    }
}

#[target_feature(enable = "sse2")]
unsafe fn memmove_nt_backward(dst: *mut u8, src: *const u8, len: usize, flush: FlushFn) {
    let head = head_len(dst, len);
    let body = (len - head) / VEC * VEC;
    let tail = len - head - body;
    // SAFETY: as in the forward copy, in descending order, which is overlap-safe for dst > src.
    unsafe {
        let (d, s) = (dst.add(head), src.add(head));
        copy_backward(d.add(body), s.add(body), tail);
        flush(d.add(body), tail);
        let mut i = body;
        while i > 0 {
            i -= VEC;
            let v = _mm_loadu_si128(s.add(i) as *const __m128i);
            _mm_stream_si128(d.add(i) as *mut __m128i, v);
        }
        copy_backward(dst, src, head);
        flush(dst, head);
    }
}

/// # Safety
/// The range is valid for writes; the CPU has SSE2.
#[target_feature(enable = "sse2")]
pub unsafe fn memset_nt(dst: *mut u8, c: u8, len: usize, flush: FlushFn) {
    let head = head_len(dst, len);
    let body = (len - head) / VEC * VEC;
    let tail = len - head - body;
    // SAFETY: head + body + tail == len.
    unsafe {
        fill(dst, c, head);
        flush(dst, head);
        let d = dst.add(head);
        let v = _mm_set1_epi8(c as i8);
        let mut i = 0;
        while i < body {
            _mm_stream_si128(d.add(i) as *mut __m128i, v);
            i += VEC;
        }
        fill(d.add(body), c, tail);
        flush(d.add(body), tail);
    }
}
