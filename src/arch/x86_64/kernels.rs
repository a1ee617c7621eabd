//! One kernel shape, instantiated per instruction set (sse2.rs, avx2.rs, avx512.rs).
//!
//! `vector_kernels!` expands, inside a module, to the four `MemKernels` functions for a vector
//! width `VEC` and that ISA's load/store/stream/splat, all compiled with its target feature:
//! * `memmove_nt` / `memset_nt`: an ordinary-store head up to the first VEC-aligned destination
//!   byte, a body of VEC-wide streaming stores (4 per iteration), an ordinary-store tail; head
//!   and tail are flushed; no fence;
//! * `memmove_temporal` / `memset_temporal`: vector loads/stores in blocks of `BLOCK` bytes, each
//!   block flushed right after it is written, while its lines are still in cache.
//!
//! Copies run backwards when the destination lies inside the source. Pieces shorter than a
//! vector go through `small_copy`/`small_fill`, which load before they store.

/// Bytes copied between two flush calls in the temporal kernels.
pub(crate) const BLOCK: usize = 4096;

macro_rules! vector_kernels {
    (
        feature = $feature:literal,
        vec = $vec:expr,
        vector = $V:ty,
        loadu = $loadu:path,
        storeu = $storeu:path,
        stream = $stream:path,
        splat = |$c:ident| $splat:expr,
        small_copy = $small_copy:path,
        small_fill = $small_fill:path $(,)?
    ) => {
        use $crate::arch::x86_64::kernels::BLOCK;
        use $crate::memops::generic::must_copy_backward;
        use $crate::memops::FlushFn;

        const VEC: usize = $vec;

        /// The streamed body starts on a cache-line boundary and covers whole lines, for every
        /// VEC: interleaving streaming stores over two half-filled lines (a 32-byte-aligned
        /// but not 64-byte-aligned AVX2 body) cost a third of the bandwidth on misaligned copies.
        const LINE: usize = 64;

        /// Bytes per iteration of the streaming loops: all loads, then all stores, of 256
        /// bytes. Fewer per round trip lets a load wait on the previous round's streaming store
        /// whenever source and destination alias modulo 4 KiB (measured: 0.69x PMDK on a
        /// 64 KiB copy with dst+7/src+3 at 128 bytes per iteration).
        const UNROLL_BYTES: usize = 256;
        const UNROLL: usize = UNROLL_BYTES / VEC;

        /// Bytes from `dst` to the next cache-line boundary, at most `len`.
        #[inline(always)]
        fn head_len(dst: *const u8, len: usize) -> usize {
            ((LINE - (dst as usize % LINE)) % LINE).min(len)
        }

        /// Copies n bytes (any n), ascending; memmove-safe for dst <= src.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn copy_fwd(d: *mut u8, s: *const u8, n: usize) {
            let mut i = 0;
            // SAFETY: i + VEC <= n keeps each vector inside the caller's ranges; each vector is
            // loaded before it is stored; the remainder is below VEC bytes.
            unsafe {
                while i + VEC <= n {
                    let v = $loadu(s.add(i) as *const $V);
                    $storeu(d.add(i) as *mut $V, v);
                    i += VEC;
                }
                $small_copy(d.add(i), s.add(i), n - i);
            }
        }

        /// Copies n bytes (any n), descending; memmove-safe for dst >= src.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn copy_bwd(d: *mut u8, s: *const u8, n: usize) {
            let mut e = n;
            // SAFETY: as in copy_fwd, mirrored.
            unsafe {
                while e >= VEC {
                    e -= VEC;
                    let v = $loadu(s.add(e) as *const $V);
                    $storeu(d.add(e) as *mut $V, v);
                }
                $small_copy(d, s, e);
            }
        }

        /// Fills n bytes (an edge: n < LINE) with ordinary stores.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn fill_small(d: *mut u8, c: u8, n: usize) {
            let $c = c;
            let v = $splat;
            let mut i = 0;
            // SAFETY: stores stay in [0, n).
            unsafe {
                while i + VEC <= n {
                    $storeu(d.add(i) as *mut $V, v);
                    i += VEC;
                }
                $small_fill(d.add(i), c, n - i);
            }
        }

        /// # Safety
        /// Both ranges valid (may overlap); the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memmove_temporal(dst: *mut u8, src: *const u8, len: usize, flush: FlushFn) {
            // SAFETY: blocks partition [0, len); direction chosen for the overlap.
            unsafe {
                if len <= VEC {
                    $small_copy(dst, src, len);
                    flush(dst, len);
                } else if must_copy_backward(dst, src, len) {
                    let mut end = len;
                    while end > 0 {
                        let start = end.saturating_sub(BLOCK);
                        copy_bwd(dst.add(start), src.add(start), end - start);
                        flush(dst.add(start), end - start);
                        end = start;
                    }
                } else {
                    let mut start = 0;
                    while start < len {
                        let n = BLOCK.min(len - start);
                        copy_fwd(dst.add(start), src.add(start), n);
                        flush(dst.add(start), n);
                        start += n;
                    }
                }
            }
        }

        /// # Safety
        /// The range is valid for writes; the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memset_temporal(dst: *mut u8, c: u8, len: usize, flush: FlushFn) {
            let $c = c;
            let v = $splat;
            // SAFETY: stores stay inside [0, len).
            unsafe {
                let mut start = 0;
                while start < len {
                    let n = BLOCK.min(len - start);
                    let d = dst.add(start);
                    let mut i = 0;
                    while i + VEC <= n {
                        $storeu(d.add(i) as *mut $V, v);
                        i += VEC;
                    }
                    $small_fill(d.add(i), c, n - i);
                    flush(d, n);
                    start += n;
                }
            }
        }

        /// # Safety
        /// Both ranges valid (may overlap); the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memmove_nt(dst: *mut u8, src: *const u8, len: usize, flush: FlushFn) {
            use $crate::arch::x86_64::small::nt_copy_edge;
            let head = head_len(dst, len);
            let body = (len - head) / LINE * LINE;
            let tail = len - head - body;
            // SAFETY: head + body + tail == len. Ascending order is overlap-safe for dst <= src
            // and descending for dst > src: each piece is loaded before it is stored, and a
            // later piece's source was not overwritten by an earlier piece's stores.
            unsafe {
                let (d, s) = (dst.add(head), src.add(head));
                if must_copy_backward(dst, src, len) {
                    nt_copy_edge(d.add(body), s.add(body), tail, copy_bwd, flush);
                    let mut i = body;
                    while i >= UNROLL_BYTES {
                        i -= UNROLL_BYTES;
                        let mut v = [$loadu(s.add(i) as *const $V); UNROLL];
                        for (k, slot) in v.iter_mut().enumerate().skip(1) {
                            *slot = $loadu(s.add(i + k * VEC) as *const $V);
                        }
                        for (k, x) in v.into_iter().enumerate() {
                            $stream(d.add(i + k * VEC) as *mut $V, x);
                        }
                    }
                    while i > 0 {
                        i -= VEC;
                        $stream(d.add(i) as *mut $V, $loadu(s.add(i) as *const $V));
                    }
                    nt_copy_edge(dst, src, head, copy_bwd, flush);
                } else {
                    nt_copy_edge(dst, src, head, copy_fwd, flush);
                    let mut i = 0;
                    while i + UNROLL_BYTES <= body {
                        let mut v = [$loadu(s.add(i) as *const $V); UNROLL];
                        for (k, slot) in v.iter_mut().enumerate().skip(1) {
                            *slot = $loadu(s.add(i + k * VEC) as *const $V);
                        }
                        for (k, x) in v.into_iter().enumerate() {
                            $stream(d.add(i + k * VEC) as *mut $V, x);
                        }
                        i += UNROLL_BYTES;
                    }
                    while i < body {
                        $stream(d.add(i) as *mut $V, $loadu(s.add(i) as *const $V));
                        i += VEC;
                    }
                    nt_copy_edge(d.add(body), s.add(body), tail, copy_fwd, flush);
                }
            }
        }

        /// # Safety
        /// The range is valid for writes; the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memset_nt(dst: *mut u8, c: u8, len: usize, flush: FlushFn) {
            use $crate::arch::x86_64::small::nt_fill_edge;
            let head = head_len(dst, len);
            let body = (len - head) / LINE * LINE;
            let tail = len - head - body;
            let $c = c;
            let v = $splat;
            // SAFETY: head + body + tail == len; the body is VEC-aligned for the streams.
            unsafe {
                nt_fill_edge(dst, c, head, fill_small, flush);
                let d = dst.add(head);
                let mut i = 0;
                while i + 4 * VEC <= body {
                    $stream(d.add(i) as *mut $V, v);
                    $stream(d.add(i + VEC) as *mut $V, v);
                    $stream(d.add(i + 2 * VEC) as *mut $V, v);
                    $stream(d.add(i + 3 * VEC) as *mut $V, v);
                    i += 4 * VEC;
                }
                while i < body {
                    $stream(d.add(i) as *mut $V, v);
                    i += VEC;
                }
                nt_fill_edge(d.add(body), c, tail, fill_small, flush);
            }
        }
    };
}

pub(crate) use vector_kernels;
