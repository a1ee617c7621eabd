//! `pmem_memmove`/`pmem_memcpy`/`pmem_memset`: flag handling over the dispatched kernels.
//!
//! Strategy, as PMDK chooses it:
//! * `NOFLUSH`: ordinary stores, no flush, no drain;
//! * `NONTEMPORAL` or `WC`: non-temporal stores (under pmemcheck with no cache flush needed,
//!   `NONTEMPORAL` only, as PMDK's eADR copy); `TEMPORAL` or `WB`: ordinary stores + flush;
//! * no hint: non-temporal from `movnt_threshold` bytes on, ordinary below (always ordinary
//!   when no cache flush is needed: eADR or `PMEM_NO_FLUSH=1`, as PMDK does); where the CPU
//!   class's strategy says so (`arch::CpuClass::strategy`): a drained copy streams at every size
//!   unless its source shares cache lines with the destination (`stream_small_persists`),
//!   and a move whose source lies close and shares most of its destination's lines goes
//!   through the cache (`CachedDst`), as the move has just loaded those lines, except for the
//!   lines it writes before it reaches the source's, which stream (`cached_move`);
//! * `PMEM_NO_MOVNT=1` turns every non-temporal choice into the temporal one;
//! * a non-temporal call writes its partial-line edges through the cache under `NODRAIN`,
//!   and as the strategy says when drained (`Edges`);
//! * then a drain unless `NODRAIN`. Unknown flag bits are ignored, like release PMDK.
//!
//! Under pmemcheck the same path runs with the table `dispatch::for_pmemcheck` makes: PMDK's
//! store order and streaming rule, skipped flushes and fences reported.

use crate::arch::{must_copy_backward, store_fence, Edges, WriteBack, CACHELINE};
use crate::dispatch::{self, Dispatch};
use crate::flags::Flags;

const TEMPORAL_FLAGS: Flags = Flags::TEMPORAL.union(Flags::WB);

/// An overlapping move writes through the cache (ordinary stores + write-back) at any size
/// up to `CACHED_MOVE_LEN_MAX` when at least half of its destination lines hold source bytes
/// and the source lies at most `CACHED_MOVE_SHIFT_MAX` away: each of those lines is then
/// stored into shortly after the move loaded it, while it is still cached, and streaming into
/// cached lines is the slow case. Longer moves, or moves from further away, find their lines
/// evicted by the time they write them, and stream (docs/performance.md).
const CACHED_MOVE_SHIFT_MAX: usize = 64 * 1024;
const CACHED_MOVE_LEN_MAX: usize = 4 * 1024 * 1024;

/// The least run of source-free destination lines a cached move streams (see
/// `cached_move`): shorter runs gained nothing over writing them through the cache, or lost
/// where the destination was still cached from earlier use (docs/performance.md).
const CACHED_MOVE_STREAM_MIN: usize = 4096;

/// How much of a move's destination is cached because the move loads it: `lines` of its
/// `of` lines hold source bytes, and the source lies `shift` bytes away.
#[derive(Clone, Copy, Debug, PartialEq)]
struct CachedDst {
    lines: usize,
    of: usize,
    shift: usize,
}

impl CachedDst {
    const NONE: CachedDst = CachedDst {
        lines: 0,
        of: 1,
        shift: usize::MAX,
    };

    /// For a move's (destination, source), or a set (None), of len > 0 bytes.
    #[inline(always)]
    fn of(mv: Option<(*const u8, *const u8)>, len: usize) -> CachedDst {
        match mv {
            Some((dst, src)) => CachedDst::of_move(dst, src, len),
            None => CachedDst::NONE,
        }
    }

    /// For a move of len > 0 bytes (both ranges valid).
    #[inline(always)]
    fn of_move(dst: *const u8, src: *const u8, len: usize) -> CachedDst {
        let (d, s) = (dst as usize, src as usize);
        let shift = d.abs_diff(s);
        if shift >= len.saturating_add(CACHELINE) {
            return CachedDst::NONE;
        }
        // Valid ranges this close end far below usize::MAX.
        let first = |a: usize| a & !(CACHELINE - 1);
        let end = |a: usize| (a + len).next_multiple_of(CACHELINE);
        let shared = end(d).min(end(s)).saturating_sub(first(d).max(first(s)));
        CachedDst {
            lines: shared / CACHELINE,
            of: (end(d) - first(d)) / CACHELINE,
            shift,
        }
    }

    /// Whether a move of len bytes is better written through the cache (see
    /// `CACHED_MOVE_SHIFT_MAX`).
    #[inline(always)]
    fn write_through(self, len: usize) -> bool {
        2 * self.lines >= self.of
            && self.shift <= CACHED_MOVE_SHIFT_MAX
            && len <= CACHED_MOVE_LEN_MAX
    }
}

