//! Every kernel (each ISA this CPU has, and the generic one) against the oracle (`Vec` copies
//! done byte by byte in Rust), over random lengths, misalignments and overlaps, with guard bytes
//! around the destination.

use super::*;
use crate::arch::{store_fence as sfence, CpuFeatures, WriteBack};
use crate::dispatch::MemKernels;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Dense below 1 KiB, sometimes up to `max`.
    fn len(&mut self, max: usize) -> usize {
        match self.below(10) {
            0..=6 => self.below(1025),
            7 | 8 => self.below(64 * 1024),
            _ => self.below(max + 1),
        }
    }
}

/// The generic kernels and every set of the architecture's this CPU can run.
fn available_kernels() -> Vec<MemKernels> {
    let mut sets = crate::arch::test_kernels();
    if !sets.iter().any(|k| k.name == "generic") {
        sets.insert(0, crate::arch::portable::GENERIC);
    }
    sets
}

fn flushers() -> Vec<WriteBack> {
    crate::arch::test_write_backs()
}

/// Which of a `MemKernels`' three store strategies a check runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Nt,
    /// Non-temporal with edges written through the cache (`NODRAIN`).
    NtCachedEdges,
    Temporal,
    Plain,
}
const MODES: [Mode; 4] = [Mode::Nt, Mode::NtCachedEdges, Mode::Temporal, Mode::Plain];

/// # Safety
/// As the kernels'.
unsafe fn run_move(k: &MemKernels, mode: Mode, d: *mut u8, s: *const u8, len: usize, f: WriteBack) {
    unsafe {
        match mode {
            Mode::Nt => (k.memmove_nt)(d, s, len, f, Edges::Stream),
            Mode::NtCachedEdges => (k.memmove_nt)(d, s, len, f, Edges::Cached),
            Mode::Temporal => (k.memmove_temporal)(d, s, len, f),
            Mode::Plain => (k.memmove_plain)(d, s, len),
        }
    }
}

const GUARD: usize = 64;
const GUARD_BYTE: u8 = 0xA5;

fn pattern(buf: &mut [u8], seed: u64) {
    let mut r = Rng(seed | 1);
    for b in buf.iter_mut() {
        *b = r.next() as u8;
    }
}

/// Copies between two separate buffers.
fn check_copy(
    k: &MemKernels,
    mode: Mode,
    f: WriteBack,
    len: usize,
    dmis: usize,
    smis: usize,
    seed: u64,
) {
    let mut src = vec![0u8; len + 64 + smis];
    pattern(&mut src, seed);
    let mut dst = vec![GUARD_BYTE; len + 2 * GUARD + 64 + dmis];
    // Start the destination at a 64-aligned address + dmis.
    let base = dst.as_ptr() as usize;
    let off = GUARD + ((64 - (base + GUARD) % 64) % 64) + dmis;
    let d = unsafe { dst.as_mut_ptr().add(off) };
    let s = unsafe { src.as_ptr().add(smis) };
    unsafe { run_move(k, mode, d, s, len, f) };
    sfence();
    assert_eq!(
        &dst[off..off + len],
        &src[smis..smis + len],
        "{} mode={mode:?} len={len} dmis={dmis} smis={smis}",
        k.name
    );
    assert!(
        dst[..off].iter().all(|&b| b == GUARD_BYTE),
        "{} underrun len={len}",
        k.name
    );
    assert!(
        dst[off + len..].iter().all(|&b| b == GUARD_BYTE),
        "{} overrun len={len}",
        k.name
    );
}

/// A move of len bytes by `shift` inside `buf`, the lower of its two ranges starting at
/// `base`: the source and destination offsets, and the buffer as it must be after the move.
fn overlap_case(
    buf: &[u8],
    base: usize,
    len: usize,
    shift: usize,
    backward: bool,
) -> (usize, usize, Vec<u8>) {
    let (so, dof) = if backward {
        (base, base + shift)
    } else {
        (base + shift, base)
    };
    let mut expect = buf.to_vec();
    expect.copy_within(so..so + len, dof);
    (so, dof, expect)
}

