//! The choices that were measured on one CPU family, one table keyed by CPU class.
//!
//! Modelled on glibc's per-model `Prefer_*`/`Avoid_*` bits: each entry is a fact about how a
//! family of cores handles persistent-memory stores, resolved once at load. Every entry's
//! measurement is in `docs/strategy.md`, with the CPU it was taken on. A CPU that no class
//! describes gets PMDK's strategy: PMDK's choices were tuned on the Intel servers that carried
//! Optane, and they are the safe default where we have measured nothing.

use super::cpu::{CpuFeatures, Vendor};
use super::kernels::{Edges, Prefetch};

/// A family of cores whose measured behaviour one strategy follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuClass {
    /// AMD (or Hygon) Zen, family 0x17 and later, but for `AmdZen4`.
    AmdZen,
    /// AMD Zen 4: family 0x19 with AVX-512, which it runs as two 256-bit halves (Zen 3, the
    /// rest of family 0x19, has no AVX-512; Zen 5, family 0x1a, is `AmdZen` until measured).
    AmdZen4,
    /// Intel Xeon Scalable server cores with AVX-512 (Skylake-SP to Granite Rapids): the
    /// CPUs that carry Optane persistent memory and most CXL memory.
    IntelServer,
    /// Anything else: PMDK's strategy.
    Other,
}

/// Intel family 6 server models with AVX-512: Skylake/Cascade/Cooper Lake-SP (0x55), Ice Lake
/// SP and D (0x6a, 0x6c), Sapphire Rapids (0x8f), Emerald Rapids (0xcf), Granite Rapids
/// (0xad, 0xae). Later server families (Diamond Rapids is family 0x13) are `Other` until
/// measured.
const INTEL_SERVER_MODELS: [u32; 7] = [0x55, 0x6a, 0x6c, 0x8f, 0xcf, 0xad, 0xae];

impl CpuClass {
    pub fn of(cpu: &CpuFeatures) -> CpuClass {
        match cpu.vendor {
            Vendor::Amd if cpu.family == 0x19 && cpu.avx512f => CpuClass::AmdZen4,
            Vendor::Amd if cpu.family >= 0x17 => CpuClass::AmdZen,
            Vendor::Intel if cpu.family == 6 && INTEL_SERVER_MODELS.contains(&cpu.model) => {
                CpuClass::IntelServer
            }
            _ => CpuClass::Other,
        }
    }

    /// The name in the dispatch log line and in `PMEM_CPU_CLASS`.
    pub fn name(self) -> &'static str {
        match self {
            CpuClass::AmdZen => "amd-zen",
            CpuClass::AmdZen4 => "amd-zen4",
            CpuClass::IntelServer => "intel-server",
            CpuClass::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Option<CpuClass> {
        CpuClass::ALL.into_iter().find(|c| c.name() == name.trim())
    }

    pub const ALL: [CpuClass; 4] = [
        CpuClass::AmdZen,
        CpuClass::AmdZen4,
        CpuClass::IntelServer,
        CpuClass::Other,
    ];

    pub fn strategy(self) -> Strategy {
        match self {
            CpuClass::AmdZen => AMD_ZEN,
            CpuClass::AmdZen4 => AMD_ZEN4,
            CpuClass::IntelServer => INTEL_SERVER,
            CpuClass::Other => PMDK,
        }
    }
}

/// How copies and sets store their bytes on one class of CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strategy {
    /// Copies of at least this many bytes stream, without a hint (`PMEM_MOVNT_THRESHOLD`).
    pub movnt_threshold: usize,
    /// Drained persisted copies and sets below the threshold stream too (not `NODRAIN`, not
    /// a move whose source shares lines with its destination).
    pub small_persists_stream: bool,
    /// How a drained non-temporal call writes its partial-line edges (`NODRAIN` calls always
    /// write them through the cache).
    pub drained_edges: Edges,
    /// Close overlapping moves go through the cache, streaming only their source-free lead.
    pub close_moves_cached: bool,
    /// Which forward copies prefetch their source.
    pub prefetch: PrefetchRule,
    /// Ordinary-store (temporal and plain) kernels as wide as the non-temporal ones; when
    /// false they stop at AVX2 even where AVX-512 is used for streaming.
    pub wide_cached_stores: bool,
    /// Beside AVX-512 kernels, a copy's streamed body of `NARROW_STREAMS_FROM` bytes or more
    /// uses 32-byte streaming stores.
    pub narrow_long_streams: bool,
}

/// PMDK 1.12's choices: the default for every CPU without a measured class.
pub(crate) const PMDK: Strategy = Strategy {
    movnt_threshold: 256,
    small_persists_stream: false,
    drained_edges: Edges::Cached,
    close_moves_cached: false,
    prefetch: PrefetchRule::Pmdk,
    wide_cached_stores: true,
    narrow_long_streams: false,
};