/// How a call stores its bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stores {
    /// Non-temporal stores.
    Stream,
    /// Ordinary stores, written back unless nothing needs flushing.
    Cache,
    /// A close overlapping move, through the cache but for its source-free lead
    /// (`cached_move`).
    CachedMove,
}

/// The bytes a move writes, in copy order, before its destination reaches a line that holds
/// source bytes; whole destination lines except for the destination's own partial first
/// (forward) or last (backward) line. For overlapping ranges (shift < len).
#[inline(always)]
fn source_free_lead(dst: *const u8, src: *const u8, len: usize) -> usize {
    let (d, s) = (dst as usize, src as usize);
    if d < s {
        // Forward: up to the source's first line.
        (s & !(CACHELINE - 1)).saturating_sub(d)
    } else {
        // Backward: down to the end of the source's last line. Valid ranges this close end
        // far below usize::MAX.
        (d + len).saturating_sub((s + len).next_multiple_of(CACHELINE))
    }
}

/// How this call stores its bytes. `mv`: a move's destination and source, whose overlap
/// (`CachedDst`) is only worked out where it decides: done up front, as a closure the
/// compiler kept out of line, it slowed short copies (docs/performance.md).
#[inline(always)]
fn stores(d: &Dispatch, len: usize, flags: Flags, mv: Option<(*const u8, *const u8)>) -> Stores {
    if d.no_movnt {
        Stores::Cache
    } else if flags.contains(Flags::NONTEMPORAL)
        || (flags.contains(Flags::WC) && !(d.wc_cached_without_flush && d.flush_is_noop()))
    {
        Stores::Stream
    } else if flags.intersects(TEMPORAL_FLAGS) {
        Stores::Cache
    } else if d.flush_is_noop() {
        // Nothing to write back (eADR, PMEM_NO_FLUSH=1): ordinary stores are already durable
        // once drained, and much cheaper than streaming ones plus a fence that waits for them.
        Stores::Cache
    } else if len >= d.movnt_threshold {
        match mv {
            Some((dst, src))
                if d.cached_moves
                    && len <= CACHED_MOVE_LEN_MAX
                    && CachedDst::of_move(dst, src, len).write_through(len) =>
            {
                Stores::CachedMove
            }
            _ => Stores::Stream,
        }
    } else if d.stream_small_persists
        && !flags.contains(Flags::NODRAIN)
        && CachedDst::of(mv, len).lines == 0
    {
        Stores::Stream
    } else {
        Stores::Cache
    }
}

/// The strategy's edges for a drained call, cached ones when the caller drains later (memory
/// then gets only whole lines, which sustains more copies per second).
#[inline(always)]
fn edges_for(d: &Dispatch, flags: Flags) -> Edges {
    if flags.contains(Flags::NODRAIN) {
        Edges::Cached
    } else {
        d.drained_edges
    }
}

/// Fence after non-temporal stores (unless the kernels fenced them), then the drain the flags
/// ask for: one SFENCE at most, which compiled to the faster short calls
/// (docs/performance.md).
#[inline(always)]
fn finish(d: &Dispatch, movnt: bool, flags: Flags) {
    let movnt = movnt && !d.kernels.streams_fenced;
    if !flags.contains(Flags::NODRAIN) {
        // The drain; CLFLUSH's is no instruction, but streaming stores still need a fence.
        if movnt {
            store_fence();
        } else {
            d.drain.fence();
        }
    } else if movnt && (d.drain.is_noop() || d.wc_workaround) {
        store_fence();
    }
}

/// A call with nothing to store: PMDK stores nothing either (a concurrent writer's bytes
/// stay), and still drains unless told not to.
#[inline(always)]
fn empty_call(d: &Dispatch, flags: Flags) {
    if !flags.intersects(Flags::NOFLUSH.union(Flags::NODRAIN)) {
        d.drain.fence();
    }
}

/// pmem_memmove(3): copies `len` bytes (the ranges may overlap) and makes them durable as
/// `flags` say.
///
/// # Safety
/// [dst, dst+len) is valid for writes and [src, src+len) for reads. With `Flags::NODRAIN`
/// the copy may end with non-temporal stores not yet fenced: call [`drain`](crate::drain) or
/// [`store_fence`](crate::raw::store_fence) before anything reads or writes [dst, dst+len).
// Inlined into each exported entry point: a call layer is a cost a short copy notices
// (docs/performance.md).
#[inline(always)]
pub unsafe fn memmove(dst: *mut u8, src: *const u8, len: usize, flags: Flags) {
    // SAFETY: forwarded caller contract.
    unsafe { memmove_with(dispatch::get(), dst, src, len, flags) }
}

