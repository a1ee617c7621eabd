//! The dispatch table: which flush instruction, fence and copy kernels this process uses.
//!
//! Resolved once, by a load-time constructor (`.init_array`), from CPUID, the `PMEM_*`
//! environment and the platform's persistence domain. A `OnceLock` makes any earlier caller
//! (a program's `.preinit_array`, a static link that dropped the constructor) resolve it on
//! first use instead of crashing, which is what PMDK does there.

use std::sync::OnceLock;

#[cfg(test)]
use crate::arch::x86_64::avx2::wide64;
use crate::arch::x86_64::cpu::CpuFeatures;
use crate::arch::x86_64::flush::WriteBack;
use crate::arch::x86_64::{avx2, avx512, flush, sse2};
use crate::config::Config;
use crate::inline_str::InlineStr;
use crate::memops::{generic, MemKernels};

/// PMDK's default `PMEM_MOVNT_THRESHOLD` (on AMD it still rules NODRAIN copies and moves
/// within shared lines, see `streams_small_persists`).
pub const DEFAULT_MOVNT_THRESHOLD: usize = 256;

/// Whether small persisted copies stream, whatever the threshold: yes on AMD Zen, where a
/// CLWB of a line just written costs more than streaming it: persisted copies of 8-256 bytes
/// took 117-143 ns as MOVNTI streams + SFENCE against 178-228 ns as ordinary stores + CLWB +
/// SFENCE (EPYC, Zen 3; the issue measured the same shape on Zen 4). Not when the drain is
/// deferred (NODRAIN: write-back throughput wins then, 64 B copies 17 ns against 22 ns), nor
/// for a move whose source shares cache lines with its destination (those lines are cached,
/// and streaming into cached lines costs more: 230 ns against 192 ns for 8-64 B moves).
fn streams_small_persists(cpu: &CpuFeatures) -> bool {
    cpu.amd
}

pub struct Dispatch {
    /// Write-back of pmem_flush and the memops (`None` when flushing is off).
    pub write_back: WriteBack,
    /// Write-back of pmem_deep_flush: always the real instruction.
    pub deep_write_back: WriteBack,
    /// pmem_drain.
    pub drain: fn(),
    /// True for CLFLUSH, whose drain needs no fence (streaming stores still do).
    pub drain_is_noop: bool,
    pub kernels: MemKernels,
    pub movnt_threshold: usize,
    /// Stream persisted copies of any size (no hint, drained, destination lines not cached):
    /// on AMD, unless PMEM_MOVNT_THRESHOLD is set.
    pub stream_small_persists: bool,
    /// Overlapping moves whose destination lines are mostly cached go through the cache
    /// whatever their length (`memops::CachedDst::write_through`); not when
    /// PMEM_MOVNT_THRESHOLD is set.
    pub cached_moves: bool,
    pub no_movnt: bool,
    pub wc_workaround: bool,
}

/// The kernels of one instruction set.
macro_rules! kernels_of {
    ($isa:ident, $name:literal) => {
        MemKernels {
            name: $name,
            memmove_nt: $isa::memmove_nt,
            memset_nt: $isa::memset_nt,
            memmove_temporal: $isa::memmove_temporal,
            memset_temporal: $isa::memset_temporal,
            memmove_plain: $isa::memmove_plain,
            memset_plain: $isa::memset_plain,
        }
    };
}

const AVX512_KERNELS: MemKernels = kernels_of!(avx512, "avx512f");
const AVX2_KERNELS: MemKernels = kernels_of!(avx2, "avx2");
const SSE2_KERNELS: MemKernels = kernels_of!(sse2, "sse2");

/// The widest vector kernels the CPU has and the environment allows
/// (`PMEM_AVX512F=0`, `PMEM_AVX=0` take them away).
pub fn choose_kernels(cpu: &CpuFeatures, cfg: &Config) -> MemKernels {
    let avx_allowed = cfg.avx != Some(false);
    if cpu.avx512f && avx_allowed && cfg.avx512f != Some(false) {
        AVX512_KERNELS
    } else if cpu.avx2 && avx_allowed {
        AVX2_KERNELS
    } else {
        SSE2_KERNELS
    }
}

