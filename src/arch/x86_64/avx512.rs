//! AVX-512F kernels: 64-byte vectors, one cache line per store.

use std::arch::x86_64::{
    __m512i, _mm512_loadu_si512, _mm512_set1_epi8, _mm512_storeu_si512, _mm512_stream_si512,
};

use super::avx2::{copy_le64, fill_le64};

/// Up to 128 bytes: two overlapping 64-byte vectors, else the AVX2 cascade (loads first).
///
/// # Safety
/// n <= 128; both ranges valid (may overlap); the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn copy_le128(d: *mut u8, s: *const u8, n: usize) {
    // SAFETY: accesses stay in [0, n).
    unsafe {
        if n > 64 {
            let a = _mm512_loadu_si512(s as *const __m512i);
            let b = _mm512_loadu_si512(s.add(n - 64) as *const __m512i);
            _mm512_storeu_si512(d as *mut __m512i, a);
            _mm512_storeu_si512(d.add(n - 64) as *mut __m512i, b);
        } else {
            copy_le64(d, s, n);
        }
    }
}

/// # Safety
/// n <= 128; the range is valid for writes; the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn fill_le128(d: *mut u8, c: u8, n: usize) {
    // SAFETY: stores stay in [0, n).
    unsafe {
        if n > 64 {
            let v = _mm512_set1_epi8(c as i8);
            _mm512_storeu_si512(d as *mut __m512i, v);
            _mm512_storeu_si512(d.add(n - 64) as *mut __m512i, v);
        } else {
            fill_le64(d, c, n);
        }
    }
}

super::kernels::vector_kernels! {
    feature = "avx512f",
    vec = 64,
    vector = __m512i,
    loadu = _mm512_loadu_si512,
    storeu = _mm512_storeu_si512,
    stream = _mm512_stream_si512,
    splat = |c| _mm512_set1_epi8(c as i8),
    small_copy = copy_le128,
    small_fill = fill_le128,
}
