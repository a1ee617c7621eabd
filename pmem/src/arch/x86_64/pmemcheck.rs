//! The kernel set the dispatch table selects under pmemcheck: PMDK's stores, in PMDK's order.
//!
//! pmemcheck's verdicts depend on the order of stores, flushes and fences (a CLFLUSH is also a
//! fence to it, and a fence settles every flushed store, of earlier calls too), and with
//! `--mult-stores=yes` it reports a byte stored twice before it was persisted, which the fast
//! kernels' overlapping edge stores would be; pmreorder replays its store log. So these kernels store as PMDK's AVX kernels
//! (as Debian's PMDK 1.12.1 is compiled) do, store for store, which also makes pmemcheck's
//! store log, and so pmreorder's replay, the same: the partial first line in copy order stored
//! and flushed; whole lines streamed with a fence every 12 (`nt`) or stored 8, 4, 2, 1 at a
//! time and flushed line by line (`temporal`), a group's 32-byte halves in PMDK's order
//! (`halves_order`); the partial last line stored and flushed, unless a streamed one of 4, 8,
//! 16 or 32 bytes (one streaming store). The `nt` kernels then fence and report their flush
//! to pmemcheck themselves (`MemKernels::streams_fenced`). A `WriteBack::Reported` flush is
//! one pmemcheck hears of but the platform skips. Partial lines are stored as PMDK's generic
//! code is: bytes up to an 8-byte boundary, words, then the last 1-7 bytes (bytes, except in a
//! set that stored no word: libc's overlapping stores, some bytes twice, as in PMDK).
//!
//! Which call streams, the empty-call rule and the drain are `memops`', as for every kernel set.

use super::flush::{sfence, WriteBack, CACHELINE};
use super::kernels::Edges;
use crate::arch::must_copy_backward;

/// PMDK's streaming loops fence after every 12 lines (a write-combining relief), which
/// pmemcheck sees as fences.
const STREAM_FENCE_EVERY: usize = 12 * CACHELINE;

/// A group's 32-byte halves of lines.
const HALF: usize = CACHELINE / 2;

/// The largest group PMDK loads before it stores: 8 lines.
const GROUP_MAX: usize = 8 * CACHELINE;

/// Halves in address order.
const ASCENDING: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// The order in which PMDK's AVX copy stores the `halves` 32-byte halves of a group it loaded
/// (the compiler's scheduling of its unrolled stores, read from pmemcheck's log), which
/// differs between its builds; its sets and streaming copies store in address order.
fn halves_order(halves: usize, backward: bool, build: Build) -> &'static [u8] {
    const EIGHT_LINES: &[u8] = &[1, 2, 0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
    const FOUR_LINES: &[u8] = &[1, 2, 0, 3, 4, 5, 6, 7];
    match (build, halves, backward) {
        (_, 16, _) => EIGHT_LINES,
        (Build::Flushing | Build::Plain, 8, false) | (Build::Plain | Build::Eadr, 8, true) => {
            FOUR_LINES
        }
        (Build::Flushing, 8, true) => &[0, 1, 7, 2, 3, 4, 5, 6],
        (Build::Flushing, 4, false) | (Build::Plain, 4, true) => &[1, 0, 2, 3],
        (Build::Flushing, 4, true) => &[0, 3, 1, 2],
        (Build::Eadr, 4, _) => &[1, 2, 0, 3],
        (Build::Flushing, 2, false) | (Build::Eadr, 2, _) => &[1, 0],
        _ => &ASCENDING[..halves],
    }
}

/// Which of PMDK's separately compiled copies a call runs: they differ in store order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Build {
    /// The one that flushes (`WriteBack` of a CPU instruction).
    Flushing,
    /// PMEM_F_MEM_NOFLUSH's.
    Plain,
    /// The one for platforms whose flushes are skipped (eADR, `PMEM_NO_FLUSH=1`: under
    /// pmemcheck, `WriteBack::Reported`).
    Eadr,
}

