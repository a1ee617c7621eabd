//! One kernel shape, instantiated per instruction set (sse2.rs, avx2.rs, avx512.rs).
//!
//! `vector_kernels!` expands, inside a module, to the six `MemKernels` functions for a vector
//! width `VEC` and that ISA's load/store/stream/splat, all compiled with its target feature:
//! * `memmove_nt` / `memset_nt`: MOVNTI edges up to the first and from the last cache-line
//!   boundary (at least 4 bytes each) around a body of VEC-wide streaming stores, or MOVNTI
//!   streams only when the range is too short for that; nothing is stored temporally except
//!   a whole range of 1-3 bytes, a move's edge whose lines hold source bytes, and every edge
//!   when the caller asks for `Edges::Cached` (all of them written back, inline: see
//!   `WriteBack`); no fence;
//! * `memmove_temporal` / `memset_temporal`: up to 8 vectors at once (all loads first), above
//!   that in blocks of `BLOCK` bytes (a block's loads before its stores), each block written
//!   back right after it is written, while its lines are still in cache;
//! * `memmove_plain` / `memset_plain`: the same ordinary stores in one piece, nothing flushed.
//!
//! Copies run backwards when the destination lies inside the source. Pieces shorter than a
//! vector go through `small_copy`/`small_fill` (n <= VEC), which load before they store.

/// How a non-temporal kernel writes the partial lines at the ends of its range (its edges).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edges {
    /// Streamed with MOVNTI: no line is fetched first, so a drained copy waits the least where
    /// partial-line streams are cheap (`strategy`).
    Stream,
    /// Ordinary stores and a write-back, as PMDK does: memory then only gets whole lines.
    Cached,
}

/// Forward copies shorter than this are loaded right away; prefetching them only adds loads.
pub(crate) const PREFETCH_MIN: usize = 1024;

/// Which forward copies prefetch their source ahead: a kernel set's windows, passed to the
/// kernels as their `PREFETCH_MAX` const parameters (`stream_max` for streamed bodies,
/// `temporal_max` for temporal blocks), each window starting above `PREFETCH_MIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefetch {
    /// Streamed bodies and temporal blocks up to 256 KiB; longer ones are left to the
    /// hardware prefetcher.
    Window,
    /// Streamed bodies of any length, temporal blocks up to 256 KiB.
    AllStreams,
    /// Streamed bodies of any length, temporal blocks never: PMDK's SSE2 and AVX kernels.
    Streams,
    /// Nothing: PMDK's AVX-512 kernels.
    Off,
}

impl Prefetch {
    pub const fn stream_max(self) -> usize {
        match self {
            Prefetch::Window => 256 * 1024,
            Prefetch::Streams | Prefetch::AllStreams => usize::MAX,
            Prefetch::Off => 0,
        }
    }

    pub const fn temporal_max(self) -> usize {
        match self {
            Prefetch::Window | Prefetch::AllStreams => 256 * 1024,
            Prefetch::Streams | Prefetch::Off => 0,
        }
    }
}

/// For the dispatch log line.
impl std::fmt::Display for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let k = |n: usize| n / 1024;
        match self {
            Prefetch::Window => {
                let (min, max) = (k(PREFETCH_MIN), k(self.stream_max()));
                write!(f, "streams+temporal {min}K-{max}K")
            }
            Prefetch::AllStreams => {
                let (min, max) = (k(PREFETCH_MIN), k(self.temporal_max()));
                write!(f, "streams from {min}K, temporal {min}K-{max}K")
            }
            Prefetch::Streams => write!(f, "streams from {}K", k(PREFETCH_MIN)),
            Prefetch::Off => f.write_str("none"),
        }
    }
}

/// Where a strategy narrows long streams (`Strategy::narrow_long_streams`): a copy's streamed
/// body of this many bytes or more takes the AVX2 loop in the AVX-512 kernels.
pub(crate) const NARROW_STREAMS_FROM: usize = 32 * 1024;

/// Bytes copied between two flush calls in the temporal kernels: four lines, written back
/// while the next ones are copied; larger blocks were slower (docs/performance.md).
pub(crate) const BLOCK: usize = 256;

const LINE: usize = super::flush::CACHELINE;

/// The end (an offset from `dst`) of the temporal block that starts at offset `start`: at most
/// `BLOCK` bytes, and on a cache-line boundary of the destination unless it is `len`. A block
/// that ended inside a line would have that line written back and then written again by the
/// next block, which must fetch it again: many times slower (docs/performance.md).
#[inline(always)]
pub(crate) fn block_end(dst: *const u8, start: usize, len: usize) -> usize {
    let a = dst as usize;
    // BLOCK > LINE, so the rounded-down end still lies beyond start.
    ((a + start + BLOCK) & !(LINE - 1)).wrapping_sub(a).min(len)
}

