//! AVX-512F kernels: 64-byte vectors, one cache line per store.

use std::arch::x86_64::{
    __m512i, _mm512_loadu_si512, _mm512_set1_epi8, _mm512_store_si512, _mm512_storeu_si512,
    _mm512_stream_si512,
};

use super::avx2::{copy_le64, fill_le64};

super::kernels::vector_kernels! {
    feature = "avx512f",
    vec = 64,
    vector = __m512i,
    loadu = _mm512_loadu_si512,
    storeu = _mm512_storeu_si512,
    store = _mm512_store_si512,
    stream = _mm512_stream_si512,
    splat = |c| _mm512_set1_epi8(c as i8),
    small_copy = copy_le64,
    small_fill = fill_le64,
    // Long copies may stream 32 bytes at a time (`Strategy::narrow_long_streams`).
    narrow_streams = super::avx2,
}
