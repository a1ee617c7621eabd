//! The dispatch table: which flush instruction, fence and copy kernels this process uses.
//!
//! Resolved once, by the load-time constructor (`init`), from CPUID, the `PMEM_*` environment
//! and the platform's persistence domain. A `OnceLock` makes any earlier caller (a program's
//! `.preinit_array`, a static link that dropped the constructor) resolve it on first use
//! instead of crashing, which is what PMDK does there.

use std::sync::OnceLock;

#[cfg(test)]
use crate::arch::x86_64::avx2::wide64;
use crate::arch::x86_64::cpu::CpuFeatures;
use crate::arch::x86_64::flush::{Fence, WriteBack};
use crate::arch::x86_64::kernels::{Edges, Prefetch, NARROW_STREAMS_FROM};
use crate::arch::x86_64::{avx2, avx512, pmemcheck, sse2};
use crate::config::Config;
use crate::inline_str::InlineStr;
use crate::strategy::{CpuClass, Strategy};

/// One instruction set's kernels, which `memops` calls. The NT kernels write back the bytes
/// they store temporally (a range of 1-3 bytes, edges as `Edges` says, and an overlapping
/// move's edges in lines it loaded) with the given `WriteBack` and end without a fence; the
/// temporal ones write back everything they wrote; the plain ones write back nothing.
#[derive(Clone, Copy)]
pub struct MemKernels {
    pub name: &'static str,
    /// The ISA of the ordinary-store (temporal and plain) kernels (`name` unless a
    /// strategy narrows them).
    pub cached_name: &'static str,
    /// The source prefetch windows the kernels were instantiated with.
    pub prefetch: Prefetch,
    /// Copies' streamed bodies from this length on take the AVX2 loop (`usize::MAX`: none).
    pub narrow_from: usize,
    pub memmove_nt: unsafe fn(*mut u8, *const u8, usize, WriteBack, Edges),
    pub memset_nt: unsafe fn(*mut u8, u8, usize, WriteBack, Edges),
    pub memmove_temporal: unsafe fn(*mut u8, *const u8, usize, WriteBack),
    pub memset_temporal: unsafe fn(*mut u8, u8, usize, WriteBack),
    pub memmove_plain: unsafe fn(*mut u8, *const u8, usize),
    pub memset_plain: unsafe fn(*mut u8, u8, usize),
    /// The NT kernels end with their own fence (pmemcheck's, in PMDK's order), so `memops`
    /// adds none for their streams.
    pub streams_fenced: bool,
}

// On its own two cache lines, whatever the linker puts next to it.
#[repr(align(64))]
pub struct Dispatch {
    /// The CPU class whose strategy this process follows (`PMEM_CPU_CLASS` overrides it).
    pub class: CpuClass,
    /// Write-back of pmem_flush and the memops (`None` when flushing is off).
    pub write_back: WriteBack,
    /// Write-back of pmem_deep_flush: always the real instruction.
    pub deep_write_back: WriteBack,
    /// pmem_drain's fence: none for CLFLUSH (streaming stores still need one).
    pub drain: Fence,
    pub kernels: MemKernels,
    pub movnt_threshold: usize,
    /// Stream persisted copies of any size (no hint, drained, destination lines not cached):
    /// where the strategy says so, unless PMEM_MOVNT_THRESHOLD is set.
    pub stream_small_persists: bool,
    /// Overlapping moves whose destination lines are mostly cached go through the cache
    /// whatever their length (`memops::CachedDst::write_through`): where the strategy says
    /// so, unless PMEM_MOVNT_THRESHOLD is set.
    pub cached_moves: bool,
    /// How drained non-temporal calls write their partial-line edges.
    pub drained_edges: Edges,
    pub no_movnt: bool,
    pub wc_workaround: bool,
    /// With nothing to write back (eADR, PMEM_NO_FLUSH=1), stream only calls that ask for
    /// PMEM_F_MEM_NONTEMPORAL, as PMDK's eADR copy does, not PMEM_F_MEM_WC ones: under
    /// pmemcheck, so that the store log is PMDK's.
    pub wc_cached_without_flush: bool,
}

