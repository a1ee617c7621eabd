//! One class, PMDK's choices: nothing has been measured on these architectures' cores yet.

use super::kernels::Edges;

/// A family of cores whose measured behaviour one strategy follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuClass {
    /// Every core of the architecture: PMDK's strategy.
    Other,
}

impl CpuClass {
    pub fn of(_: &crate::arch::CpuFeatures) -> CpuClass {
        CpuClass::Other
    }

    /// The name in the dispatch log line and in `PMEM_CPU_CLASS`.
    pub fn name(self) -> &'static str {
        "other"
    }

    pub fn from_name(name: &str) -> Option<CpuClass> {
        CpuClass::ALL.into_iter().find(|c| c.name() == name.trim())
    }

    pub const ALL: [CpuClass; 1] = [CpuClass::Other];

    pub fn strategy(self) -> Strategy {
        PMDK
    }
}

/// How copies and sets store their bytes on one class of CPU (the fields the engine reads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strategy {
    /// Copies of at least this many bytes take the "non-temporal" kernels (here the same
    /// stores plus write-back; `PMEM_MOVNT_THRESHOLD`).
    pub movnt_threshold: usize,
    pub small_persists_stream: bool,
    pub drained_edges: Edges,
    pub close_moves_cached: bool,
}

/// PMDK's choices.
pub(crate) const PMDK: Strategy = Strategy {
    movnt_threshold: 256,
    small_persists_stream: false,
    drained_edges: Edges::Cached,
    close_moves_cached: false,
};
