//! AVX-512F kernels: 64-byte vectors, one cache line per store.

use std::arch::x86_64::{
    __m256i, __m512i, _mm256_loadu_si256, _mm256_set1_epi8, _mm256_storeu_si256,
    _mm512_loadu_si512, _mm512_set1_epi8, _mm512_storeu_si512, _mm512_stream_si512,
};

use super::small::{copy_le32, fill_le32};

/// Up to one vector: two overlapping 32-byte vectors, else the SSE2 cascade (loads first).
///
/// # Safety
/// n <= 64; both ranges valid (may overlap); the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn copy_le64(d: *mut u8, s: *const u8, n: usize) {
    // SAFETY: accesses stay in [0, n).
    unsafe {
        if n > 32 {
            let a = _mm256_loadu_si256(s as *const __m256i);
            let b = _mm256_loadu_si256(s.add(n - 32) as *const __m256i);
            _mm256_storeu_si256(d as *mut __m256i, a);
            _mm256_storeu_si256(d.add(n - 32) as *mut __m256i, b);
        } else {
            copy_le32(d, s, n);
        }
    }
}

/// # Safety
/// n <= 64; the range is valid for writes; the CPU has AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn fill_le64(d: *mut u8, c: u8, n: usize) {
    // SAFETY: stores stay in [0, n).
    unsafe {
        if n > 32 {
            let v = _mm256_set1_epi8(c as i8);
            _mm256_storeu_si256(d as *mut __m256i, v);
            _mm256_storeu_si256(d.add(n - 32) as *mut __m256i, v);
        } else {
            fill_le32(d, c, n);
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
    small_copy = copy_le64,
    small_fill = fill_le64,
}