/// The start of the temporal block that ends at offset `end`, copying backwards: the mirror of
/// `block_end` (a line boundary of the destination, or 0).
#[inline(always)]
pub(crate) fn block_start(dst: *const u8, end: usize) -> usize {
    let a = dst as usize;
    (a + end)
        .saturating_sub(BLOCK)
        .next_multiple_of(LINE)
        .saturating_sub(a)
}

macro_rules! vector_kernels {
    (
        feature = $feature:literal,
        vec = $vec:expr,
        vector = $V:ty,
        loadu = $loadu:path,
        storeu = $storeu:path,
        store = $store:path,
        stream = $stream:path,
        splat = |$c:ident| $splat:expr,
        small_copy = $small_copy:path,
        small_fill = $small_fill:path
        $(, narrow_streams = $($narrow:ident)::+)? $(,)?
    ) => {
        use $crate::arch::must_copy_backward;
        use $crate::arch::x86_64::flush::WriteBack;
        use $crate::arch::x86_64::kernels::Edges;
        use $crate::arch::x86_64::kernels::{block_end, block_start};
        use $crate::arch::x86_64::small::{stream_copy_bwd, stream_copy_fwd};

        const VEC: usize = $vec;
        /// Vectors in a temporal block (see `copy_fwd`).
        const BLOCK_VECS: usize = $crate::arch::x86_64::kernels::BLOCK / VEC;

        /// The streamed body starts on a cache-line boundary and covers whole lines, for every
        /// VEC: streaming stores interleaved over two half-filled lines (a 32-byte-aligned but
        /// not 64-byte-aligned AVX2 body) lose bandwidth (docs/performance.md).
        const LINE: usize = 64;

        /// Bytes per iteration of the streaming loops: all loads, then all stores, of 256
        /// bytes. Fewer per round trip lets a load wait on the previous round's streaming store
        /// whenever source and destination alias modulo 4 KiB (docs/performance.md).
        const UNROLL_BYTES: usize = 256;
        const UNROLL: usize = UNROLL_BYTES / VEC;

        /// How far ahead of the loads the forward streaming loop prefetches the source
        /// (PMDK's distance).
        const PREFETCH_AHEAD: usize = 4096;
        use $crate::arch::x86_64::kernels::PREFETCH_MIN;

        /// Whether a forward copy of n bytes prefetches its source, below `max` (the upper
        /// end of a `Prefetch` window).
        #[inline(always)]
        fn prefetches(n: usize, max: usize) -> bool {
            n > PREFETCH_MIN && n < max
        }

        /// Prefetches the lines of [p, p + n) into L1.
        #[inline(always)]
        fn prefetch(p: *const u8, n: usize) {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let mut k = 0;
            while k < n {
                // SAFETY: a prefetch never faults, whatever the address.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(k) as *const i8) };
                k += LINE;
            }
        }

        /// Copies n bytes (any n), ascending, `GROUP` vectors at a time, all loaded before
        /// any is stored; memmove-safe for dst <= src.
        ///
        /// One vector per round lets a load wait on the store just before it whenever the two
        /// alias modulo 4 KiB; the temporal kernels take a whole block per round
        /// (`BLOCK_VECS`) for the same reason (docs/performance.md).
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn copy_fwd<const GROUP: usize>(d: *mut u8, s: *const u8, n: usize) {
            let mut i = 0;
            // SAFETY: i + GROUP * VEC <= n keeps each group inside the caller's ranges; a
            // group's stores end below the next group's source (dst <= src); the remainder
            // is below VEC bytes.
            unsafe {
                while i + GROUP * VEC <= n {
                    let mut v = [$loadu(s.add(i) as *const $V); GROUP];
                    for (k, slot) in v.iter_mut().enumerate().skip(1) {
                        *slot = $loadu(s.add(i + k * VEC) as *const $V);
                    }
                    for (k, x) in v.into_iter().enumerate() {
                        $storeu(d.add(i + k * VEC) as *mut $V, x);
                    }
                    i += GROUP * VEC;
                }
                while i + VEC <= n {
                    let v = $loadu(s.add(i) as *const $V);
                    $storeu(d.add(i) as *mut $V, v);
                    i += VEC;
                }
                $small_copy(d.add(i), s.add(i), n - i);
            }
        }

        /// `copy_fwd` descending: memmove-safe for dst >= src.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn copy_bwd<const GROUP: usize>(d: *mut u8, s: *const u8, n: usize) {
            let mut e = n;
            // SAFETY: as in copy_fwd, mirrored.
            unsafe {
                while e >= GROUP * VEC {
                    // Descending inside the group as well (see stream_unrolled).
                    let mut v = [$loadu(s.add(e - VEC) as *const $V); GROUP];
                    for (k, slot) in v.iter_mut().enumerate().skip(1) {
                        *slot = $loadu(s.add(e - (k + 1) * VEC) as *const $V);
                    }
                    for (k, x) in v.into_iter().enumerate() {
                        $storeu(d.add(e - (k + 1) * VEC) as *mut $V, x);
                    }
                    e -= GROUP * VEC;
                }
                while e >= VEC {
                    e -= VEC;
                    let v = $loadu(s.add(e) as *const $V);
                    $storeu(d.add(e) as *mut $V, v);
                }
                $small_copy(d, s, e);
            }
        }

        /// Streams `UNROLL_BYTES` from `s` to the line-aligned `d`: all loads, then all stores,
        /// in ascending address order, or descending for `DESCENDING`. Backward copies take the
        /// descending order, so that every access of theirs runs one way, which measured faster
        /// than ascending blocks walked downwards (docs/performance.md).
        ///
        /// # Safety
        /// [s, s + UNROLL_BYTES) readable, [d, d + UNROLL_BYTES) writable and VEC-aligned.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn stream_unrolled<const DESCENDING: bool>(d: *mut u8, s: *const u8) {
            let at = |k: usize| {
                if DESCENDING {
                    (UNROLL - 1 - k) * VEC
                } else {
                    k * VEC
                }
            };
            // SAFETY: every access lies in [0, UNROLL_BYTES) of the caller's ranges; the
            // streamed addresses are VEC-aligned because d is.
            unsafe {
                let mut v = [$loadu(s.add(at(0)) as *const $V); UNROLL];
                for (k, slot) in v.iter_mut().enumerate().skip(1) {
                    *slot = $loadu(s.add(at(k)) as *const $V);
                }
                for (k, x) in v.into_iter().enumerate() {
                    $stream(d.add(at(k)) as *mut $V, x);
                }
            }
        }

        /// Copies n <= 8 * VEC bytes with every load before any store (overlap-safe both ways).
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn copy_upto_8vec(d: *mut u8, s: *const u8, n: usize) {
            // SAFETY: for n > VEC, the first and the last vectors (pieces that may overlap)
            // all lie in [0, n); every load precedes every store.
            unsafe {
                let ld = |o: usize| $loadu(s.add(o) as *const $V);
                let st = |o: usize, v: $V| $storeu(d.add(o) as *mut $V, v);
                if n <= VEC {
                    $small_copy(d, s, n);
                } else if n <= 2 * VEC {
                    let (a, b) = (ld(0), ld(n - VEC));
                    st(0, a);
                    st(n - VEC, b);
                } else if n <= 4 * VEC {
                    let (a, b) = (ld(0), ld(VEC));
                    let (c, e) = (ld(n - 2 * VEC), ld(n - VEC));
                    st(0, a);
                    st(VEC, b);
                    st(n - 2 * VEC, c);
                    st(n - VEC, e);
                } else {
                    let (a, b, c, e) = (ld(0), ld(VEC), ld(2 * VEC), ld(3 * VEC));
                    let (f, g) = (ld(n - 4 * VEC), ld(n - 3 * VEC));
                    let (h, k) = (ld(n - 2 * VEC), ld(n - VEC));
                    st(0, a);
                    st(VEC, b);
                    st(2 * VEC, c);
                    st(3 * VEC, e);
                    st(n - 4 * VEC, f);
                    st(n - 3 * VEC, g);
                    st(n - 2 * VEC, h);
                    st(n - VEC, k);
                }
            }
        }

        /// Fills n bytes (any n) with ordinary stores.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn fill_any(d: *mut u8, c: u8, n: usize) {
            let $c = c;
            let v = $splat;
            // SAFETY: stores stay in [0, n); for n > VEC the last vector ends at n.
            unsafe {
                if n <= VEC {
                    $small_fill(d, c, n);
                    return;
                }
                let mut i = 0;
                while i + VEC < n {
                    $storeu(d.add(i) as *mut $V, v);
                    i += VEC;
                }
                $storeu(d.add(n - VEC) as *mut $V, v);
            }
        }

        /// Copies n > 8 * VEC bytes ascending with VEC-aligned stores, four vectors at a time
        /// (see `copy_fwd` for why four), memmove-safe for dst <= src. The first vector and
        /// the last four are loaded before anything is stored and stored last, unaligned, as
        /// glibc does: they cover the unaligned ends, and storing them last keeps the copy
        /// overlap-safe. Unaligned stores would split every other line at a misaligned
        /// destination, which is slower (docs/performance.md); PMDK aligns them too.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn plain_fwd(d: *mut u8, s: *const u8, n: usize) {
            // SAFETY: n > 8 * VEC: the first vector and the last four lie in [0, n); the loop
            // stores [i, i + 4 * VEC) only while n - i > 4 * VEC, at VEC-aligned addresses;
            // it loads a group before storing it, and earlier stores lie below
            // dst + i <= src + i, so they never hit a source byte still to be loaded.
            unsafe {
                let ld = |o: usize| $loadu(s.add(o) as *const $V);
                let first = ld(0);
                let last = [
                    ld(n - 4 * VEC),
                    ld(n - 3 * VEC),
                    ld(n - 2 * VEC),
                    ld(n - VEC),
                ];
                let mut i = VEC - d as usize % VEC;
                while n - i > 4 * VEC {
                    let v = [ld(i), ld(i + VEC), ld(i + 2 * VEC), ld(i + 3 * VEC)];
                    for (k, x) in v.into_iter().enumerate() {
                        $store(d.add(i + k * VEC) as *mut $V, x);
                    }
                    i += 4 * VEC;
                }
                for (k, x) in last.into_iter().enumerate() {
                    $storeu(d.add(n - (4 - k) * VEC) as *mut $V, x);
                }
                $storeu(d as *mut $V, first);
            }
        }

        /// `plain_fwd` descending, memmove-safe for dst >= src: the last vector and the first
        /// four are the ones loaded first and stored last.
        #[target_feature(enable = $feature)]
        #[inline]
        unsafe fn plain_bwd(d: *mut u8, s: *const u8, n: usize) {
            // SAFETY: as in plain_fwd, mirrored.
            unsafe {
                let ld = |o: usize| $loadu(s.add(o) as *const $V);
                let last = ld(n - VEC);
                let first = [ld(0), ld(VEC), ld(2 * VEC), ld(3 * VEC)];
                // The end of the aligned stores: the last VEC boundary of dst up to n.
                let mut e = n - (d as usize + n) % VEC;
                while e > 4 * VEC {
                    let v = [
                        ld(e - VEC),
                        ld(e - 2 * VEC),
                        ld(e - 3 * VEC),
                        ld(e - 4 * VEC),
                    ];
                    for (k, x) in v.into_iter().enumerate() {
                        $store(d.add(e - (k + 1) * VEC) as *mut $V, x);
                    }
                    e -= 4 * VEC;
                }
                for (k, x) in first.into_iter().enumerate().rev() {
                    $storeu(d.add(k * VEC) as *mut $V, x);
                }
                $storeu(d.add(n - VEC) as *mut $V, last);
            }
        }

        /// Ordinary stores, nothing written back (`NOFLUSH`, or no flush needed at all).
        ///
        /// # Safety
        /// Both ranges valid (may overlap); the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memmove_plain(dst: *mut u8, src: *const u8, len: usize) {
            // SAFETY: forwarded; direction chosen for the overlap.
            unsafe {
                if len <= 8 * VEC {
                    copy_upto_8vec(dst, src, len);
                } else if must_copy_backward(dst, src, len) {
                    plain_bwd(dst, src, len);
                } else {
                    plain_fwd(dst, src, len);
                }
            }
        }

        /// # Safety
        /// The range is valid for writes; the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memset_plain(dst: *mut u8, c: u8, len: usize) {
            // SAFETY: forwarded.
            unsafe { fill_any(dst, c, len) }
        }

        /// # Safety
        /// Both ranges valid (may overlap); the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memmove_temporal<const PREFETCH_MAX: usize>(
            dst: *mut u8,
            src: *const u8,
            len: usize,
            flush: WriteBack,
        ) {
            // SAFETY: forwarded.
            unsafe {
                if len <= 8 * VEC {
                    copy_upto_8vec(dst, src, len);
                    flush.write_back(dst, len);
                } else {
                    temporal_blocks(dst, src, len, flush, PREFETCH_MAX);
                }
            }
        }

        /// `memmove_temporal` above 8 vectors, in blocks, the source prefetched ahead below
        /// `prefetch_max` (forward only). Out of line, so that the short copies (`NODRAIN`
        /// copies below the threshold come here) keep a small prologue, and one body for
        /// every prefetch window, so that its block copy stays inlined.
        ///
        /// # Safety
        /// As `memmove_temporal`.
        #[target_feature(enable = $feature)]
        #[inline(never)]
        unsafe fn temporal_blocks(
            dst: *mut u8,
            src: *const u8,
            len: usize,
            flush: WriteBack,
            prefetch_max: usize,
        ) {
            // SAFETY: blocks partition [0, len); direction chosen for the overlap.
            unsafe {
                if must_copy_backward(dst, src, len) {
                    let mut end = len;
                    while end > 0 {
                        let start = block_start(dst, end);
                        copy_bwd::<{ BLOCK_VECS }>(dst.add(start), src.add(start), end - start);
                        flush.write_back(dst.add(start), end - start);
                        end = start;
                    }
                } else {
                    let prefetching = prefetches(len, prefetch_max);
                    if prefetching {
                        prefetch(src, PREFETCH_AHEAD.min(len));
                    }
                    let mut start = 0;
                    while start < len {
                        let end = block_end(dst, start, len);
                        if prefetching && start + PREFETCH_AHEAD < len {
                            let ahead = start + PREFETCH_AHEAD;
                            prefetch(src.add(ahead), (end - start).min(len - ahead));
                        }
                        copy_fwd::<{ BLOCK_VECS }>(dst.add(start), src.add(start), end - start);
                        flush.write_back(dst.add(start), end - start);
                        start = end;
                    }
                }
            }
        }

        /// # Safety
        /// The range is valid for writes; the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memset_temporal(dst: *mut u8, c: u8, len: usize, flush: WriteBack) {
            // SAFETY: blocks partition [0, len).
            unsafe {
                let mut start = 0;
                while start < len {
                    let end = block_end(dst, start, len);
                    fill_any(dst.add(start), c, end - start);
                    flush.write_back(dst.add(start), end - start);
                    start = end;
                }
            }
        }

        /// Splits a streamed range into MOVNTI edges up to the first and from the last
        /// cache-line boundary around a body of whole lines for the vector streams (faster
        /// than MOVNTI). An edge of 1-3 bytes is grown by a line (MOVNTI is at least 4 bytes
        /// wide); one of 4-7 bytes is two 4-byte MOVNTIs in its own line, not eight 8-byte ones
        /// over a grown edge, one of them split across two lines, which is slower
        /// (docs/performance.md). None when the range is too short for that split.
        #[inline(always)]
        fn split_edges(dst: *const u8, len: usize) -> Option<(usize, usize, usize)> {
            let grow = |n: usize| if n != 0 && n < 4 { n + LINE } else { n };
            let head = grow((LINE - dst as usize % LINE) % LINE);
            let rest = len.checked_sub(head)?;
            let tail = grow(rest % LINE);
            let body = rest.checked_sub(tail)?;
            Some((head, body, tail))
        }

        /// Splits a range at its first and last cache-line boundary: (head, body, tail), the
        /// body whole lines. For edges written through the cache, which have no MOVNTI width
        /// limits and so, unlike `split_edges`, never grow.
        #[inline(always)]
        fn split_at_lines(dst: *const u8, len: usize) -> (usize, usize, usize) {
            let head = ((LINE - dst as usize % LINE) % LINE).min(len);
            let body = (len - head) & !(LINE - 1);
            (head, body, len - head - body)
        }

        /// Streams n bytes of whole lines to the line-aligned `d`, ascending (memmove-safe
        /// for d <= s), the source prefetched ahead for bodies below `PREFETCH_MAX` (0: none).
        ///
        /// # Safety
        /// [s, s + n) readable, [d, d + n) writable, d line-aligned, n a multiple of LINE.
        #[target_feature(enable = $feature)]
        #[inline]
        pub(super) unsafe fn stream_lines_fwd<const PREFETCH_MAX: usize>(
            d: *mut u8,
            s: *const u8,
            n: usize,
        ) {
            // SAFETY: every block lies in [0, n); the streamed addresses stay VEC-aligned.
            unsafe {
                let mut i = 0;
                if n < UNROLL_BYTES {
                    // A few lines (the body of a short misaligned copy): straight to the
                    // streams. The same loop as the remainder below, written out, which
                    // measured faster than wrapping the long path in an `if`
                    // (docs/performance.md).
                    while i < n {
                        $stream(d.add(i) as *mut $V, $loadu(s.add(i) as *const $V));
                        i += VEC;
                    }
                    return;
                }
                let prefetching = prefetches(n, PREFETCH_MAX);
                if prefetching {
                    prefetch(s, PREFETCH_AHEAD.min(n));
                }
                while i + UNROLL_BYTES <= n {
                    if prefetching && i + PREFETCH_AHEAD + UNROLL_BYTES <= n {
                        prefetch(s.add(i + PREFETCH_AHEAD), UNROLL_BYTES);
                    }
                    stream_unrolled::<false>(d.add(i), s.add(i));
                    i += UNROLL_BYTES;
                }
                while i < n {
                    $stream(d.add(i) as *mut $V, $loadu(s.add(i) as *const $V));
                    i += VEC;
                }
            }
        }

        /// `stream_lines_fwd` descending (memmove-safe for d >= s).
        ///
        /// # Safety
        /// As `stream_lines_fwd`.
        #[target_feature(enable = $feature)]
        #[inline]
        pub(super) unsafe fn stream_lines_bwd(d: *mut u8, s: *const u8, n: usize) {
            // SAFETY: as in stream_lines_fwd, mirrored.
            unsafe {
                let mut i = n;
                // No software prefetch backwards: the hardware prefetcher keeps up by itself,
                // and the prefetches only slowed long moves (docs/performance.md).
                while i >= UNROLL_BYTES {
                    i -= UNROLL_BYTES;
                    stream_unrolled::<true>(d.add(i), s.add(i));
                }
                while i > 0 {
                    i -= VEC;
                    $stream(d.add(i) as *mut $V, $loadu(s.add(i) as *const $V));
                }
            }
        }

        /// Streams a copy's body of whole lines ascending: with this width's loop, or, for
        /// bodies of `NARROW_FROM` bytes and more, with the narrower kernels' loop where the
        /// instantiation names them (`narrow_streams`); `usize::MAX`: never.
        ///
        /// # Safety
        /// As `stream_lines_fwd`.
        #[inline(always)]
        unsafe fn stream_body_fwd<const PREFETCH_MAX: usize, const NARROW_FROM: usize>(
            d: *mut u8,
            s: *const u8,
            n: usize,
        ) {
            // SAFETY: forwarded; the narrower kernels' ISA is implied by this one's.
            unsafe {
                $(
                    // usize::MAX: no branch at all in the kernels that never narrow.
                    if NARROW_FROM != usize::MAX && n >= NARROW_FROM {
                        return $($narrow)::+::stream_lines_fwd::<PREFETCH_MAX>(d, s, n);
                    }
                )?
                stream_lines_fwd::<PREFETCH_MAX>(d, s, n)
            }
        }

        /// `stream_body_fwd` descending.
        ///
        /// # Safety
        /// As `stream_lines_bwd`.
        #[inline(always)]
        unsafe fn stream_body_bwd<const NARROW_FROM: usize>(d: *mut u8, s: *const u8, n: usize) {
            // SAFETY: as in stream_body_fwd.
            unsafe {
                $(
                    // usize::MAX: no branch at all in the kernels that never narrow.
                    if NARROW_FROM != usize::MAX && n >= NARROW_FROM {
                        return $($narrow)::+::stream_lines_bwd(d, s, n);
                    }
                )?
                stream_lines_bwd(d, s, n)
            }
        }

        /// # Safety
        /// Both ranges valid (may overlap); the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memmove_nt<const PREFETCH_MAX: usize, const NARROW_FROM: usize>(
            dst: *mut u8,
            src: *const u8,
            len: usize,
            flush: WriteBack,
            edges: Edges,
        ) {
            let backward = must_copy_backward(dst, src, len);
            // SAFETY: every path copies [0, len) once, in an order safe for the overlap (see
            // the helpers); the helpers are inlined, so they run with the target feature.
            unsafe {
                if (dst as usize | len) % LINE == 0 && len <= PREFETCH_MIN && !backward {
                    // A few whole lines at a line boundary (line-sized records): straight
                    // to the streams, as the edge split is a cost such short calls notice
                    // (docs/performance.md).
                    stream_lines_fwd::<0>(dst, src, len);
                    return;
                }
                let cached_edges = edges == Edges::Cached;
                if cached_edges && !backward {
                    return nt_cached_edges_fwd::<PREFETCH_MAX, NARROW_FROM>(dst, src, len, flush);
                }
                // Edges through the cache (backward here) split at the lines, as forwards.
                let split = if cached_edges {
                    Some(split_at_lines(dst, len))
                } else {
                    split_edges(dst, len)
                };
                let Some(parts) = split else {
                    // Streamed, within a line or two (at most 70 bytes): all of it is an edge.
                    if backward {
                        stream_copy_bwd(dst, src, len, flush);
                    } else {
                        stream_copy_fwd(dst, src, len, flush);
                    }
                    return;
                };
                if backward {
                    nt_split_bwd::<NARROW_FROM>(dst, src, len, parts, flush, cached_edges);
                } else {
                    nt_split_fwd::<PREFETCH_MAX, NARROW_FROM>(
                        dst,
                        src,
                        len,
                        parts,
                        flush,
                        cached_edges,
                    );
                }
            }
        }

        /// `memmove_nt` forwards with `Edges::Cached` (NODRAIN): no MOVNTI width limits, so no
        /// edge grows, and the steps are PMDK's. A path of its own, though the general one
        /// takes the same steps: it measured faster, a matter of branches and code layout
        /// (docs/performance.md).
        ///
        /// # Safety
        /// As `memmove_nt`, for dst <= src or apart.
        #[inline(always)]
        unsafe fn nt_cached_edges_fwd<const PREFETCH_MAX: usize, const NARROW_FROM: usize>(
            dst: *mut u8,
            src: *const u8,
            len: usize,
            flush: WriteBack,
        ) {
            let (head, body, tail) = split_at_lines(dst, len);
            // SAFETY: head + body + tail == len, copied ascending, each piece loaded before
            // it is stored; the body is line-aligned for the streams.
            unsafe {
                if head != 0 {
                    copy_upto_8vec(dst, src, head);
                    flush.write_back(dst, head);
                }
                let (d, s) = (dst.add(head), src.add(head));
                stream_body_fwd::<PREFETCH_MAX, NARROW_FROM>(d, s, body);
                if tail != 0 {
                    copy_upto_8vec(d.add(body), s.add(body), tail);
                    flush.write_back(d.add(body), tail);
                }
            }
        }

        /// Whether a split move's edge [at, at+n) is written through the cache: all of them for
        /// `Edges::Cached`, and any whose lines hold source bytes (the source is [lo, hi)), as
        /// those are in the cache by the time they are written (this call loaded them) and
        /// streaming into a cached line is the slow case. An edge is at most 67 bytes: one
        /// all-loads-first copy.
        #[inline(always)]
        fn edge_through_cache(
            at: *const u8,
            n: usize,
            (lo, hi): (usize, usize),
            cached_edges: bool,
        ) -> bool {
            let first_line = at as usize & !(LINE - 1);
            let lines_end = (at as usize + n).next_multiple_of(LINE);
            n != 0 && (cached_edges || lo < lines_end && hi > first_line)
        }

        // The two edges are written out in each direction below: as one `edge` helper the
        // compiler kept them out of line, which was slower (docs/performance.md).

        /// `memmove_nt` split into (head, body, tail), ascending (overlap-safe for dst <= src):
        /// each piece is loaded before it is stored, and a later piece's source is not
        /// overwritten by an earlier piece's stores.
        ///
        /// # Safety
        /// As `memmove_nt`; head + body + tail == len, the body whole destination lines.
        #[inline(always)]
        unsafe fn nt_split_fwd<const PREFETCH_MAX: usize, const NARROW_FROM: usize>(
            dst: *mut u8,
            src: *const u8,
            len: usize,
            (head, body, tail): (usize, usize, usize),
            flush: WriteBack,
            cached_edges: bool,
        ) {
            let src_range = (src as usize, (src as usize).saturating_add(len));
            // SAFETY: the pieces partition [0, len) of the caller's ranges.
            unsafe {
                let (d, s) = (dst.add(head), src.add(head));
                let (dt, st) = (d.add(body), s.add(body));
                if edge_through_cache(dst, head, src_range, cached_edges) {
                    copy_upto_8vec(dst, src, head);
                    flush.write_back(dst, head);
                } else {
                    stream_copy_fwd(dst, src, head, flush);
                }
                stream_body_fwd::<PREFETCH_MAX, NARROW_FROM>(d, s, body);
                if edge_through_cache(dt, tail, src_range, cached_edges) {
                    copy_upto_8vec(dt, st, tail);
                    flush.write_back(dt, tail);
                } else {
                    stream_copy_fwd(dt, st, tail, flush);
                }
            }
        }

        /// `nt_split_fwd` descending (overlap-safe for dst > src).
        ///
        /// # Safety
        /// As `nt_split_fwd`.
        #[inline(always)]
        unsafe fn nt_split_bwd<const NARROW_FROM: usize>(
            dst: *mut u8,
            src: *const u8,
            len: usize,
            (head, body, tail): (usize, usize, usize),
            flush: WriteBack,
            cached_edges: bool,
        ) {
            let src_range = (src as usize, (src as usize).saturating_add(len));
            // SAFETY: as in nt_split_fwd, mirrored.
            unsafe {
                let (d, s) = (dst.add(head), src.add(head));
                let (dt, st) = (d.add(body), s.add(body));
                if edge_through_cache(dt, tail, src_range, cached_edges) {
                    copy_upto_8vec(dt, st, tail);
                    flush.write_back(dt, tail);
                } else {
                    stream_copy_bwd(dt, st, tail, flush);
                }
                stream_body_bwd::<NARROW_FROM>(d, s, body);
                if edge_through_cache(dst, head, src_range, cached_edges) {
                    copy_upto_8vec(dst, src, head);
                    flush.write_back(dst, head);
                } else {
                    stream_copy_bwd(dst, src, head, flush);
                }
            }
        }

        /// # Safety
        /// The range is valid for writes; the CPU has the target feature.
        #[target_feature(enable = $feature)]
        pub unsafe fn memset_nt(dst: *mut u8, c: u8, len: usize, flush: WriteBack, edges: Edges) {
            use $crate::arch::x86_64::small::stream_fill;
            let $c = c;
            let v = $splat;
            // Fills n bytes of whole lines at the line-aligned d with streams.
            let fill_lines = |d: *mut u8, n: usize| {
                let mut i = 0;
                // SAFETY: every stream lies in [0, n) of the caller's range and is
                // VEC-aligned because d is.
                unsafe {
                    while i + 4 * VEC <= n {
                        $stream(d.add(i) as *mut $V, v);
                        $stream(d.add(i + VEC) as *mut $V, v);
                        $stream(d.add(i + 2 * VEC) as *mut $V, v);
                        $stream(d.add(i + 3 * VEC) as *mut $V, v);
                        i += 4 * VEC;
                    }
                    while i < n {
                        $stream(d.add(i) as *mut $V, v);
                        i += VEC;
                    }
                }
            };
            if (dst as usize | len) % LINE == 0 {
                // Whole lines at a line boundary: no edges to work out (as in memmove_nt).
                fill_lines(dst, len);
                return;
            }
            // SAFETY: head + body + tail == len; the body is line-aligned for the streams.
            unsafe {
                if edges == Edges::Cached {
                    // Edges through the cache, PMDK's steps (as in memmove_nt), faster than
                    // through split_edges (docs/performance.md).
                    let (head, body, tail) = split_at_lines(dst, len);
                    if head != 0 {
                        fill_any(dst, c, head);
                        flush.write_back(dst, head);
                    }
                    fill_lines(dst.add(head), body);
                    if tail != 0 {
                        let dt = dst.add(head + body);
                        fill_any(dt, c, tail);
                        flush.write_back(dt, tail);
                    }
                    return;
                }
                let Some((head, body, tail)) = split_edges(dst, len) else {
                    stream_fill(dst, c, len, flush);
                    return;
                };
                let dt = dst.add(head + body);
                stream_fill(dst, c, head, flush);
                fill_lines(dst.add(head), body);
                stream_fill(dt, c, tail, flush);
            }
        }
    };
}

pub(crate) use vector_kernels;

#[cfg(test)]
mod tests {
    use super::*;

    /// Temporal blocks tile [0, len) in order, each at most BLOCK bytes, every inner boundary
    /// on a destination line boundary, for every misalignment, both directions.
    #[test]
    fn temporal_blocks_end_on_lines() {
        for mis in 0..LINE {
            let dst = (0x10_0000 + mis) as *const u8;
            for len in [1, 63, 64, 255, 256, 257, 300, 1000, 4096, 4103] {
                let mut start = 0;
                while start < len {
                    let end = block_end(dst, start, len);
                    assert!(end > start && end - start <= BLOCK);
                    assert!(end == len || (dst as usize + end).is_multiple_of(LINE));
                    start = end;
                }
                let mut end = len;
                while end > 0 {
                    let start = block_start(dst, end);
                    assert!(end > start && end - start <= BLOCK, "{mis} {len} {end}");
                    assert!(start == 0 || (dst as usize + start).is_multiple_of(LINE));
                    end = start;
                }
            }
        }
    }
}