/// A move inside one buffer, destination `shift` bytes after (or before) the source.
fn check_overlap(k: &MemKernels, mode: Mode, len: usize, shift: usize, backward: bool, seed: u64) {
    let total = len + shift + 2 * GUARD;
    let mut buf = vec![0u8; total];
    pattern(&mut buf, seed);
    let (so, dof, expect) = overlap_case(&buf, GUARD, len, shift, backward);
    let p = buf.as_mut_ptr();
    unsafe {
        let (d, s) = (p.add(dof), p.add(so) as *const u8);
        run_move(k, mode, d, s, len, WriteBack::None)
    };
    sfence();
    assert!(
        buf == expect,
        "{} mode={mode:?} overlap len={len} shift={shift} backward={backward}",
        k.name
    );
}

fn check_set(k: &MemKernels, mode: Mode, len: usize, dmis: usize, c: u8) {
    let wb = flushers()[1];
    let mut dst = vec![GUARD_BYTE; len + 2 * GUARD + 64 + dmis];
    let base = dst.as_ptr() as usize;
    let off = GUARD + ((64 - (base + GUARD) % 64) % 64) + dmis;
    unsafe {
        let d = dst.as_mut_ptr().add(off);
        match mode {
            Mode::Nt => (k.memset_nt)(d, c, len, wb, Edges::Stream),
            Mode::NtCachedEdges => (k.memset_nt)(d, c, len, wb, Edges::Cached),
            Mode::Temporal => (k.memset_temporal)(d, c, len, wb),
            Mode::Plain => (k.memset_plain)(d, c, len),
        }
    };
    sfence();
    assert!(
        dst[off..off + len].iter().all(|&b| b == c),
        "{} mode={mode:?} set len={len} dmis={dmis}",
        k.name
    );
    assert!(
        dst[..off].iter().all(|&b| b == GUARD_BYTE),
        "{} set underrun",
        k.name
    );
    assert!(
        dst[off + len..].iter().all(|&b| b == GUARD_BYTE),
        "{} set overrun",
        k.name
    );
}

#[test]
fn every_kernel_small_sizes_every_alignment() {
    for k in available_kernels() {
        for mode in MODES {
            for len in 0..300 {
                for dmis in [0, 1, 7, 8, 15, 16, 31, 33, 63] {
                    check_copy(
                        &k,
                        mode,
                        WriteBack::None,
                        len,
                        dmis,
                        (len * 7 + dmis) % 64,
                        len as u64,
                    );
                    check_set(&k, mode, len, dmis, len as u8);
                }
            }
        }
    }
}

/// Whole lines at a line-aligned destination (the kernels' direct path up to 1 KiB and the
/// split beyond it), every source misalignment class.
#[test]
fn every_kernel_whole_lines() {
    for k in available_kernels() {
        for mode in MODES {
            for len in (64..=2112).step_by(64) {
                for smis in [0, 1, 8, 32, 63] {
                    check_copy(&k, mode, WriteBack::None, len, 0, smis, (len + smis) as u64);
                }
                check_set(&k, mode, len, 0, len as u8);
            }
        }
    }
}

/// Overlapping moves around the small-copy and streamed-edge boundaries, every short distance.
#[test]
fn every_kernel_small_overlaps() {
    for k in available_kernels() {
        for mode in MODES {
            for len in (0..600).step_by(7).chain(240..272) {
                for shift in 1..=80 {
                    for backward in [false, true] {
                        check_overlap(&k, mode, len, shift, backward, (len * 131 + shift) as u64);
                    }
                }
            }
        }
    }
}

/// Streamed bodies just below, at and above the length from which the narrow-long kernels
/// stream through AVX2, for copies and for overlapping moves both ways.
#[cfg(target_arch = "x86_64")]
#[test]
fn every_kernel_around_the_narrow_stream_length() {
    use crate::arch::x86_64::kernels::NARROW_STREAMS_FROM as N;
    for k in available_kernels() {
        for mode in [Mode::Nt, Mode::NtCachedEdges] {
            for len in [N - 64, N - 1, N, N + 1, N + 63, N + 64, N + 130] {
                for dmis in [0, 1, 33, 63] {
                    let smis = (dmis * 3 + len) % 64;
                    check_copy(&k, mode, WriteBack::None, len, dmis, smis, len as u64);
                }
                for shift in [1, 64, 4096, len / 2] {
                    for backward in [false, true] {
                        check_overlap(&k, mode, len, shift, backward, (len + shift) as u64);
                    }
                }
            }
        }
    }
}