/// Kernels for tests and benchmarks that force one instruction set.
pub fn kernels_by_name(name: &str) -> Option<MemKernels> {
    match name {
        "avx512f" => Some(AVX512_KERNELS),
        "avx2" => Some(AVX2_KERNELS),
        "sse2" => Some(SSE2_KERNELS),
        #[cfg(test)]
        "avx512-shape-on-avx2" => Some(kernels_of!(wide64, "avx512-shape-on-avx2")),
        "generic" => Some(MemKernels {
            name: "generic",
            memmove_nt: generic::memmove_nt,
            memset_nt: generic::memset_nt,
            memmove_temporal: generic::memmove_temporal,
            memset_temporal: generic::memset_temporal,
            memmove_plain: generic::copy,
            memset_plain: generic::fill,
        }),
        _ => None,
    }
}

/// The whole decision, from what the CPU has, what the environment asks and whether the
/// platform flushes caches on power loss (eADR, `auto_flush`).
pub fn decide(cpu: &CpuFeatures, cfg: &Config, auto_flush: bool) -> Dispatch {
    let (instr, drain, drain_is_noop): (_, fn(), _) = if cpu.clwb && !cfg.no_clwb {
        (WriteBack::Clwb, flush::sfence, false)
    } else if cpu.clflushopt && !cfg.no_clflushopt {
        (WriteBack::Clflushopt, flush::sfence, false)
    } else {
        (WriteBack::Clflush, flush::fence_none, true)
    };

    // PMEM_NO_FLUSH=1 skips flushes, =0 forces them even on eADR platforms.
    let skip_flush = match cfg.no_flush {
        Some(v) => v,
        None => auto_flush,
    };
    let write_back = if skip_flush { WriteBack::None } else { instr };

    let kernels = choose_kernels(cpu, cfg);
    let movnt_threshold = cfg.movnt_threshold.unwrap_or(DEFAULT_MOVNT_THRESHOLD);
    // Only where a persisted copy can stream at all (not with PMEM_NO_MOVNT=1, nor when
    // nothing is flushed: then ordinary stores are used, as in PMDK).
    let stream_small_persists = cfg.movnt_threshold.is_none()
        && streams_small_persists(cpu)
        && !cfg.no_movnt
        && !skip_flush;
    // The same conditions: an explicit threshold is the user's choice of where streaming starts.
    let cached_moves = cfg.movnt_threshold.is_none() && !cfg.no_movnt && !skip_flush;
    let no_movnt = cfg.no_movnt;
    Dispatch {
        write_back,
        deep_write_back: instr,
        drain,
        drain_is_noop,
        kernels,
        movnt_threshold,
        stream_small_persists,
        cached_moves,
        no_movnt,
        wc_workaround: cfg.wc_workaround.unwrap_or(false),
    }
}

impl Dispatch {
    /// What was chosen, for the log and the tests. Formatted when asked, not kept: a String in
    /// the table was the one heap block left at exit (memcheck: "still reachable").
    pub fn description(&self) -> InlineStr<256> {
        let (copy, nt) = if self.no_movnt {
            ("temporal only", "")
        } else {
            (self.kernels.name, " nt")
        };
        InlineStr::format(format_args!(
            "flush: {} (deep: {}), drain: {}, copy: {copy}{nt}, threshold {}{}{}",
            self.write_back.name(),
            self.deep_write_back.name(),
            if self.drain_is_noop { "none" } else { "sfence" },
            self.movnt_threshold,
            if self.stream_small_persists {
                ", small persists streamed"
            } else {
                ""
            },
            if self.cached_moves {
                ", close overlapping moves cached"
            } else {
                ""
            },
        ))
    }

    /// True when nothing is written back (eADR platform or PMEM_NO_FLUSH=1).
    #[inline(always)]
    pub fn flush_is_noop(&self) -> bool {
        self.write_back == WriteBack::None
    }
}

static TABLE: OnceLock<Dispatch> = OnceLock::new();

/// The table of this process, resolving it on first use.
#[inline]
pub fn get() -> &'static Dispatch {
    TABLE.get_or_init(|| {
        let cpu = CpuFeatures::detect();
        let auto_flush = crate::sysfs::has_auto_flush(crate::sysfs::SYSFS_ROOT) == 1;
        let d = decide(&cpu, crate::config::get(), auto_flush);
        crate::pmem_log!(Info, "cpu: {cpu:?}, auto flush: {auto_flush}");
        crate::pmem_log!(Notice, "{}", d.description());
        d
    })
}

/// Load-time initialisation: environment, then the table.
extern "C" fn libpmem_init() {
    crate::forksafe::install();
    crate::valgrind::init();
    crate::config::get();
    get();
}

