//! AVX2 kernels: 32-byte vectors.

use std::arch::x86_64::{
    __m256i, _mm256_loadu_si256, _mm256_set1_epi8, _mm256_storeu_si256, _mm256_stream_si256,
};

use super::small::{copy_le32, fill_le32};

super::kernels::vector_kernels! {
    feature = "avx2",
    vec = 32,
    vector = __m256i,
    loadu = _mm256_loadu_si256,
    storeu = _mm256_storeu_si256,
    stream = _mm256_stream_si256,
    splat = |c| _mm256_set1_epi8(c as i8),
    small_copy = copy_le32,
    small_fill = fill_le32,
}
