//! Valgrind client requests: what pmemcheck and memcheck need to hear from libpmem.
//!
//! pmemcheck tracks stores only in ranges registered as pmem mappings, sees CLFLUSH/SFENCE
//! but not flushes that are skipped (eADR, `PMEM_NO_FLUSH=1`) nor the ordering that makes
//! non-temporal stores durable, and reports a store written twice before it was persisted.
//! memcheck cannot tell a page-rounded msync from a bad one. So, as PMDK does: mappings are
//! registered, skipped flushes and fences are reported, non-temporal copies report their
//! flush after their fence, msync runs with error reporting off and counts as a flush + fence,
//! flushes check that their range is addressable, and under pmemcheck the copies and sets
//! store every byte once and flush and fence in the order PMDK's kernels do (`memmove`,
//! `memset`).
//!
//! Which tool runs is found once (at load, or at the first call before that); outside
//! Valgrind every hook costs a load and a not-taken branch. A client request itself is a few
//! instructions that change nothing on a real CPU.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::arch::must_copy_backward;
use crate::consts::*;
use crate::dispatch;

const VALGRIND: u8 = 1;
const PMEMCHECK: u8 = 2;
const MEMCHECK: u8 = 4;
const UNKNOWN: u8 = 0x80;

/// Which tools run this process (the bits above), or UNKNOWN before `detect`.
static TOOLS: AtomicU8 = AtomicU8::new(UNKNOWN);

// Request codes, from valgrind.h, memcheck.h and pmemcheck.h.
const fn tool_base(a: u8, b: u8) -> usize {
    ((a as usize) << 24) | ((b as usize) << 16)
}
const RUNNING_ON_VALGRIND: usize = 0x1001;
const CHANGE_ERR_DISABLEMENT: usize = 0x1801;
const MC_BASE: usize = tool_base(b'M', b'C');
const MC_CHECK_MEM_IS_ADDRESSABLE: usize = MC_BASE + 4;
const MC_GET_VBITS: usize = MC_BASE + 8;
const PMC_BASE: usize = tool_base(b'P', b'C');
const PMC_REGISTER_PMEM_MAPPING: usize = PMC_BASE;
const PMC_REGISTER_PMEM_FILE: usize = PMC_BASE + 1;
const PMC_REMOVE_PMEM_MAPPING: usize = PMC_BASE + 2;
const PMC_CHECK_IS_PMEM_MAPPING: usize = PMC_BASE + 3;
const PMC_DO_FLUSH: usize = PMC_BASE + 5;
const PMC_DO_FENCE: usize = PMC_BASE + 6;

/// One client request; returns `default` when not under Valgrind or when the running tool
/// does not handle `req`.
///
/// # Safety
/// A request that writes memory (GET_VBITS writes `a3` bytes at `a2`) must be given memory
/// the caller owns; the others only name ranges.
#[inline(always)]
unsafe fn request_raw(default: usize, req: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let args: [usize; 6] = [req, a1, a2, a3, 0, 0];
    let result: usize;
    // SAFETY: Valgrind's amd64 "special instruction" sequence. On a CPU it does nothing: rdi is
    // rotated by 3+13+61+51 = 128 bits (back to its value) and rbx is exchanged with itself, so
    // no register but the flags changes, and rdx keeps `default`. Valgrind recognises the
    // sequence, reads the six words rax points to (`args`, alive across the asm) and puts the
    // result in rdx. A request may write memory the caller passed (see # Safety); the asm is
    // not `nomem`, so the compiler assumes memory may be read or written.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") default => result,
            in("rax") args.as_ptr(),
            options(nostack),
        );
    }
    result
}

/// A client request that writes no memory of the program's (every one here but GET_VBITS).
#[inline(always)]
fn request(default: usize, req: usize, a1: usize, a2: usize, a3: usize) -> usize {
    debug_assert_ne!(req, MC_GET_VBITS);
    // SAFETY: requests other than GET_VBITS only read their arguments as numbers and ranges.
    unsafe { request_raw(default, req, a1, a2, a3) }
}