/// The kernels of one instruction set, with a strategy's prefetch windows and the length
/// from which copies stream through narrower vectors (`usize::MAX`: never).
macro_rules! kernels_of {
    ($isa:ident, $name:literal, $prefetch:expr) => {
        kernels_of!($isa, $name, $prefetch, usize::MAX)
    };
    ($isa:ident, $name:literal, $prefetch:expr, $narrow_from:expr) => {
        MemKernels {
            name: $name,
            cached_name: $name,
            prefetch: $prefetch,
            narrow_from: $narrow_from,
            memmove_nt: $isa::memmove_nt::<{ $prefetch.stream_max() }, { $narrow_from }>,
            memset_nt: $isa::memset_nt,
            memmove_temporal: $isa::memmove_temporal::<{ $prefetch.temporal_max() }>,
            memset_temporal: $isa::memset_temporal,
            memmove_plain: $isa::memmove_plain,
            memset_plain: $isa::memset_plain,
            streams_fenced: false,
        }
    };
}

/// The vector instruction sets with a kernel module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Avx512f,
    Avx2,
    Sse2,
}

/// One instruction set's kernels with the given prefetch windows; the AVX-512 ones with long
/// copies streamed through AVX2 when `narrow` (only the Zen 4 strategy asks for that, with
/// its prefetch windows).
const fn isa_kernels(isa: Isa, prefetch: Prefetch, narrow: bool) -> MemKernels {
    use Prefetch::{Off, Streams, StreamsWindowedTemporal as Long, Window};
    const NARROW: usize = NARROW_STREAMS_FROM;
    match (isa, prefetch) {
        (Isa::Avx512f, Long) if narrow => kernels_of!(avx512, "avx512f", Long, NARROW),
        (Isa::Avx512f, Long) => kernels_of!(avx512, "avx512f", Long),
        (Isa::Avx512f, Window) => kernels_of!(avx512, "avx512f", Window),
        (Isa::Avx512f, Streams) => kernels_of!(avx512, "avx512f", Streams),
        (Isa::Avx512f, Off) => kernels_of!(avx512, "avx512f", Off),
        (Isa::Avx2, Long) => kernels_of!(avx2, "avx2", Long),
        (Isa::Avx2, Window) => kernels_of!(avx2, "avx2", Window),
        (Isa::Avx2, Streams) => kernels_of!(avx2, "avx2", Streams),
        (Isa::Avx2, Off) => kernels_of!(avx2, "avx2", Off),
        (Isa::Sse2, Long) => kernels_of!(sse2, "sse2", Long),
        (Isa::Sse2, Window) => kernels_of!(sse2, "sse2", Window),
        (Isa::Sse2, Streams) => kernels_of!(sse2, "sse2", Streams),
        (Isa::Sse2, Off) => kernels_of!(sse2, "sse2", Off),
    }
}

/// The widest vector kernels the CPU has and the environment allows (`PMEM_AVX512F=0`,
/// `PMEM_AVX=0` take them away), with the strategy's prefetch windows for that width; the
/// strategy may keep ordinary stores at AVX2.
pub fn choose_kernels(cpu: &CpuFeatures, cfg: &Config, strategy: &Strategy) -> MemKernels {
    let avx_allowed = cfg.avx != Some(false);
    let isa = if cpu.avx512f && avx_allowed && cfg.avx512f != Some(false) {
        Isa::Avx512f
    } else if cpu.avx2 && avx_allowed {
        Isa::Avx2
    } else {
        Isa::Sse2
    };
    let prefetch = strategy.prefetch.for_kernels(isa == Isa::Avx512f);
    let nt = isa_kernels(isa, prefetch, strategy.narrow_long_streams);
    if isa != Isa::Avx512f || strategy.wide_cached_stores || !cpu.avx2 {
        return nt;
    }
    let cached = isa_kernels(Isa::Avx2, prefetch, false);
    MemKernels {
        cached_name: cached.name,
        memmove_temporal: cached.memmove_temporal,
        memset_temporal: cached.memset_temporal,
        memmove_plain: cached.memmove_plain,
        memset_plain: cached.memset_plain,
        ..nt
    }
}