/// The narrow-long kernels hand a body to the narrower loop exactly from the switch length
/// on, forwards and backwards, with either kind of edges (their AVX-512 shape on AVX2, whose
/// narrower loop counts its calls on this thread).
#[cfg(target_arch = "x86_64")]
#[test]
fn narrow_long_kernels_switch_loops_at_the_length() {
    use crate::arch::x86_64::avx2::wide64::counted_narrow::CALLS;
    use crate::arch::x86_64::kernels::NARROW_STREAMS_FROM as N;
    if !CpuFeatures::detect().avx2 {
        return;
    }
    let k =
        crate::arch::x86_64::decide::kernels_by_name("avx512-shape-on-avx2-narrow-long").unwrap();
    let calls = || CALLS.with(|c| c.get());
    for mode in [Mode::Nt, Mode::NtCachedEdges] {
        // Line-aligned copies: the body is the whole length.
        let before = calls();
        check_copy(&k, mode, WriteBack::None, N - 64, 0, 3, 1);
        assert_eq!(
            calls(),
            before,
            "{mode:?}: a body below the switch stays wide"
        );
        check_copy(&k, mode, WriteBack::None, N, 0, 3, 2);
        assert_eq!(
            calls(),
            before + 1,
            "{mode:?}: a body at the switch narrows"
        );
        // A backward move whose body is at least N bytes whatever its edges.
        check_overlap(&k, mode, N + 130, 4096, true, 3);
        assert_eq!(calls(), before + 2, "{mode:?}: backward bodies narrow too");
    }
}

#[test]
fn every_kernel_random_sizes_and_overlaps() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let fl = flushers();
    for k in available_kernels() {
        for round in 0..300 {
            let mode = MODES[round % MODES.len()];
            let len = r.len(8 << 20);
            let (dmis, smis) = (r.below(64), r.below(64));
            let f = fl[r.below(fl.len())];
            check_copy(&k, mode, f, len, dmis, smis, r.next());
            check_set(&k, mode, len, dmis, r.next() as u8);
            let shift = match r.below(3) {
                0 => 1 + r.below(8),
                1 => 1 + r.below(128),
                _ => 1 + r.below(len.max(1) + 64),
            };
            check_overlap(&k, mode, len.min(1 << 20), shift, r.below(2) == 0, r.next());
        }
    }
}

/// The flag logic of pmem_memmove/pmem_memset through one dispatch table: random lengths
/// and overlaps in both directions, every flag combination (and unknown bits).
fn check_every_flag(d: &Dispatch, what: &str) {
    let mut r = Rng(42);
    for flags in (0..128u32).map(Flags::from_bits_retain) {
        for _ in 0..20 {
            let len = r.len(1 << 20);
            let shift = r.below(200);
            let mut buf = vec![0u8; len + shift + 128];
            pattern(&mut buf, r.next());
            let mut expect = buf.clone();
            let (so, dof) = if r.below(2) == 0 {
                (0, shift)
            } else {
                (shift, 0)
            };
            expect.copy_within(so..so + len, dof);
            // SAFETY: both ranges lie inside buf; d was decided for this CPU.
            unsafe {
                let p = buf.as_mut_ptr();
                memmove_with(d, p.add(dof), p.add(so), len, flags);
            }
            assert!(
                buf == expect,
                "{what}: flags={flags:?} len={len} shift={shift}"
            );
            let c = r.next() as u8;
            let at = r.below(64);
            // SAFETY: as above.
            unsafe { memset_with(d, buf.as_mut_ptr().add(at), c, len, flags) };
            assert!(
                buf[at..at + len].iter().all(|&b| b == c),
                "{what}: memset flags={flags:?} len={len}"
            );
        }
    }
}

#[test]
fn every_flag_combination() {
    check_every_flag(dispatch::get(), "this process's table");
}