/// Asks Valgrind which tool runs, as PMDK does: memcheck answers GET_VBITS, pmemcheck says
/// that a range just registered as pmem is pmem.
#[cold]
#[inline(never)]
fn detect() -> u8 {
    let mut tools = 0;
    if request(0, RUNNING_ON_VALGRIND, 0, 0, 0) != 0 {
        tools |= VALGRIND;
        let probe: u64 = 0;
        let mut vbits: u64 = 0;
        let p = &probe as *const u64 as usize;
        let out = &mut vbits as *mut u64 as usize;
        // SAFETY: GET_VBITS writes the 8 bytes of `vbits`, which this frame owns.
        if unsafe { request_raw(0, MC_GET_VBITS, p, out, 8) } != 0 {
            tools |= MEMCHECK;
        }
        request(0, PMC_REGISTER_PMEM_MAPPING, p, 8, 0);
        if request(0, PMC_CHECK_IS_PMEM_MAPPING, p, 8, 0) != 0 {
            tools |= PMEMCHECK;
        }
        request(0, PMC_REMOVE_PMEM_MAPPING, p, 8, 0);
        // The probe must outlive the requests that name it.
        std::hint::black_box((&probe, &vbits));
    }
    TOOLS.store(tools, Ordering::Relaxed);
    tools
}

/// The tools running; outside Valgrind one load and one branch (UNKNOWN is nonzero too, so
/// the not-yet-detected case costs nothing extra on the common path).
#[inline(always)]
fn tools() -> u8 {
    let t = TOOLS.load(Ordering::Relaxed);
    if t == 0 {
        0
    } else {
        known(t)
    }
}

/// `tools` when Valgrind runs, or before detection.
#[cold]
#[inline(never)]
fn known(t: u8) -> u8 {
    if t & UNKNOWN != 0 {
        detect()
    } else {
        t
    }
}

/// Load-time detection (the library's constructor), so that later calls only load a byte.
pub fn init() {
    tools();
}

/// True under any Valgrind tool: the hooks of flush, drain and msync.
#[inline(always)]
pub fn active() -> bool {
    tools() != 0
}

/// True under pmemcheck: the copies and sets take `memmove`/`memset` below.
#[inline(always)]
pub fn pmemcheck() -> bool {
    tools() & PMEMCHECK != 0
}

fn memcheck() -> bool {
    tools() & MEMCHECK != 0
}

/// pmem_map_file: the new mapping (of the file open as `fd`) is pmem to pmemcheck.
pub fn register_mapping(fd: i32, addr: *const u8, len: usize) {
    if pmemcheck() {
        request(0, PMC_REGISTER_PMEM_MAPPING, addr as usize, len, 0);
        request(0, PMC_REGISTER_PMEM_FILE, fd as usize, addr as usize, len);
    }
}

/// pmem_unmap: pmemcheck stops tracking the range.
pub fn remove_mapping(addr: *const u8, len: usize) {
    if pmemcheck() {
        request(0, PMC_REMOVE_PMEM_MAPPING, addr as usize, len, 0);
    }
}

/// Tells pmemcheck that [addr, addr+len) was written back (a flush it cannot see).
fn report_flush(addr: *const u8, len: usize) {
    request(0, PMC_DO_FLUSH, addr as usize, len, 0);
}

/// Tells pmemcheck that earlier flushes are ordered (a fence it cannot see).
fn report_fence() {
    request(0, PMC_DO_FENCE, 0, 0, 0);
}

/// Before a flush of [addr, addr+len): memcheck reports an unaddressable range (a flush of
/// freed memory is a bug of the caller's), and pmemcheck hears of a flush the platform skips
/// (`flush_is_noop`: eADR or `PMEM_NO_FLUSH=1`), since for it those bytes are now durable.
#[cold]
#[inline(never)]
pub fn on_flush(addr: *const u8, len: usize, flush_is_noop: bool) {
    check_addressable(addr, len);
    if flush_is_noop && pmemcheck() {
        report_flush(addr, len);
    }
}

/// memcheck's check that the caller's range is addressable.
#[cold]
#[inline(never)]
pub fn check_addressable(addr: *const u8, len: usize) {
    if memcheck() {
        request(0, MC_CHECK_MEM_IS_ADDRESSABLE, addr as usize, len, 0);
    }
}

/// After a drain whose instruction is none (CLFLUSH orders itself): pmemcheck is told of the
/// fence, as with `--expect-fence-after-clflush=yes` it would otherwise report every flush.
#[cold]
#[inline(never)]
pub fn on_empty_drain() {
    if pmemcheck() {
        report_fence();
    }
}

/// Turns off Valgrind's error reports while alive: an msync is rounded down to its page,
/// which may cover bytes a caller (libpmemobj) marked inaccessible, and that is no bug.
pub struct QuietErrors(());

pub fn quiet_errors() -> QuietErrors {
    request(0, CHANGE_ERR_DISABLEMENT, 1, 0, 0);
    QuietErrors(())
}

impl Drop for QuietErrors {
    fn drop(&mut self) {
        request(0, CHANGE_ERR_DISABLEMENT, usize::MAX, 0, 0);
    }
}