/// `memmove` through the given table (the tests run every class's).
///
/// # Safety
/// As `memmove`; `d` holds only kernels this CPU can run.
#[inline(always)]
pub(crate) unsafe fn memmove_with(
    d: &Dispatch,
    dst: *mut u8,
    src: *const u8,
    len: usize,
    flags: Flags,
) {
    if len == 0 || std::ptr::eq(dst, src) {
        return empty_call(d, flags);
    }
    if flags.contains(Flags::NOFLUSH) {
        // SAFETY: forwarded caller contract; the table only holds kernels this CPU can run.
        unsafe { (d.kernels.memmove_plain)(dst, src, len) };
        return;
    }
    let how = stores(d, len, flags, Some((dst, src)));
    let k = &d.kernels;
    // SAFETY: forwarded caller contract; the table only holds kernels this CPU can run.
    unsafe {
        match how {
            Stores::Stream => (k.memmove_nt)(dst, src, len, d.write_back, edges_for(d, flags)),
            // Nothing to write back nor to report (pmemcheck's `Reported` takes the kernel).
            Stores::Cache if d.write_back == WriteBack::None => (k.memmove_plain)(dst, src, len),
            Stores::Cache => (k.memmove_temporal)(dst, src, len, d.write_back),
            Stores::CachedMove => return cached_move(d, dst, src, len, flags),
        }
    }
    finish(d, how == Stores::Stream, flags);
}

/// How many bytes of a close overlapping move written through the cache stream: its
/// source-free lead (the first bytes in copy order, the low end of a forward move, the high
/// end of a backward one, whose destination lines hold no source byte, so the move has not
/// loaded them) when it is long enough, or none.
#[inline(always)]
fn cached_move_streamed(dst: *const u8, src: *const u8, len: usize) -> Option<usize> {
    let n = source_free_lead(dst, src, len);
    (n >= CACHED_MOVE_STREAM_MIN && n < len).then_some(n)
}

/// A close overlapping move (`Stores::CachedMove`): its source-free lead streamed, the rest,
/// lines the move has just loaded, through the cache; then the drain. Out of line: inlined
/// into every export, it gave the short calls a bigger prologue (docs/performance.md), and
/// these moves are long enough not to notice a call.
///
/// # Safety
/// As `memmove`; len > 0.
#[inline(never)]
unsafe fn cached_move(d: &Dispatch, dst: *mut u8, src: *const u8, len: usize, flags: Flags) {
    let k = &d.kernels;
    let streamed = cached_move_streamed(dst, src, len);
    // SAFETY: forwarded caller contract. The streamed part's destination lies wholly outside
    // the source (below it forwards, above it backwards), so writing it first clobbers no
    // source byte the cached part still has to load; each part is a memmove of its own.
    unsafe {
        match streamed {
            None => (k.memmove_temporal)(dst, src, len, d.write_back),
            Some(n) if must_copy_backward(dst, src, len) => {
                let m = len - n;
                (k.memmove_nt)(dst.add(m), src.add(m), n, d.write_back, edges_for(d, flags));
                (k.memmove_temporal)(dst, src, m, d.write_back);
            }
            Some(n) => {
                (k.memmove_nt)(dst, src, n, d.write_back, edges_for(d, flags));
                (k.memmove_temporal)(dst.add(n), src.add(n), len - n, d.write_back);
            }
        }
    }
    finish(d, streamed.is_some(), flags);
}

/// pmem_memset(3): sets `len` bytes to `c` and makes them durable as `flags` say.
///
/// # Safety
/// [dst, dst+len) is valid for writes. With `Flags::NODRAIN`, as for [`memmove`]: fence
/// before the bytes are accessed again.
#[inline(always)]
pub unsafe fn memset(dst: *mut u8, c: u8, len: usize, flags: Flags) {
    // SAFETY: forwarded caller contract.
    unsafe { memset_with(dispatch::get(), dst, c, len, flags) }
}

/// `memset` through the given table.
///
/// # Safety
/// As `memset`; `d` holds only kernels this CPU can run.
#[inline(always)]
pub(crate) unsafe fn memset_with(d: &Dispatch, dst: *mut u8, c: u8, len: usize, flags: Flags) {
    if flags.contains(Flags::NOFLUSH) {
        // SAFETY: forwarded caller contract; the table only holds kernels this CPU can run.
        unsafe { (d.kernels.memset_plain)(dst, c, len) };
        return;
    }
    let movnt = stores(d, len, flags, None) == Stores::Stream;
    // SAFETY: forwarded caller contract; the table only holds kernels this CPU can run.
    unsafe {
        if movnt {
            (d.kernels.memset_nt)(dst, c, len, d.write_back, edges_for(d, flags));
        } else if d.write_back == WriteBack::None {
            (d.kernels.memset_plain)(dst, c, len);
        } else {
            (d.kernels.memset_temporal)(dst, c, len, d.write_back);
        }
    }
    finish(d, movnt, flags);
}

#[cfg(test)]
mod tests;