/// Which of PMDK's kernels a call stores as.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kernel {
    /// Streaming stores (`nt`).
    Streamed,
    /// Ordinary stores, each line flushed (`temporal`).
    Temporal,
    /// Ordinary stores, nothing flushed (PMEM_F_MEM_NOFLUSH).
    Plain,
}

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
    plain: bool,
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
                Put::Fill(c) => fill_generic(self.dst.add(off), c, n),
            }
        }
    }

    /// Stores the whole lines [off, off+n) (n <= GROUP_MAX) as PMDK does a group: every
    /// source byte loaded first, then the halves in `order`, each as 8-byte words in address
    /// order.
    ///
    /// # Safety
    /// As `store`; [off, off+n) is line-aligned in the destination.
    unsafe fn store_group(&self, off: usize, n: usize, order: &[u8]) {
        let mut words = [0u64; GROUP_MAX / 8];
        match self.put {
            // SAFETY: the source piece is valid for reads and `words` holds n <= GROUP_MAX
            // bytes; it is read whole before any store, so overlap cannot corrupt it.
            Put::Copy(src) => unsafe {
                std::ptr::copy(src.add(off), words.as_mut_ptr() as *mut u8, n)
            },
            Put::Fill(c) => words.fill(u64::from_ne_bytes([c; 8])),
        }
        for &h in order {
            let first = h as usize * HALF / 8;
            let half = words[..n / 8].iter().enumerate().skip(first).take(HALF / 8);
            for (w, &word) in half {
                // SAFETY: inside [off, off+n), 8-byte aligned (the piece is line-aligned).
                unsafe { std::ptr::write_volatile(self.dst.add(off + w * 8) as *mut u64, word) };
            }
        }
    }

    /// The streaming store of a last partial line of 4, 8, 16 or 32 bytes: one 4-byte store,
    /// or 8-byte words in address order.
    ///
    /// # Safety
    /// As `store`; the piece starts on a line boundary.
    unsafe fn store_streamed_edge(&self, off: usize, n: usize) {
        if n == 4 {
            let v = match self.put {
                // SAFETY: the 4 source bytes are valid for reads.
                Put::Copy(src) => unsafe { std::ptr::read_unaligned(src.add(off) as *const u32) },
                Put::Fill(c) => u32::from_ne_bytes([c; 4]),
            };
            // SAFETY: inside the destination, 4-byte aligned (a line boundary).
            unsafe { std::ptr::write_volatile(self.dst.add(off) as *mut u32, v) };
        } else {
            // SAFETY: forwarded; n is 8, 16 or 32, so whole words.
            unsafe { self.store_group(off, n, &[0]) };
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
        if streamed && n.is_power_of_two() && (4..=32).contains(&n) {
            // SAFETY: forwarded; a last partial line starts on a line boundary.
            unsafe { self.store_streamed_edge(off, n) };
        } else {
            // SAFETY: forwarded.
            unsafe { self.store(off, n) };
            self.flush(off, n);
        }
    }

    /// The whole lines [off, off+n), in copy order (descending when `backward`): streamed in
    /// fenced runs of 12 (8 then 4 lines), or stored in groups of 8, 4, 2, 1 lines, each line
    /// flushed; lines left after the runs of 12 are streamed in such groups, unfenced. `rest`:
    /// the bytes the call stores after these lines.
    ///
    /// # Safety
    /// As `store`.
    unsafe fn lines(&self, off: usize, n: usize, streamed: bool, backward: bool, rest: usize) {
        let mut done = 0;
        while streamed && n - done >= STREAM_FENCE_EVERY {
            for group in [8 * CACHELINE, 4 * CACHELINE] {
                // SAFETY: forwarded; the group lies in the lines not yet stored.
                unsafe { self.group(off, n, done, group, streamed, backward) };
                done += group;
            }
            // PMDK fences a run only when bytes are left to copy after it.
            if n - done + rest > 0 {
                sfence();
            }
        }
        for group in [8 * CACHELINE, 4 * CACHELINE, 2 * CACHELINE, CACHELINE] {
            // Only the 8-line groups repeat: what is left after them is under 8 lines.
            while n - done >= group {
                // SAFETY: as above.
                unsafe { self.group(off, n, done, group, streamed, backward) };
                done += group;
            }
        }
    }

    /// The group of `group` bytes after the first `done` of the lines [off, off+n) in copy
    /// order, stored as PMDK stores it, and its lines flushed unless streamed.
    ///
    /// # Safety
    /// As `store`.
    unsafe fn group(
        &self,
        off: usize,
        n: usize,
        done: usize,
        group: usize,
        streamed: bool,
        backward: bool,
    ) {
        let at = if backward {
            off + n - done - group
        } else {
            off + done
        };
        let in_order = streamed || matches!(self.put, Put::Fill(_));
        let build = if self.plain {
            Build::Plain
        } else if self.write_back == WriteBack::Reported {
            Build::Eadr
        } else {
            Build::Flushing
        };
        let order = halves_order(group / HALF, backward, build);
        let order = if in_order {
            &ASCENDING[..group / HALF]
        } else {
            order
        };
        // SAFETY: whole lines inside [off, off+n), taken in copy order.
        unsafe { self.store_group(at, group, order) };
        if !streamed {
            (0..group / CACHELINE).for_each(|l| self.flush(at + l * CACHELINE, CACHELINE));
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
            self.lines(body_at, body, streamed, backward, rest);
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
unsafe fn memmove(dst: *mut u8, src: *const u8, len: usize, write_back: WriteBack, kernel: Kernel) {
    if len == 0 {
        return;
    }
    let w = Writer {
        dst,
        len,
        put: Put::Copy(src),
        write_back,
        plain: kernel == Kernel::Plain,
    };
    // SAFETY: forwarded caller contract.
    unsafe {
        w.write(
            kernel == Kernel::Streamed,
            must_copy_backward(dst, src, len),
        )
    }
}

/// # Safety
/// As every kernel's: [dst, dst+len) valid for writes.
unsafe fn memset(dst: *mut u8, c: u8, len: usize, write_back: WriteBack, kernel: Kernel) {
    if len == 0 {
        return;
    }
    let w = Writer {
        dst,
        len,
        put: Put::Fill(c),
        write_back,
        plain: kernel == Kernel::Plain,
    };
    // SAFETY: forwarded caller contract.
    unsafe { w.write(kernel == Kernel::Streamed, false) }
}

// The six kernels of a set (see `dispatch::MemKernels`). PMDK's edges are always its own;
// its PMEM_F_MEM_NOFLUSH copies and sets (the plain kernels) store as its temporal ones.

/// # Safety
/// As `memmove`.
pub unsafe fn memmove_nt(dst: *mut u8, src: *const u8, len: usize, wb: WriteBack, _: Edges) {
    // SAFETY: forwarded caller contract.
    unsafe { memmove(dst, src, len, wb, Kernel::Streamed) }
}

/// # Safety
/// As `memset`.
pub unsafe fn memset_nt(dst: *mut u8, c: u8, len: usize, wb: WriteBack, _: Edges) {
    // SAFETY: forwarded caller contract.
    unsafe { memset(dst, c, len, wb, Kernel::Streamed) }
}

/// # Safety
/// As `memmove`.
pub unsafe fn memmove_temporal(dst: *mut u8, src: *const u8, len: usize, wb: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe { memmove(dst, src, len, wb, Kernel::Temporal) }
}

/// # Safety
/// As `memset`.
pub unsafe fn memset_temporal(dst: *mut u8, c: u8, len: usize, wb: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe { memset(dst, c, len, wb, Kernel::Temporal) }
}

/// # Safety
/// As `memmove`.
pub unsafe fn memmove_plain(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { memmove(dst, src, len, WriteBack::None, Kernel::Plain) }
}

/// # Safety
/// As `memset`.
pub unsafe fn memset_plain(dst: *mut u8, c: u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { memset(dst, c, len, WriteBack::None, Kernel::Plain) }
}

// The stores below are volatile so that the compiler cannot turn a loop into a call to libc's
// memcpy/memset, whose short cases store some bytes twice (overlapping vectors) where PMDK's
// do not: bytes up to an 8-byte boundary, aligned 8-byte words, and the bytes after the last
// word (for a set, `fill_tail`).

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

/// memset of [dst, dst+len) to `c` as PMDK's generic set stores it.
///
/// # Safety
/// The range is valid for writes.
unsafe fn fill_generic(dst: *mut u8, c: u8, len: usize) {
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
        let words_from = i;
        while i + 8 <= len {
            write_volatile(dst.add(i) as *mut u64, word);
            i += 8;
        }
        if i == words_from {
            fill_tail(dst.add(i), c, len - i);
        } else {
            while i < len {
                write_volatile(dst.add(i), c);
                i += 1;
            }
        }
    }
}

/// The last `n` (< 8) bytes of PMDK's generic set when it stored no word before them, which
/// its compiler made a call to libc's memset: one byte; a byte, then 2 bytes ending at the
/// end; or 4 bytes at each end. After words the same loop stores bytes.
///
/// # Safety
/// [dst, dst+n) is valid for writes.
unsafe fn fill_tail(dst: *mut u8, c: u8, n: usize) {
    use std::ptr::write_volatile;
    // SAFETY (every store): inside [dst, dst+n); the wider ones go through `store_unaligned`.
    unsafe {
        match n {
            0 => {}
            1 => write_volatile(dst, c),
            2..=3 => {
                write_volatile(dst, c);
                store_unaligned(dst.add(n - 2), u16::from_ne_bytes([c; 2]).into(), 2);
            }
            _ => {
                let v = u32::from_ne_bytes([c; 4]);
                store_unaligned(dst, v, 4);
                store_unaligned(dst.add(n - 4), v, 4);
            }
        }
    }
}

/// One store of the low `width` (2 or 4) bytes of `v` at a possibly unaligned `dst`: a
/// single instruction, which the compiler can neither merge with another nor drop.
///
/// # Safety
/// [dst, dst+width) is valid for writes.
unsafe fn store_unaligned(dst: *mut u8, v: u32, width: usize) {
    // SAFETY: one MOV to memory the caller owns (x86 allows any alignment); no stack use.
    unsafe {
        if width == 2 {
            std::arch::asm!("mov word ptr [{p}], {v:x}", p = in(reg) dst, v = in(reg) v,
                options(nostack, preserves_flags));
        } else {
            std::arch::asm!("mov dword ptr [{p}], {v:e}", p = in(reg) dst, v = in(reg) v,
                options(nostack, preserves_flags));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_move_and_set_like_memmove_and_memset() {
        let pattern: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 1) as u8).collect();
        let lens = [0, 1, 5, 63, 64, 65, 130, 300, 513, 769, 1000, 1600];
        for &len in &lens {
            for (doff, soff) in [
                (0, 2000),
                (3, 1),
                (1, 3),
                (64, 0),
                (0, 64),
                (70, 5),
                (5, 70),
            ] {
                for kernel in [Kernel::Streamed, Kernel::Temporal, Kernel::Plain] {
                    let mut buf = pattern.clone();
                    let mut want = pattern.clone();
                    want.copy_within(soff..soff + len, doff);
                    let p = buf.as_mut_ptr();
                    // SAFETY: both ranges lie inside buf; nothing is written back.
                    unsafe { memmove(p.add(doff), p.add(soff), len, WriteBack::None, kernel) };
                    assert_eq!(buf, want, "move len {len} dst {doff} src {soff}");
                    let mut buf = pattern.clone();
                    want = pattern.clone();
                    want[doff..doff + len].fill(0xa5);
                    // SAFETY: the range lies inside buf.
                    unsafe {
                        memset(
                            buf.as_mut_ptr().add(doff),
                            0xa5,
                            len,
                            WriteBack::None,
                            kernel,
                        )
                    };
                    assert_eq!(buf, want, "set len {len} dst {doff}");
                }
            }
        }
    }

    #[test]
    fn generic_copies_and_fills_like_memmove_and_memset() {
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
                unsafe { fill_generic(buf.as_mut_ptr().add(doff), 0xa5, len) };
                assert_eq!(buf, want, "fill len {len} dst {doff}");
            }
        }
    }
}