/// After an msync of [addr, addr+len): its bytes are durable, a flush + fence to pmemcheck.
pub fn on_msync(addr: *const u8, len: usize) {
    if pmemcheck() {
        report_flush(addr, len);
        report_fence();
    }
}

/// Whether a copy or set streams, by PMDK's rule (not ours: the choice decides which flushes
/// and fences pmemcheck sees, so PMDK's makes the same report): a hint decides, else the
/// threshold.
fn streams(len: usize, flags: u32) -> bool {
    let d = dispatch::get();
    let no_hint = flags & (PMEM_F_MEM_TEMPORAL | PMEM_F_MEM_WB) == 0;
    // Without a hint nothing streams when nothing needs flushing (eADR, PMEM_NO_FLUSH=1).
    !d.no_movnt
        && (flags & (PMEM_F_MEM_NONTEMPORAL | PMEM_F_MEM_WC) != 0
            || no_hint && !d.flush_is_noop() && len >= d.movnt_threshold)
}

/// What a copy or set stores.
#[derive(Clone, Copy)]
enum Put {
    Copy(*const u8),
    Fill(u8),
}

const LINE: usize = 64;
/// PMDK's streaming loops fence after every 12 lines (a write-combining relief), which
/// pmemcheck sees as fences.
const STREAM_FENCE_EVERY: usize = 12 * LINE;

/// A copy or set as PMDK's AVX kernels order it, which is what pmemcheck's verdicts depend on
/// (a CLFLUSH is also a fence to it, and a fence settles every flushed store, of earlier
/// calls too): the partial first line in copy order stored and flushed; whole lines streamed
/// with a fence every 12 (streamed) or stored 8, 4, 2, 1 at a time and flushed line by line
/// (cached); the partial last line stored and flushed, unless a streamed one of 4, 8, 16 or
/// 32 bytes (one streaming store). Streamed calls then fence and report their flush.
struct Writer {
    dst: *mut u8,
    len: usize,
    put: Put,
    flush_is_noop: bool,
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

