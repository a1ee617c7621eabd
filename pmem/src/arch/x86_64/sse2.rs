//! SSE2 kernels: 16-byte vectors (every x86-64 CPU).

use std::arch::x86_64::{
    __m128i, _mm_loadu_si128, _mm_set1_epi8, _mm_store_si128, _mm_storeu_si128, _mm_stream_si128,
};

use super::small::{copy_le32, fill_le32};

super::kernels::vector_kernels! {
    feature = "sse2",
    vec = 16,
    vector = __m128i,
    loadu = _mm_loadu_si128,
    storeu = _mm_storeu_si128,
    store = _mm_store_si128,
    stream = _mm_stream_si128,
    splat = |c| _mm_set1_epi8(c as i8),
    small_copy = copy_le32,
    small_fill = fill_le32,
}