/// Kernels for tests that force one instruction set (with the Zen prefetch windows, whose
/// 1-256 KiB copies take the prefetch paths).
#[cfg(test)]
pub fn kernels_by_name(name: &str) -> Option<MemKernels> {
    match name {
        "avx512f" => Some(isa_kernels(Isa::Avx512f, Prefetch::Window, false)),
        "avx512f-narrow-long" => Some(isa_kernels(
            Isa::Avx512f,
            Prefetch::StreamsWindowedTemporal,
            true,
        )),
        "avx2" => Some(isa_kernels(Isa::Avx2, Prefetch::Window, false)),
        "sse2" => Some(isa_kernels(Isa::Sse2, Prefetch::Window, false)),
        "pmemcheck" => Some(PMEMCHECK_KERNELS),
        "avx512-shape-on-avx2" => Some(kernels_of!(
            wide64,
            "avx512-shape-on-avx2",
            Prefetch::Window
        )),
        "avx512-shape-on-avx2-narrow-long" => Some(kernels_of!(
            wide64,
            "avx512-shape-on-avx2-narrow-long",
            Prefetch::StreamsWindowedTemporal,
            NARROW_STREAMS_FROM
        )),
        _ => None,
    }
}

/// The whole decision, from what the CPU has (and so its class's strategy), what the
/// environment asks and whether the platform flushes caches on power loss (eADR,
/// `auto_flush`).
pub fn decide(cpu: &CpuFeatures, cfg: &Config, auto_flush: bool) -> Dispatch {
    let (instr, drain) = if cpu.clwb && !cfg.no_clwb {
        (WriteBack::Clwb, Fence::Sfence)
    } else if cpu.clflushopt && !cfg.no_clflushopt {
        (WriteBack::Clflushopt, Fence::Sfence)
    } else {
        (WriteBack::Clflush, Fence::None)
    };

    // PMEM_NO_FLUSH=1 skips flushes, =0 forces them even on eADR platforms.
    let skip_flush = match cfg.no_flush {
        Some(v) => v,
        None => auto_flush,
    };
    let write_back = if skip_flush { WriteBack::None } else { instr };

    let class = cfg.cpu_class.unwrap_or_else(|| CpuClass::of(cpu));
    let strategy = class.strategy();
    let kernels = choose_kernels(cpu, cfg, &strategy);
    let movnt_threshold = cfg.movnt_threshold.unwrap_or(strategy.movnt_threshold);
    // Only where a persisted copy can stream at all (not with PMEM_NO_MOVNT=1, nor when
    // nothing is flushed: then ordinary stores are used, as in PMDK); an explicit threshold
    // is the user's choice of where streaming starts.
    let may_stream = cfg.movnt_threshold.is_none() && !cfg.no_movnt && !skip_flush;
    let stream_small_persists = may_stream && strategy.small_persists_stream;
    let cached_moves = may_stream && strategy.close_moves_cached;
    Dispatch {
        class,
        write_back,
        deep_write_back: instr,
        drain,
        kernels,
        movnt_threshold,
        stream_small_persists,
        cached_moves,
        drained_edges: strategy.drained_edges,
        no_movnt: cfg.no_movnt,
        wc_workaround: cfg.wc_workaround.unwrap_or(false),
        wc_cached_without_flush: false,
    }
}

impl Dispatch {
    /// The decision in one line, for the log and the tests. Formatted when asked, not kept:
    /// a String in the table was the one heap block left at exit (memcheck: "still reachable").
    pub fn description(&self) -> InlineStr<384> {
        let k = &self.kernels;
        // e.g. "avx512f nt (copies avx2 from 32K), avx2 cached"
        let copy = match (self.no_movnt, k.narrow_from != usize::MAX) {
            (true, _) => InlineStr::<96>::format(format_args!("temporal only")),
            (false, false) => InlineStr::format(format_args!("{} nt", k.name)),
            (false, true) => InlineStr::format(format_args!(
                "{} nt (copies avx2 from {}K)",
                k.name,
                k.narrow_from / 1024
            )),
        };
        let cached = if k.cached_name != k.name && !self.no_movnt {
            k.cached_name
        } else {
            ""
        };
        let flag = |on: bool, text: &'static str| if on { text } else { "" };
        InlineStr::format(format_args!(
            "cpu class: {}, flush: {} (deep: {}), drain: {}, copy: {}{}{cached}{}, \
             threshold {}{}{}, nt edges {}, prefetch {}",
            self.class.name(),
            self.write_back.name(),
            self.deep_write_back.name(),
            self.drain.name(),
            &*copy,
            flag(!cached.is_empty(), ", "),
            flag(!cached.is_empty(), " cached"),
            self.movnt_threshold,
            flag(self.stream_small_persists, ", small persists streamed"),
            flag(self.cached_moves, ", close overlapping moves cached"),
            match self.drained_edges {
                Edges::Stream => "streamed",
                Edges::Cached => "cached",
            },
            k.prefetch,
        ))
    }