/// Zen: a write-back of a line just written costs more than streaming it, and streaming
/// into a line the call has just loaded costs more than writing it through the cache.
pub(crate) const AMD_ZEN: Strategy = Strategy {
    small_persists_stream: true,
    drained_edges: Edges::Stream,
    close_moves_cached: true,
    prefetch: PrefetchRule::Window,
    ..PMDK
};

/// Zen 4: Zen's choices, but long copies stream 32 bytes at a time (its 32-byte streaming
/// loop outruns the 64-byte one there), and streamed copies prefetch their source at every
/// length, not only up to 256 KiB as on Zen 3.
pub(crate) const AMD_ZEN4: Strategy = Strategy {
    narrow_long_streams: true,
    prefetch: PrefetchRule::AllStreams,
    ..AMD_ZEN
};

/// Intel servers: PMDK's choices (partial-line streams and the cached moves lose there),
/// but ordinary stores at most AVX2 wide, which ran faster than AVX-512 there.
pub(crate) const INTEL_SERVER: Strategy = Strategy {
    wide_cached_stores: false,
    ..PMDK
};

/// Which forward copies prefetch their source, as a rule over the kernels' widths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefetchRule {
    /// Streamed bodies and temporal blocks of 1-256 KiB, whatever the width.
    Window,
    /// Streamed bodies from 1 KiB at any length, temporal blocks of 1-256 KiB.
    AllStreams,
    /// As PMDK's kernel of the same width: SSE2 and AVX streams at every length, AVX-512
    /// nothing, temporal copies nothing.
    Pmdk,
}

impl PrefetchRule {
    /// The windows of kernels of this width.
    pub fn for_kernels(self, avx512: bool) -> Prefetch {
        match self {
            PrefetchRule::Window => Prefetch::Window,
            PrefetchRule::AllStreams => Prefetch::AllStreams,
            PrefetchRule::Pmdk if avx512 => Prefetch::Off,
            PrefetchRule::Pmdk => Prefetch::Streams,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(vendor: Vendor, family: u32, model: u32) -> CpuFeatures {
        CpuFeatures {
            vendor,
            family,
            model,
            ..Default::default()
        }
    }

    #[test]
    fn classes_follow_vendor_family_and_model() {
        assert_eq!(
            CpuClass::of(&cpu(Vendor::Amd, 0x19, 0x01)),
            CpuClass::AmdZen
        );
        assert_eq!(
            CpuClass::of(&cpu(Vendor::Amd, 0x1a, 0x02)),
            CpuClass::AmdZen
        );
        assert_eq!(
            CpuClass::of(&cpu(Vendor::Amd, 0x17, 0x31)),
            CpuClass::AmdZen
        );
        // Zen 4 is the family 0x19 core with AVX-512; Zen 5 stays amd-zen until measured.
        let zen4 = CpuFeatures {
            avx512f: true,
            ..cpu(Vendor::Amd, 0x19, 0x11)
        };
        assert_eq!(CpuClass::of(&zen4), CpuClass::AmdZen4);
        let zen5 = CpuFeatures {
            avx512f: true,
            ..cpu(Vendor::Amd, 0x1a, 0x02)
        };
        assert_eq!(CpuClass::of(&zen5), CpuClass::AmdZen);
        // Pre-Zen AMD (family 0x16 and before) has no measured class.
        assert_eq!(CpuClass::of(&cpu(Vendor::Amd, 0x16, 0x30)), CpuClass::Other);
        assert_eq!(
            CpuClass::of(&cpu(Vendor::Intel, 6, 0x6a)),
            CpuClass::IntelServer
        );
        assert_eq!(
            CpuClass::of(&cpu(Vendor::Intel, 6, 0x55)),
            CpuClass::IntelServer
        );
        // An Intel client core (Alder Lake) and an unknown vendor get PMDK's strategy.
        assert_eq!(CpuClass::of(&cpu(Vendor::Intel, 6, 0x97)), CpuClass::Other);
        assert_eq!(CpuClass::of(&cpu(Vendor::Other, 6, 0x6a)), CpuClass::Other);
    }

    #[test]
    fn class_names_round_trip() {
        for c in CpuClass::ALL {
            assert_eq!(CpuClass::from_name(c.name()), Some(c));
        }
        assert_eq!(CpuClass::from_name("zen"), None);
    }

    #[test]
    fn pmdk_prefetches_by_kernel_width() {
        assert_eq!(PrefetchRule::Pmdk.for_kernels(true), Prefetch::Off);
        assert_eq!(PrefetchRule::Pmdk.for_kernels(false), Prefetch::Streams);
        assert_eq!(PrefetchRule::Window.for_kernels(true), Prefetch::Window);
    }
}