#[used]
#[link_section = ".init_array"]
static LIBPMEM_INIT: extern "C" fn() = libpmem_init;

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(clwb: bool, clflushopt: bool) -> CpuFeatures {
        CpuFeatures {
            clflush: true,
            clflushopt,
            clwb,
            sse2: true,
            ..Default::default()
        }
    }

    #[test]
    fn flush_instruction_preference() {
        let cfg = Config::default();
        assert!(decide(&cpu(true, true), &cfg, false)
            .description()
            .starts_with("flush: clwb"));
        assert!(decide(&cpu(false, true), &cfg, false)
            .description()
            .starts_with("flush: clflushopt"));
        let d = decide(&cpu(false, false), &cfg, false);
        assert!(d.description().starts_with("flush: clflush "));
        assert!(d.drain_is_noop);
    }

    #[test]
    fn env_overrides_flush_instruction() {
        let cfg = Config {
            no_clwb: true,
            ..Default::default()
        };
        assert!(decide(&cpu(true, true), &cfg, false)
            .description()
            .starts_with("flush: clflushopt"));
        let cfg = Config {
            no_clwb: true,
            no_clflushopt: true,
            ..Default::default()
        };
        assert!(decide(&cpu(true, true), &cfg, false)
            .description()
            .starts_with("flush: clflush "));
    }

    #[test]
    fn no_flush_and_auto_flush() {
        let d = decide(&cpu(true, true), &Config::default(), true);
        assert!(d.description().starts_with("flush: none (deep: clwb)"));
        let cfg = Config {
            no_flush: Some(false),
            ..Default::default()
        };
        assert!(decide(&cpu(true, true), &cfg, true)
            .description()
            .starts_with("flush: clwb"));
        let cfg = Config {
            no_flush: Some(true),
            ..Default::default()
        };
        assert!(decide(&cpu(true, true), &cfg, false)
            .description()
            .starts_with("flush: none"));
    }

    #[test]
    fn kernel_choice_follows_cpu_and_env() {
        let all = CpuFeatures {
            avx2: true,
            avx512f: true,
            ..cpu(true, true)
        };
        assert_eq!(choose_kernels(&all, &Config::default()).name, "avx512f");
        let cfg = Config {
            avx512f: Some(false),
            ..Default::default()
        };
        assert_eq!(choose_kernels(&all, &cfg).name, "avx2");
        let cfg = Config {
            avx: Some(false),
            ..Default::default()
        };
        assert_eq!(choose_kernels(&all, &cfg).name, "sse2");
        assert_eq!(
            choose_kernels(&cpu(true, true), &Config::default()).name,
            "sse2"
        );
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
        assert!(d.description().contains("temporal only"));
    }

    #[test]
    fn small_persists_stream_on_amd_unless_threshold_set() {
        let intel = cpu(true, true);
        let amd = CpuFeatures { amd: true, ..intel };
        let cfg = Config::default();
        let d = decide(&intel, &cfg, false);
        assert_eq!((d.movnt_threshold, d.stream_small_persists), (256, false));
        let d = decide(&amd, &cfg, false);
        assert_eq!((d.movnt_threshold, d.stream_small_persists), (256, true));
        assert!(d
            .description()
            .contains("threshold 256, small persists streamed"));
        let cfg = Config {
            movnt_threshold: Some(512),
            ..Default::default()
        };
        let d = decide(&amd, &cfg, false);
        assert_eq!((d.movnt_threshold, d.stream_small_persists), (512, false));
        // Nothing streams without non-temporal stores, or when nothing is flushed.
        let cfg = Config {
            no_movnt: true,
            ..Default::default()
        };
        assert!(!decide(&amd, &cfg, false).stream_small_persists);
        let d = decide(&amd, &Config::default(), true);
        assert!(!d.stream_small_persists && !d.description().contains("streamed"));
    }

    #[test]
    fn overlapping_moves_cached_unless_threshold_set() {
        let intel = cpu(true, true);
        let d = decide(&intel, &Config::default(), false);
        assert!(d.cached_moves);
        assert!(d.description().ends_with("close overlapping moves cached"));
        let cfg = Config {
            movnt_threshold: Some(256),
            ..Default::default()
        };
        let d = decide(&intel, &cfg, false);
        assert!(!d.cached_moves);
        assert!(!d.description().contains("overlapping"));
        // Nothing streams anyway with PMEM_NO_MOVNT=1 or when nothing is flushed.
        let cfg = Config {
            no_movnt: true,
            ..Default::default()
        };
        assert!(!decide(&intel, &cfg, false).cached_moves);
        assert!(!decide(&intel, &Config::default(), true).cached_moves);
    }
}
