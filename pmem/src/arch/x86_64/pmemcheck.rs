//! The kernel set the dispatch table selects under pmemcheck: PMDK's store order, every byte
//! stored once.
//!
//! pmemcheck's verdicts depend on the order of stores, flushes and fences (a CLFLUSH is also a
//! fence to it, and a fence settles every flushed store, of earlier calls too), and with
//! `--mult-stores=yes` it reports a byte stored twice before it was persisted, which the fast
//! kernels' overlapping edge stores would be. So these kernels store as PMDK's AVX kernels
//! order it, each byte once: the partial first line in copy order stored and flushed; whole
//! lines streamed with a fence every 12 (`nt`) or stored 8, 4, 2, 1 at a time and flushed line
//! by line (`temporal`); the partial last line stored and flushed, unless a streamed one of 4,
//! 8, 16 or 32 bytes (one streaming store). The `nt` kernels then fence and report their flush
//! to pmemcheck themselves (`MemKernels::streams_fenced`). A `WriteBack::Reported` flush is
//! one pmemcheck hears of but the platform skips.
//!
//! Which call streams, the empty-call rule and the drain are `memops`', as for every kernel set.

use super::flush::{sfence, WriteBack, CACHELINE};
use super::kernels::Edges;
use crate::arch::must_copy_backward;

/// PMDK's streaming loops fence after every 12 lines (a write-combining relief), which
/// pmemcheck sees as fences.
const STREAM_FENCE_EVERY: usize = 12 * CACHELINE;

/// What a copy or set stores.
#[derive(Clone, Copy)]
enum Put {
    Copy(*const u8),
    Fill(u8),
}

/// One call's destination and bytes, and how its pieces are written back.
struct Writer {
    dst: *mut u8,
    len: usize,
    put: Put,
    write_back: WriteBack,
}

impl Writer {
    /// Stores [off, off+n) of the destination.
    ///
    /// # Safety
    /// The caller's ranges are valid; pieces are written in an order safe for overlap.
    unsafe fn store(&self, off: usize, n: usize) {
        // SAFETY: off+n <= len: inside the caller's ranges.
        unsafe {
            match self.put {
                Put::Copy(src) => copy_once(self.dst.add(off), src.add(off), n),
                Put::Fill(c) => fill_once(self.dst.add(off), c, n),
            }
        }
    }

    /// PMDK's flush of a piece.
    fn flush(&self, off: usize, n: usize) {
        // SAFETY: the piece was just written, so it is mapped; the table holds only write-backs
        // this CPU has.
        unsafe { self.write_back.write_back(self.dst.add(off), n) };
    }

    /// # Safety
    /// As `store`.
    unsafe fn edge(&self, off: usize, n: usize, streamed: bool) {
        // SAFETY: forwarded.
        unsafe { self.store(off, n) };
        if !(streamed && n.is_power_of_two() && (4..=32).contains(&n)) {
            self.flush(off, n);
        }
    }

    /// The whole lines [off, off+n), in copy order (descending when `backward`): streamed in
    /// fenced runs of 12, or stored in groups of 8, 4, 2, 1 lines, each line flushed.
    ///
    /// # Safety
    /// As `store`.
    unsafe fn lines(&self, off: usize, n: usize, streamed: bool, backward: bool) {
        let (run, sizes): (usize, &[usize]) = if streamed {
            (STREAM_FENCE_EVERY, &[STREAM_FENCE_EVERY])
        } else {
            (
                8 * CACHELINE,
                &[8 * CACHELINE, 4 * CACHELINE, 2 * CACHELINE, CACHELINE],
            )
        };
        let mut done = 0;
        for &group in sizes {
            while n - done >= group {
                let at = if backward {
                    off + n - done - group
                } else {
                    off + done
                };
                // SAFETY: a piece inside [off, off+n), in copy order.
                unsafe { self.store(at, group) };
                if streamed {
                    sfence();
                } else {
                    (0..group / CACHELINE).for_each(|l| self.flush(at + l * CACHELINE, CACHELINE));
                }
                done += group;
                if group < run {
                    break;
                }
            }
        }
        if streamed && done < n {
            let at = if backward { off } else { off + done };
            // SAFETY: the rest of [off, off+n), after the runs in copy order.
            unsafe { self.store(at, n - done) };
        }
    }

    /// The whole call: partial first line, whole lines, partial last line, in copy order.
    ///
    /// # Safety
    /// As `store`.
    unsafe fn write(&self, streamed: bool, backward: bool) {
        let (a, len) = (self.dst as usize, self.len);
        // Forwards the partial line is the head, backwards the tail; `rest` is the other end.
        let first = if backward {
            (a + len) % CACHELINE
        } else {
            (CACHELINE - a % CACHELINE) % CACHELINE
        };
        let first = first.min(len);
        let body = (len - first) / CACHELINE * CACHELINE;
        let rest = len - first - body;
        let (first_at, body_at, rest_at) = if backward {
            (len - first, rest, 0)
        } else {
            (0, first, first + body)
        };
        // SAFETY: the pieces partition [0, len) and are written in copy order.
        unsafe {
            if first > 0 {
                self.store(first_at, first);
                self.flush(first_at, first);
            }
            self.lines(body_at, body, streamed, backward);
            if rest > 0 {
                self.edge(rest_at, rest, streamed);
            }
        }
        if streamed {
            sfence();
            crate::valgrind::report_flush(self.dst, len);
        }
    }
}