    /// True when nothing is written back (eADR platform or PMEM_NO_FLUSH=1).
    #[inline(always)]
    pub fn flush_is_noop(&self) -> bool {
        self.write_back.is_skipped()
    }
}

/// The kernels that store as PMDK's do, in PMDK's order (`arch::x86_64::pmemcheck`).
const PMEMCHECK_KERNELS: MemKernels = MemKernels {
    name: "pmemcheck",
    cached_name: "pmemcheck",
    prefetch: Prefetch::Off,
    narrow_from: usize::MAX,
    memmove_nt: pmemcheck::memmove_nt,
    memset_nt: pmemcheck::memset_nt,
    memmove_temporal: pmemcheck::memmove_temporal,
    memset_temporal: pmemcheck::memset_temporal,
    memmove_plain: pmemcheck::memmove_plain,
    memset_plain: pmemcheck::memset_plain,
    streams_fenced: true,
};

/// The table under pmemcheck, whose reports depend on the order of stores, flushes and fences:
/// PMDK's kernels and PMDK's streaming rule (a hint decides, else the threshold), and the
/// flushes and fences the platform skips reported to it.
pub fn for_pmemcheck(d: Dispatch) -> Dispatch {
    Dispatch {
        kernels: PMEMCHECK_KERNELS,
        write_back: match d.write_back {
            WriteBack::None => WriteBack::Reported,
            w => w,
        },
        drain: match d.drain {
            Fence::None => Fence::Reported,
            f => f,
        },
        stream_small_persists: false,
        cached_moves: false,
        wc_cached_without_flush: true,
        ..d
    }
}

static TABLE: OnceLock<Dispatch> = OnceLock::new();