/// Every class's strategy on this CPU (its kernels, edges, small streams, cached moves), and
/// with nothing flushed (eADR).
#[test]
fn every_flag_combination_in_every_class() {
    use crate::arch::CpuClass;
    let cpu = CpuFeatures::detect();
    for class in CpuClass::ALL {
        let cfg = crate::config::Config {
            cpu_class: Some(class),
            ..Default::default()
        };
        for auto_flush in [false, true] {
            let d = dispatch::decide(&cpu, &cfg, auto_flush);
            check_every_flag(&d, &d.description());
        }
    }
}

/// The table under pmemcheck, with flushes made and skipped (reported), and with CLFLUSH
/// (its drain reported).
#[test]
fn every_flag_combination_under_pmemcheck() {
    let cpu = CpuFeatures::detect();
    for no_clflushopt in [false, true] {
        let cfg = crate::config::Config {
            no_clwb: no_clflushopt,
            no_clflushopt,
            ..Default::default()
        };
        for auto_flush in [false, true] {
            let d = dispatch::for_pmemcheck(dispatch::decide(&cpu, &cfg, auto_flush));
            // PMDK's rule: a hint, else the threshold; nothing skipped goes unreported.
            assert!(!d.stream_small_persists && !d.cached_moves);
            let pmemcheck = crate::arch::PMEMCHECK_KERNELS;
            assert_eq!(d.kernels.name, pmemcheck.name);
            assert_eq!(d.kernels.streams_fenced, pmemcheck.streams_fenced);
            assert_eq!(d.write_back, d.write_back.for_pmemcheck());
            assert_eq!(d.drain, d.drain.for_pmemcheck());
            // PMDK's eADR copy streams only PMEM_F_MEM_NONTEMPORAL calls, not WC ones; so
            // does a CPU with nothing to write back with.
            let wc = if d.flush_is_noop() {
                Stores::Cache
            } else {
                Stores::Stream
            };
            assert_eq!(stores(&d, 4096, Flags::WC, None), wc);
            assert_eq!(stores(&d, 8, Flags::NONTEMPORAL, None), Stores::Stream);
            check_every_flag(&d, &d.description());
        }
    }
}

/// `CachedDst` counts the destination lines that hold source bytes, for both directions.
#[test]
fn cached_destination_lines() {
    let at = |a: usize| a as *const u8;
    // Counted in the architecture's lines (64 or 128 bytes).
    const L: usize = CACHELINE;
    // Far apart, or adjacent without a shared line: nothing known cached.
    assert_eq!(
        CachedDst::of_move(at(0x10000), at(0x20000), 4096),
        CachedDst::NONE
    );
    assert_eq!(CachedDst::of_move(at(0x11000), at(0x10000), 4096).lines, 0);
    // Adjacent, sharing one line (of 65 64-byte ones): cached in part, not mostly.
    let c = CachedDst::of_move(at(0x10ff9), at(0x10000), 4096);
    assert_eq!((c.lines, c.of), (1, 4096 / L + 1));
    assert!(!c.write_through(4096));
    // The bench's shape: the destination half over the source, both ends off the line.
    for (dst, src) in [(0x10000 + 2060, 0x10007), (0x10007, 0x10000 + 2060)] {
        let c = CachedDst::of_move(at(dst), at(src), 4096);
        assert_eq!(
            (c.lines, c.of),
            (2048 / L + 1, 4096 / L + 1),
            "{dst:#x} {src:#x}"
        );
        assert!(c.write_through(4096));
    }
    // A one-byte shift: every line but the one past the source.
    let c = CachedDst::of_move(at(0x10001), at(0x10000), 256);
    assert_eq!((c.lines, c.of, c.shift), (256 / L, 256 / L + 1, 1));
    assert!(c.write_through(256));
    // Close enough but too long, or long enough ago that the lines are gone.
    let mib = 1 << 20;
    let c = CachedDst::of_move(at(0x1000_0040), at(0x1000_0000), 16 * mib);
    assert!(c.write_through(4 * mib) && !c.write_through(16 * mib));
    let c = CachedDst::of_move(at(0x1000_0000 + mib / 2), at(0x1000_0000), mib);
    assert!(c.lines * 2 >= c.of && !c.write_through(mib));
    // Three quarters apart: a quarter of the lines.
    let c = CachedDst::of_move(at(0x10000 + 3072), at(0x10000), 4096);
    assert_eq!((c.lines, c.of), (1024 / L, 4096 / L));
    assert!(!c.write_through(4096));
}

