//! AVX2 kernels: 32-byte vectors.

use std::arch::x86_64::{
    __m256i, _mm256_loadu_si256, _mm256_set1_epi8, _mm256_store_si256, _mm256_storeu_si256,
    _mm256_stream_si256,
};

use super::small::{copy_le32, fill_le32};

/// Up to 64 bytes: two overlapping 32-byte vectors, else the SSE2 cascade (loads first).
/// The small pieces of the 64-byte-vector kernels (AVX-512 has no cheaper way to move them).
///
/// # Safety
/// n <= 64; both ranges valid (may overlap); the CPU has AVX2.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) unsafe fn copy_le64(d: *mut u8, s: *const u8, n: usize) {
    // SAFETY: accesses stay in [0, n); both loads precede both stores.
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
/// n <= 64; the range is valid for writes; the CPU has AVX2.
#[target_feature(enable = "avx2")]
#[inline]
pub(super) unsafe fn fill_le64(d: *mut u8, c: u8, n: usize) {
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
    feature = "avx2",
    vec = 32,
    vector = __m256i,
    loadu = _mm256_loadu_si256,
    storeu = _mm256_storeu_si256,
    store = _mm256_store_si256,
    stream = _mm256_stream_si256,
    splat = |c| _mm256_set1_epi8(c as i8),
    small_copy = copy_le32,
    small_fill = fill_le32,
}

/// The AVX-512 kernels' shape (64-byte vectors: one cache line per store, four per unrolled
/// block, `copy_le64` pieces) run on AVX2, each "vector" a pair of 32-byte ones: how the tests
/// exercise every length, alignment and overlap case of `avx512.rs`, but the instructions
/// themselves, on CPUs without AVX-512.
#[cfg(test)]
pub mod wide64 {
    use std::arch::x86_64::{
        __m256i, _mm256_loadu_si256, _mm256_set1_epi8, _mm256_storeu_si256, _mm256_stream_si256,
    };

    use super::{copy_le64, fill_le64};

    #[derive(Clone, Copy)]
    pub struct Pair(__m256i, __m256i);

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn loadu(p: *const Pair) -> Pair {
        let p = p as *const __m256i;
        // SAFETY: the caller's 64 bytes at p are readable.
        unsafe { Pair(_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1))) }
    }

    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn storeu(p: *mut Pair, v: Pair) {
        let p = p as *mut __m256i;
        // SAFETY: the caller's 64 bytes at p are writable.
        unsafe {
            _mm256_storeu_si256(p, v.0);
            _mm256_storeu_si256(p.add(1), v.1);
        }
    }

    /// Like `_mm512_store_si512`, demands 64-byte alignment.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn store(p: *mut Pair, v: Pair) {
        assert_eq!(
            p as usize % 64,
            0,
            "64-byte aligned store at an unaligned address"
        );
        // SAFETY: the caller's 64 bytes at p are writable.
        unsafe { storeu(p, v) }
    }

    /// Like `_mm512_stream_si512`, demands 64-byte alignment.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn stream(p: *mut Pair, v: Pair) {
        assert_eq!(p as usize % 64, 0, "64-byte stream at an unaligned address");
        let p = p as *mut __m256i;
        // SAFETY: the caller's 64 bytes at p are writable and 32-byte aligned.
        unsafe {
            _mm256_stream_si256(p, v.0);
            _mm256_stream_si256(p.add(1), v.1);
        }
    }

    super::super::kernels::vector_kernels! {
        feature = "avx2",
        vec = 64,
        vector = Pair,
        loadu = loadu,
        storeu = storeu,
        store = store,
        stream = stream,
        splat = |c| Pair(_mm256_set1_epi8(c as i8), _mm256_set1_epi8(c as i8)),
        small_copy = copy_le64,
        small_fill = fill_le64,
        narrow_streams = counted_narrow,
    }

    /// The narrowed streams of these kernels: AVX2's loops, each call counted per thread, so
    /// that a test sees which bodies take them (both loops store the same bytes).
    pub mod counted_narrow {
        use std::cell::Cell;

        thread_local! {
            pub static CALLS: Cell<usize> = const { Cell::new(0) };
        }

        /// # Safety
        /// As `avx2::stream_lines_fwd`.
        #[target_feature(enable = "avx2")]
        pub(crate) unsafe fn stream_lines_fwd<const PREFETCH_MAX: usize>(
            d: *mut u8,
            s: *const u8,
            n: usize,
        ) {
            CALLS.with(|c| c.set(c.get() + 1));
            // SAFETY: forwarded.
            unsafe { super::super::stream_lines_fwd::<PREFETCH_MAX>(d, s, n) }
        }

        /// # Safety
        /// As `avx2::stream_lines_bwd`.
        #[target_feature(enable = "avx2")]
        pub(crate) unsafe fn stream_lines_bwd(d: *mut u8, s: *const u8, n: usize) {
            CALLS.with(|c| c.set(c.get() + 1));
            // SAFETY: forwarded.
            unsafe { super::super::stream_lines_bwd(d, s, n) }
        }
    }
}