/// The table of this process, resolving it on first use.
#[inline]
pub fn get() -> &'static Dispatch {
    TABLE.get_or_init(|| {
        let cpu = CpuFeatures::detect();
        let auto_flush = crate::sysfs::has_auto_flush(crate::sysfs::SYSFS_ROOT) == 1;
        let mut d = decide(&cpu, crate::config::get(), auto_flush);
        if crate::valgrind::pmemcheck() {
            d = for_pmemcheck(d);
        }
        crate::log::pmem_log!(Info, "cpu: {cpu}, auto flush: {auto_flush}");
        crate::log::pmem_log!(Notice, "{}", d.description());
        d
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::x86_64::cpu::Vendor;
    use crate::strategy::{INTEL_SERVER, PMDK};

    fn cpu(clwb: bool, clflushopt: bool) -> CpuFeatures {
        CpuFeatures {
            clflushopt,
            clwb,
            ..Default::default()
        }
    }

    fn zen() -> CpuFeatures {
        CpuFeatures {
            vendor: Vendor::Amd,
            family: 0x19,
            model: 0x01,
            avx2: true,
            ..cpu(true, true)
        }
    }

    fn zen4() -> CpuFeatures {
        CpuFeatures {
            model: 0x11,
            avx512f: true,
            ..zen()
        }
    }

    /// Zen 4's long copies stream through AVX2, only beside AVX-512 kernels and only in its
    /// own row.
    #[test]
    fn zen4_narrows_long_streams() {
        let cfg = Config::default();
        let d = decide(&zen4(), &cfg, false);
        assert_eq!(d.class, CpuClass::AmdZen4);
        assert_eq!(
            (d.kernels.name, d.kernels.narrow_from),
            ("avx512f", NARROW_STREAMS_FROM)
        );
        let no512 = Config {
            avx512f: Some(false),
            ..Default::default()
        };
        let d = decide(&zen4(), &no512, false);
        assert_eq!(
            (d.kernels.name, d.kernels.narrow_from),
            ("avx2", usize::MAX)
        );
        let as_zen = Config {
            cpu_class: Some(CpuClass::AmdZen),
            ..Default::default()
        };
        let d = decide(&zen4(), &as_zen, false);
        assert_eq!(
            (d.kernels.name, d.kernels.narrow_from),
            ("avx512f", usize::MAX)
        );
        for class in [CpuClass::IntelServer, CpuClass::Other] {
            assert!(!class.strategy().narrow_long_streams);
        }
    }

    fn icelake_server() -> CpuFeatures {
        CpuFeatures {
            vendor: Vendor::Intel,
            family: 6,
            model: 0x6a,
            avx2: true,
            avx512f: true,
            ..cpu(true, true)
        }
    }

    #[test]
    fn flush_instruction_preference() {
        let cfg = Config::default();
        let d = decide(&cpu(true, true), &cfg, false);
        assert_eq!((d.write_back, d.drain), (WriteBack::Clwb, Fence::Sfence));
        let d = decide(&cpu(false, true), &cfg, false);
        assert_eq!(
            (d.write_back, d.drain),
            (WriteBack::Clflushopt, Fence::Sfence)
        );
        let d = decide(&cpu(false, false), &cfg, false);
        assert_eq!((d.write_back, d.drain), (WriteBack::Clflush, Fence::None));
    }

    #[test]
    fn env_overrides_flush_instruction() {
        let cfg = Config {
            no_clwb: true,
            ..Default::default()
        };
        assert_eq!(
            decide(&cpu(true, true), &cfg, false).write_back,
            WriteBack::Clflushopt
        );
        let cfg = Config {
            no_clwb: true,
            no_clflushopt: true,
            ..Default::default()
        };
        assert_eq!(
            decide(&cpu(true, true), &cfg, false).write_back,
            WriteBack::Clflush
        );
    }

    #[test]
    fn no_flush_and_auto_flush() {
        let d = decide(&cpu(true, true), &Config::default(), true);
        assert_eq!(
            (d.write_back, d.deep_write_back),
            (WriteBack::None, WriteBack::Clwb)
        );
        let cfg = Config {
            no_flush: Some(false),
            ..Default::default()
        };
        assert_eq!(
            decide(&cpu(true, true), &cfg, true).write_back,
            WriteBack::Clwb
        );
        let cfg = Config {
            no_flush: Some(true),
            ..Default::default()
        };
        assert_eq!(
            decide(&cpu(true, true), &cfg, false).write_back,
            WriteBack::None
        );
    }

    #[test]
    fn kernel_choice_follows_cpu_and_env() {
        let all = CpuFeatures {
            avx2: true,
            avx512f: true,
            ..cpu(true, true)
        };
        let pick = |cpu: &CpuFeatures, cfg: &Config| choose_kernels(cpu, cfg, &PMDK).name;
        assert_eq!(pick(&all, &Config::default()), "avx512f");
        let cfg = Config {
            avx512f: Some(false),
            ..Default::default()
        };
        assert_eq!(pick(&all, &cfg), "avx2");
        let cfg = Config {
            avx: Some(false),
            ..Default::default()
        };
        assert_eq!(pick(&all, &cfg), "sse2");
        assert_eq!(pick(&cpu(true, true), &Config::default()), "sse2");
    }

    #[test]
    fn intel_servers_keep_ordinary_stores_at_avx2() {
        let cfg = Config::default();
        let k = choose_kernels(&icelake_server(), &cfg, &INTEL_SERVER);
        assert_eq!((k.name, k.cached_name), ("avx512f", "avx2"));
        let d = decide(&icelake_server(), &cfg, false);
        assert_eq!((d.kernels.name, d.kernels.cached_name), ("avx512f", "avx2"));
        // Without AVX-512 there is nothing to narrow.
        let cfg = Config {
            avx512f: Some(false),
            ..Default::default()
        };
        let k = choose_kernels(&icelake_server(), &cfg, &INTEL_SERVER);
        assert_eq!((k.name, k.cached_name), ("avx2", "avx2"));
    }

    #[test]
    fn movnt_settings() {
        let cfg = Config {
            movnt_threshold: Some(1024),
            no_movnt: true,
            ..Default::default()
        };
        let d = decide(&cpu(true, true), &cfg, false);
        assert_eq!(d.movnt_threshold, 1024);
        assert!(d.no_movnt);
    }

    #[test]
    fn each_class_gets_its_strategy() {
        let cfg = Config::default();
        let d = decide(&zen(), &cfg, false);
        assert_eq!(d.class, CpuClass::AmdZen);
        assert_eq!(
            (d.stream_small_persists, d.cached_moves, d.drained_edges),
            (true, true, Edges::Stream)
        );
        for other in [icelake_server(), cpu(true, true)] {
            let d = decide(&other, &cfg, false);
            assert_ne!(d.class, CpuClass::AmdZen);
            assert_eq!(
                (d.stream_small_persists, d.cached_moves, d.drained_edges),
                (false, false, Edges::Cached)
            );
        }
        assert_eq!(
            decide(&icelake_server(), &cfg, false).class,
            CpuClass::IntelServer
        );
        assert_eq!(decide(&cpu(true, true), &cfg, false).class, CpuClass::Other);
        // PMEM_CPU_CLASS overrides the detected class.
        let cfg = Config {
            cpu_class: Some(CpuClass::Other),
            ..Default::default()
        };
        let d = decide(&zen(), &cfg, false);
        assert_eq!(
            (d.class, d.drained_edges),
            (CpuClass::Other, PMDK.drained_edges)
        );
    }

    #[test]
    fn prefetch_windows_follow_class_and_kernel_width() {
        let cfg = Config::default();
        assert_eq!(
            decide(&zen(), &cfg, false).kernels.prefetch,
            Prefetch::Window
        );
        // Zen 4 prefetches streams of every length, whatever the width.
        let d = decide(&zen4(), &cfg, false);
        assert_eq!(d.kernels.prefetch, Prefetch::StreamsWindowedTemporal);
        let no512 = Config {
            avx512f: Some(false),
            ..Default::default()
        };
        let d = decide(&zen4(), &no512, false);
        assert_eq!(d.kernels.prefetch, Prefetch::StreamsWindowedTemporal);
        // PMDK's AVX-512 kernels prefetch nothing, its AVX and SSE2 ones stream ahead.
        let d = decide(&icelake_server(), &cfg, false);
        assert_eq!(d.kernels.prefetch, Prefetch::Off);
        let no512 = Config {
            avx512f: Some(false),
            ..Default::default()
        };
        let d = decide(&icelake_server(), &no512, false);
        assert_eq!(d.kernels.prefetch, Prefetch::Streams);
        assert_eq!(
            decide(&cpu(true, true), &cfg, false).kernels.prefetch,
            Prefetch::Streams
        );
    }

    #[test]
    fn threshold_turns_off_small_streams_and_cached_moves() {
        let amd = zen();
        let d = decide(&amd, &Config::default(), false);
        assert_eq!(d.movnt_threshold, 256);
        assert!(d.stream_small_persists && d.cached_moves);
        let cfg = Config {
            movnt_threshold: Some(512),
            ..Default::default()
        };
        let d = decide(&amd, &cfg, false);
        assert_eq!(
            (d.movnt_threshold, d.stream_small_persists, d.cached_moves),
            (512, false, false)
        );
        // Nothing streams without non-temporal stores, or when nothing is flushed.
        let cfg = Config {
            no_movnt: true,
            ..Default::default()
        };
        let d = decide(&amd, &cfg, false);
        assert!(!d.stream_small_persists && !d.cached_moves);
        let d = decide(&amd, &Config::default(), true);
        assert!(!d.stream_small_persists && !d.cached_moves);
    }

    #[test]
    fn description_names_every_decision() {
        let d = decide(&zen(), &Config::default(), false);
        assert_eq!(
            &*d.description(),
            "cpu class: amd-zen, flush: clwb (deep: clwb), drain: sfence, copy: avx2 nt, \
             threshold 256, small persists streamed, close overlapping moves cached, \
             nt edges streamed, prefetch streams+temporal 1K-256K"
        );
        let d = decide(&zen4(), &Config::default(), false);
        assert!(d.description().starts_with(
            "cpu class: amd-zen4, flush: clwb (deep: clwb), drain: sfence, \
             copy: avx512f nt (copies avx2 from 32K), threshold 256,"
        ));
        assert!(d
            .description()
            .ends_with("prefetch streams from 1K, temporal 1K-256K"));
        let d = decide(&icelake_server(), &Config::default(), false);
        assert!(d.description().contains("copy: avx512f nt, avx2 cached"));
        assert!(d.description().ends_with("prefetch none"));
        let cfg = Config {
            no_movnt: true,
            ..Default::default()
        };
        assert!(decide(&zen(), &cfg, false)
            .description()
            .contains("copy: temporal only,"));
    }
}
