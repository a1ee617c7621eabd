//! x86-64's part of the dispatch decision: the flush instruction and its fence, and which
//! vector kernels (with which prefetch windows) a CPU class's strategy gets.

#[cfg(test)]
use super::avx2::wide64;
use super::cpu::CpuFeatures;
use super::flush::{Fence, WriteBack};
use super::kernels::{Prefetch, NARROW_STREAMS_FROM};
use super::strategy::Strategy;
use super::{avx2, avx512, pmemcheck, sse2};
use crate::arch::MemKernels;
use crate::config::Config;

/// The write-back instruction and the drain's fence: CLWB, else CLFLUSHOPT (both weakly
/// ordered, so SFENCE), else CLFLUSH (ordered with stores: no fence); `PMEM_NO_CLWB=1`,
/// `PMEM_NO_CLFLUSHOPT=1` take the first two away.
#[inline]
pub fn choose_flush(cpu: &CpuFeatures, cfg: &Config) -> (WriteBack, Fence) {
    if cpu.clwb && !cfg.no_clwb {
        (WriteBack::Clwb, Fence::Sfence)
    } else if cpu.clflushopt && !cfg.no_clflushopt {
        (WriteBack::Clflushopt, Fence::Sfence)
    } else {
        (WriteBack::Clflush, Fence::None)
    }
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
/// copies streamed through AVX2 when `narrow`, which is instantiated with the one prefetch
/// rule that goes with it in the table (Zen 4's; a test checks every class).
const fn isa_kernels(isa: Isa, prefetch: Prefetch, narrow: bool) -> MemKernels {
    use Prefetch::{AllStreams, Off, Streams, Window};
    const NARROW: usize = NARROW_STREAMS_FROM;
    match (isa, prefetch) {
        (Isa::Avx512f, AllStreams) if narrow => kernels_of!(avx512, "avx512f", AllStreams, NARROW),
        (Isa::Avx512f, AllStreams) => kernels_of!(avx512, "avx512f", AllStreams),
        (Isa::Avx512f, Window) => kernels_of!(avx512, "avx512f", Window),
        (Isa::Avx512f, Streams) => kernels_of!(avx512, "avx512f", Streams),
        (Isa::Avx512f, Off) => kernels_of!(avx512, "avx512f", Off),
        (Isa::Avx2, AllStreams) => kernels_of!(avx2, "avx2", AllStreams),
        (Isa::Avx2, Window) => kernels_of!(avx2, "avx2", Window),
        (Isa::Avx2, Streams) => kernels_of!(avx2, "avx2", Streams),
        (Isa::Avx2, Off) => kernels_of!(avx2, "avx2", Off),
        (Isa::Sse2, AllStreams) => kernels_of!(sse2, "sse2", AllStreams),
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
    // The AVX-512 kernels use AVX2 for their short pieces and narrowed streams.
    let isa = if cpu.avx512f && cpu.avx2 && avx_allowed && cfg.avx512f != Some(false) {
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
        "avx512f-narrow-long" => Some(isa_kernels(Isa::Avx512f, Prefetch::AllStreams, true)),
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
            Prefetch::AllStreams,
            NARROW_STREAMS_FROM
        )),
        _ => None,
    }
}

/// The kernels that store as PMDK's do, in PMDK's order (`arch::x86_64::pmemcheck`).
pub const PMEMCHECK_KERNELS: MemKernels = MemKernels {
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

/// The kernel sets this CPU can run, for the kernel tests: every instruction set it has,
/// and pmemcheck's.
#[cfg(test)]
pub fn test_kernels() -> Vec<MemKernels> {
    let cpu = CpuFeatures::detect();
    let mut names = vec!["sse2", "pmemcheck"];
    if cpu.avx2 {
        names.push("avx2");
        names.push("avx512-shape-on-avx2");
        names.push("avx512-shape-on-avx2-narrow-long");
    }
    if cpu.avx512f {
        names.push("avx512f");
        names.push("avx512f-narrow-long");
    }
    names.iter().map(|n| kernels_by_name(n).unwrap()).collect()
}

/// The write-back instructions this CPU has, for the kernel tests; the second is the one
/// every CPU of the architecture has.
#[cfg(test)]
pub fn test_write_backs() -> Vec<WriteBack> {
    let cpu = CpuFeatures::detect();
    let mut f = vec![WriteBack::None, WriteBack::Clflush];
    if cpu.clflushopt {
        f.push(WriteBack::Clflushopt);
    }
    if cpu.clwb {
        f.push(WriteBack::Clwb);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::super::cpu::Vendor;
    use super::super::kernels::Edges;
    use super::super::strategy::{CpuClass, INTEL_SERVER, PMDK};
    use super::*;
    use crate::dispatch::decide;

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

    /// On a CPU with AVX-512, each class's kernels narrow exactly when its strategy says so
    /// (`isa_kernels` instantiates narrowing with one prefetch rule only).
    #[test]
    fn every_class_narrows_as_its_strategy_says() {
        for class in CpuClass::ALL {
            let cfg = Config {
                cpu_class: Some(class),
                ..Default::default()
            };
            let d = decide(&zen4(), &cfg, false);
            let want = if class.strategy().narrow_long_streams {
                NARROW_STREAMS_FROM
            } else {
                usize::MAX
            };
            assert_eq!(d.kernels.narrow_from, want, "{}", class.name());
        }
    }

    #[test]
    fn avx512_kernels_need_avx2_too() {
        let odd = CpuFeatures {
            avx2: false,
            ..zen4()
        };
        assert_eq!(decide(&odd, &Config::default(), false).kernels.name, "sse2");
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
        assert_eq!(d.kernels.prefetch, Prefetch::AllStreams);
        let no512 = Config {
            avx512f: Some(false),
            ..Default::default()
        };
        let d = decide(&zen4(), &no512, false);
        assert_eq!(d.kernels.prefetch, Prefetch::AllStreams);
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
