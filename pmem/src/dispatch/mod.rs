//! The dispatch table: which flush instruction, fence and copy kernels this process uses.
//!
//! Resolved once, by the load-time constructor (`init`), from CPUID, the `PMEM_*` environment
//! and the platform's persistence domain. A `OnceLock` makes any earlier caller (a program's
//! `.preinit_array`, a static link that dropped the constructor) resolve it on first use
//! instead of crashing, which is what PMDK does there.

use std::sync::OnceLock;

pub use crate::arch::MemKernels;
use crate::arch::{
    choose_flush, choose_kernels, CpuClass, CpuFeatures, Edges, Fence, WriteBack, PMEMCHECK_KERNELS,
};
use crate::config::Config;
use crate::inline_str::InlineStr;

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

/// The whole decision, from what the CPU has (and so its class's strategy), what the
/// environment asks and whether the platform flushes caches on power loss (eADR,
/// `auto_flush`).
pub fn decide(cpu: &CpuFeatures, cfg: &Config, auto_flush: bool) -> Dispatch {
    let (instr, drain) = choose_flush(cpu, cfg);

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

/// The table under pmemcheck, whose reports depend on the order of stores, flushes and fences:
/// PMDK's kernels and PMDK's streaming rule (a hint decides, else the threshold), and the
/// flushes and fences the platform skips reported to it.
pub fn for_pmemcheck(d: Dispatch) -> Dispatch {
    Dispatch {
        kernels: PMEMCHECK_KERNELS,
        write_back: d.write_back.for_pmemcheck(),
        // riscv64 without Zicbom: the deep flush skips its write-back too, and says so.
        deep_write_back: d.deep_write_back.for_pmemcheck(),
        drain: d.drain.for_pmemcheck(),
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

// The PMEM_* overrides against the decision, each in a fresh process of the test binary.
#[cfg(test)]
mod tests;