/// The source-free lead of a cached move: whole destination lines up to the source's first
/// line (forward) or down from the end of its last line (backward).
#[test]
fn source_free_lead_stops_at_the_source_lines() {
    let at = |a: usize| a as *const u8;
    // Forward, dst line-aligned, source half a length above: everything below its line.
    assert_eq!(
        source_free_lead(at(0x10000), at(0x10000 + 2048), 4096),
        2048
    );
    // Forward, both off the line: up to the line that holds the source's first byte.
    assert_eq!(
        source_free_lead(at(0x10007), at(0x10007 + 2053), 4096),
        2048 - 7
    );
    // Backward: from the end of the source's last line to the destination's end.
    assert_eq!(
        source_free_lead(at(0x10000 + 2048), at(0x10000), 4096),
        2048
    );
    assert_eq!(
        source_free_lead(at(0x10007 + 2053), at(0x10007), 4096),
        0x10007 + 2053 + 4096 - (0x10007 + 4096usize).next_multiple_of(CACHELINE)
    );
    // A shift inside one line: no line is free of source bytes.
    assert_eq!(source_free_lead(at(0x10001), at(0x10009), 4096), 0);
    assert_eq!(source_free_lead(at(0x10009), at(0x10001), 4096), 0);
}

/// Close overlapping moves that stream their source-free lines and write the rest through
/// the cache (`cached_move`), through `memmove` as the exports call it: the bytes
/// of a plain `copy_within`, nothing written outside the destination, for each direction
/// and misalignment, drained and `NODRAIN` (which split) and `WC` (which streams it all).
/// tests-c's t_mem.c asks the same shape (delta 32771) of PMDK and of us.
#[test]
fn close_moves_stream_their_source_free_lines() {
    let d = dispatch::get();
    let default_config = d.cached_moves && !d.no_movnt && !d.flush_is_noop();
    let mut r = Rng(7);
    for &(len, shift) in &[
        (8192, 4096),
        (8192 + 13, 4096 + 5),
        (16384, 8192),
        (65536, 32768),
        (65536 + 7, 40000),
        (200_000, 65536),
        (1 << 20, 60000),
    ] {
        for backward in [false, true] {
            for mis in [0, 7, 63] {
                for flags in [Flags::empty(), Flags::NODRAIN, Flags::WC | Flags::TEMPORAL] {
                    let mut buf = vec![GUARD_BYTE; len + shift + 2 * GUARD + 64];
                    let base = GUARD + (64 - buf.as_ptr() as usize % 64) % 64 + mis;
                    pattern(&mut buf[base..base + len + shift], r.next());
                    let (so, dof, expect) = overlap_case(&buf, base, len, shift, backward);
                    let p = buf.as_mut_ptr();
                    // SAFETY: both ranges lie inside buf.
                    let (dp, sp) = unsafe { (p.add(dof), p.add(so) as *const u8) };
                    let how = stores(d, len, flags, Some((dp, sp)));
                    let half_shared = 2 * shift <= len;
                    if default_config
                        && mis == 0
                        && shift % 64 == 0
                        && half_shared
                        && !flags.contains(Flags::WC)
                    {
                        // Line-aligned shapes written through the cache (at least half of
                        // the lines shared): the destination below (forward) or above
                        // (backward) the source streams, all of it.
                        assert_eq!(how, Stores::CachedMove, "{len} {shift}");
                        assert_eq!(cached_move_streamed(dp, sp, len), Some(shift));
                    }
                    if flags.contains(Flags::WC) {
                        assert_eq!(how, Stores::Stream);
                    }
                    // SAFETY: as above.
                    unsafe { memmove(dp, sp, len, flags) };
                    sfence();
                    assert!(
                        buf == expect,
                        "len={len} shift={shift} backward={backward} mis={mis} flags={flags:?}"
                    );
                }
            }
        }
    }
}