/// # Safety
/// As every kernel's: [dst, dst+len) valid for writes, [src, src+len) for reads (may overlap).
unsafe fn memmove(dst: *mut u8, src: *const u8, len: usize, write_back: WriteBack, streamed: bool) {
    if len == 0 {
        return;
    }
    let w = Writer {
        dst,
        len,
        put: Put::Copy(src),
        write_back,
    };
    // SAFETY: forwarded caller contract.
    unsafe { w.write(streamed, must_copy_backward(dst, src, len)) }
}

/// # Safety
/// As every kernel's: [dst, dst+len) valid for writes.
unsafe fn memset(dst: *mut u8, c: u8, len: usize, write_back: WriteBack, streamed: bool) {
    if len == 0 {
        return;
    }
    let w = Writer {
        dst,
        len,
        put: Put::Fill(c),
        write_back,
    };
    // SAFETY: forwarded caller contract.
    unsafe { w.write(streamed, false) }
}

// The six kernels of a set (see `dispatch::MemKernels`). PMDK's edges are always its own.

/// # Safety
/// As `memmove`.
pub unsafe fn memmove_nt(dst: *mut u8, src: *const u8, len: usize, wb: WriteBack, _: Edges) {
    // SAFETY: forwarded caller contract.
    unsafe { memmove(dst, src, len, wb, true) }
}

/// # Safety
/// As `memset`.
pub unsafe fn memset_nt(dst: *mut u8, c: u8, len: usize, wb: WriteBack, _: Edges) {
    // SAFETY: forwarded caller contract.
    unsafe { memset(dst, c, len, wb, true) }
}

/// # Safety
/// As `memmove`.
pub unsafe fn memmove_temporal(dst: *mut u8, src: *const u8, len: usize, wb: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe { memmove(dst, src, len, wb, false) }
}

/// # Safety
/// As `memset`.
pub unsafe fn memset_temporal(dst: *mut u8, c: u8, len: usize, wb: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe { memset(dst, c, len, wb, false) }
}

/// # Safety
/// As `memmove`.
pub unsafe fn memmove_plain(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { copy_once(dst, src, len) }
}

/// # Safety
/// As `memset`.
pub unsafe fn memset_plain(dst: *mut u8, c: u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { fill_once(dst, c, len) }
}

// The stores below are volatile so that the compiler cannot turn a loop into a call to libc's
// memcpy/memset, whose short cases store some bytes twice (overlapping vectors). Each byte of
// the destination is written once: bytes up to an 8-byte boundary, aligned 8-byte words, and
// the bytes after the last word.

/// memmove of [src, src+len) to [dst, dst+len), every destination byte stored once.
///
/// # Safety
/// Both ranges valid (they may overlap).
unsafe fn copy_once(dst: *mut u8, src: *const u8, len: usize) {
    use std::ptr::{read, read_unaligned, write_volatile};
    let head = dst.align_offset(8).min(len);
    // SAFETY (every block below): indices stay below len, word stores are at 8-byte-aligned
    // destination addresses, and each source byte is read before a store could overwrite it
    // (forward when the destination starts below the source, backward otherwise).
    unsafe {
        if !must_copy_backward(dst, src, len) {
            let mut i = 0;
            while i < head {
                write_volatile(dst.add(i), read(src.add(i)));
                i += 1;
            }
            while i + 8 <= len {
                let w = read_unaligned(src.add(i) as *const u64);
                write_volatile(dst.add(i) as *mut u64, w);
                i += 8;
            }
            while i < len {
                write_volatile(dst.add(i), read(src.add(i)));
                i += 1;
            }
        } else {
            let mut j = len;
            let tail = (dst as usize + len) % 8;
            while j > 0 && len - j < tail {
                j -= 1;
                write_volatile(dst.add(j), read(src.add(j)));
            }
            while j >= 8 {
                j -= 8;
                let w = read_unaligned(src.add(j) as *const u64);
                write_volatile(dst.add(j) as *mut u64, w);
            }
            while j > 0 {
                j -= 1;
                write_volatile(dst.add(j), read(src.add(j)));
            }
        }
    }
}

/// memset of [dst, dst+len) to `c`, every byte stored once.
///
/// # Safety
/// The range is valid for writes.
unsafe fn fill_once(dst: *mut u8, c: u8, len: usize) {
    use std::ptr::write_volatile;
    let head = dst.align_offset(8).min(len);
    let word = u64::from_ne_bytes([c; 8]);
    let mut i = 0;
    // SAFETY: indices below len; word stores at 8-byte-aligned addresses.
    unsafe {
        while i < head {
            write_volatile(dst.add(i), c);
            i += 1;
        }
        while i + 8 <= len {
            write_volatile(dst.add(i) as *mut u64, word);
            i += 8;
        }
        while i < len {
            write_volatile(dst.add(i), c);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_once_copies_and_fills_like_memmove_and_memset() {
        let pattern: Vec<u8> = (0..200u8).collect();
        for len in 0..40 {
            for doff in 0..9 {
                for soff in 0..20 {
                    // Moves within one buffer, both directions and apart.
                    let mut buf = pattern.clone();
                    let mut want = pattern.clone();
                    want.copy_within(soff..soff + len, doff + 50 - 45 * (soff % 2));
                    let d = doff + 50 - 45 * (soff % 2);
                    // SAFETY: both ranges lie inside buf.
                    unsafe { copy_once(buf.as_mut_ptr().add(d), buf.as_ptr().add(soff), len) };
                    assert_eq!(buf, want, "move len {len} dst {d} src {soff}");
                }
                let mut buf = pattern.clone();
                let mut want = pattern.clone();
                want[doff..doff + len].fill(0xa5);
                // SAFETY: the range lies inside buf.
                unsafe { fill_once(buf.as_mut_ptr().add(doff), 0xa5, len) };
                assert_eq!(buf, want, "fill len {len} dst {doff}");
            }
        }
    }
}