    /// PMDK's flush of a piece: CLFLUSH per line, or a reported flush where flushing is off.
    fn flush(&self, off: usize, n: usize) {
        // SAFETY: the piece was just written, so it is mapped.
        let a = unsafe { self.dst.add(off) };
        if self.flush_is_noop {
            report_flush(a, n);
        } else {
            // SAFETY: as above.
            unsafe { dispatch::get().write_back.write_back(a, n) };
        }
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

    /// The whole lines [off, off+n), in copy order (descending when `backward`).
    ///
    /// # Safety
    /// As `store`.
    unsafe fn lines(&self, off: usize, n: usize, streamed: bool, backward: bool) {
        let mut done = 0;
        // SAFETY (both loops): pieces inside [off, off+n), written in copy order.
        unsafe {
            if streamed {
                while n - done >= STREAM_FENCE_EVERY {
                    let at = if backward {
                        off + n - done - STREAM_FENCE_EVERY
                    } else {
                        off + done
                    };
                    self.store(at, STREAM_FENCE_EVERY);
                    crate::arch::x86_64::flush::sfence();
                    done += STREAM_FENCE_EVERY;
                }
                let at = if backward { off } else { off + done };
                self.store(at, n - done);
                return;
            }
            for lines in [8, 4, 2, 1] {
                let group = lines * LINE;
                while n - done >= group {
                    let at = if backward {
                        off + n - done - group
                    } else {
                        off + done
                    };
                    self.store(at, group);
                    for l in 0..lines {
                        self.flush(at + l * LINE, LINE);
                    }
                    done += group;
                    if lines < 8 {
                        break;
                    }
                }
            }
        }
    }

    /// # Safety
    /// As `store`.
    unsafe fn write(&self, streamed: bool, backward: bool) {
        let a = self.dst as usize;
        let len = self.len;
        // SAFETY: the pieces partition [0, len) and are written in copy order.
        unsafe {
            if !backward {
                let head = ((LINE - a % LINE) % LINE).min(len);
                if head > 0 {
                    self.store(0, head);
                    self.flush(0, head);
                }
                let body = (len - head) / LINE * LINE;
                self.lines(head, body, streamed, false);
                if len > head + body {
                    self.edge(head + body, len - head - body, streamed);
                }
            } else {
                let tail = ((a + len) % LINE).min(len);
                if tail > 0 {
                    self.store(len - tail, tail);
                    self.flush(len - tail, tail);
                }
                let body = (len - tail) / LINE * LINE;
                let rest = len - tail - body;
                self.lines(rest, body, streamed, true);
                if rest > 0 {
                    self.edge(0, rest, streamed);
                }
            }
        }
        if streamed {
            crate::arch::x86_64::flush::sfence();
            report_flush(self.dst, len);
        }
    }
}

/// `persist::drain` under pmemcheck: the dispatched drain, and the fence reported when that
/// drain is no instruction (`on_empty_drain`).
fn drain() {
    let d = dispatch::get();
    d.drain.fence();
    if d.drain.is_noop() {
        on_empty_drain();
    }
}

/// A copy or set under pmemcheck, after the empty-call check.
///
/// # Safety
/// As `memops::memmove`; len > 0.
unsafe fn write(dst: *mut u8, put: Put, len: usize, flags: u32) {
    let backward = match put {
        Put::Copy(src) => must_copy_backward(dst, src, len),
        Put::Fill(_) => false,
    };
    let w = Writer {
        dst,
        len,
        put,
        flush_is_noop: dispatch::get().flush_is_noop(),
    };
    if flags & PMEM_F_MEM_NOFLUSH != 0 {
        // SAFETY: forwarded caller contract.
        unsafe { w.store(0, len) };
        return;
    }
    // SAFETY: forwarded caller contract.
    unsafe { w.write(streams(len, flags), backward) };
    if flags & PMEM_F_MEM_NODRAIN == 0 {
        drain();
    }
}

/// pmem_memmove under pmemcheck: every byte stored once (the fast kernels overlap stores at
/// the edges, which `--mult-stores=yes` reports as overwritten before being persisted), and
/// flushes and fences in PMDK's order.
///
/// # Safety
/// As `memops::memmove`.
#[cold]
#[inline(never)]
pub unsafe fn memmove(dst: *mut u8, src: *const u8, len: usize, flags: u32) {
    if len == 0 || std::ptr::eq(dst, src) {
        if flags & (PMEM_F_MEM_NOFLUSH | PMEM_F_MEM_NODRAIN) == 0 {
            drain();
        }
        return;
    }
    // SAFETY: forwarded caller contract.
    unsafe { write(dst, Put::Copy(src), len, flags) }
}

/// pmem_memset under pmemcheck, as `memmove`.
///
/// # Safety
/// As `memops::memset`.
#[cold]
#[inline(never)]
pub unsafe fn memset(dst: *mut u8, c: u8, len: usize, flags: u32) {
    if len == 0 {
        if flags & (PMEM_F_MEM_NOFLUSH | PMEM_F_MEM_NODRAIN) == 0 {
            drain();
        }
        return;
    }
    // SAFETY: forwarded caller contract.
    unsafe { write(dst, Put::Fill(c), len, flags) }
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
    fn requests_are_harmless_outside_valgrind() {
        // The test binary does not run under Valgrind: every request returns its default.
        assert_eq!(request(7, RUNNING_ON_VALGRIND, 0, 0, 0), 7);
        let x = 0u64;
        assert_eq!(
            request(
                0,
                PMC_CHECK_IS_PMEM_MAPPING,
                &x as *const u64 as usize,
                8,
                0
            ),
            0
        );
        assert!(!active() && !pmemcheck() && !memcheck());
    }

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

    #[test]
    fn pmdk_ordered_writes_move_and_set_every_byte() {
        let pattern: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
        let flags = [
            0,
            PMEM_F_MEM_NONTEMPORAL,
            PMEM_F_MEM_TEMPORAL,
            PMEM_F_MEM_NOFLUSH,
        ];
        for len in [1, 3, 4, 8, 16, 31, 32, 63, 64, 65, 255, 256, 300, 777, 1500] {
            for doff in [0, 1, 8, 63] {
                for shift in [-200isize, -3, 0, 5, 100, 1600] {
                    for &f in &flags {
                        let d = 1800 + doff;
                        let s = (d as isize + shift) as usize;
                        let mut buf = pattern.clone();
                        let mut want = pattern.clone();
                        want.copy_within(s..s + len, d);
                        let p = buf.as_mut_ptr();
                        // SAFETY: both ranges lie inside buf.
                        unsafe { write(p.add(d), Put::Copy(p.add(s)), len, f) };
                        assert_eq!(buf, want, "move len {len} dst {d} src {s} flags {f}");
                    }
                }
                let mut buf = pattern.clone();
                let mut want = pattern.clone();
                want[doff..doff + len].fill(0x5a);
                // SAFETY: the range lies inside buf.
                unsafe { write(buf.as_mut_ptr().add(doff), Put::Fill(0x5a), len, 0) };
                assert_eq!(buf, want, "set len {len} dst {doff}");
            }
        }
    }
}
