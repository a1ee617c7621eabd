//! SSE2 kernels: 16-byte vectors (every x86-64 CPU).

use std::arch::x86_64::{
    __m128i, _mm_loadu_si128, _mm_set1_epi8, _mm_storeu_si128, _mm_stream_si128,
};

use super::small::{copy_le32, fill_le32};

/// Below one vector: the SSE2/scalar cascade.
#[inline(always)]
unsafe fn small_copy(d: *mut u8, s: *const u8, n: usize) {
    // SAFETY: n < 16 here; forwarded caller contract.
    unsafe { copy_le32(d, s, n) }
}

#[inline(always)]
unsafe fn small_fill(d: *mut u8, c: u8, n: usize) {
    // SAFETY: as above.
    unsafe { fill_le32(d, c, n) }
}

super::kernels::vector_kernels! {
    feature = "sse2",
    vec = 16,
    vector = __m128i,
    loadu = _mm_loadu_si128,
    storeu = _mm_storeu_si128,
    stream = _mm_stream_si128,
    splat = |c| _mm_set1_epi8(c as i8),
    small_copy = small_copy,
    small_fill = small_fill,
}
