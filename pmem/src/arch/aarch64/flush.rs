//! Cache-line write-back (`dc cvap`, else `dc cvac`) and the barrier that completes it.
//!
//! None of these asm blocks say `nomem`: a clean must stay ordered after the stores before it.

use crate::arch::portable::lines;
use std::arch::asm;

/// The line size the engine's overlap arithmetic assumes; write-back steps by the CPU's own
/// smallest line (`CpuFeatures::dcache_line`) instead.
pub const CACHELINE: usize = 64;

/// The write-back instruction, with the line size it steps by (a power of two).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WriteBack {
    /// `dc cvap`: clean to the point of persistence (ARMv8.2 DPB, HWCAP_DCPOP).
    Cvap { line: usize },
    /// `dc cvac`: clean to the point of coherency, where `dc cvap` is missing (as PMDK).
    Cvac { line: usize },
    /// No cache flush: eADR platforms, or `PMEM_NO_FLUSH=1`.
    None,
    /// No cache flush, told to Valgrind's pmemcheck (`None` under pmemcheck).
    Reported,
}

impl WriteBack {
    /// The instruction's name, for the log.
    pub fn name(self) -> &'static str {
        match self {
            WriteBack::Cvap { .. } => "dc cvap",
            WriteBack::Cvac { .. } => "dc cvac",
            WriteBack::None => "none",
            WriteBack::Reported => "none (reported to pmemcheck)",
        }
    }

    /// Under pmemcheck: a skipped write-back is reported to it.
    pub fn for_pmemcheck(self) -> WriteBack {
        match self {
            WriteBack::None => WriteBack::Reported,
            w => w,
        }
    }

    /// True when nothing is written back, whether or not pmemcheck hears of it.
    #[inline(always)]
    pub fn is_skipped(self) -> bool {
        matches!(self, WriteBack::None | WriteBack::Reported)
    }

    /// Cleans the cache lines covering [addr, addr+len) (without waiting: `Fence`).
    ///
    /// # Safety
    /// [addr, addr+len) must be mapped; `Cvap` only where HWCAP_DCPOP is set.
    #[inline(always)]
    pub unsafe fn write_back(self, addr: *const u8, len: usize) {
        match self {
            WriteBack::Cvap { line } => {
                for l in lines(addr, len, line) {
                    // SAFETY: the caller guarantees the line is mapped and DPB exists. SYS
                    // #3, C7, C12, #1 is `dc cvap`, spelled so that the assembler needs no
                    // +dpb target feature (which would keep this from inlining).
                    unsafe {
                        asm!("sys #3, c7, c12, #1, {0}", in(reg) l, options(nostack, preserves_flags))
                    };
                }
            }
            WriteBack::Cvac { line } => {
                for l in lines(addr, len, line) {
                    // SAFETY: the caller guarantees the line is mapped; every ARMv8 has it.
                    unsafe { asm!("dc cvac, {0}", in(reg) l, options(nostack, preserves_flags)) };
                }
            }
            WriteBack::None => {}
            WriteBack::Reported => crate::valgrind::report_flush(addr, len),
        }
    }
}

/// The fence of pmem_drain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fence {
    /// `dsb sy`: waits for the cleans before it to complete.
    Dsb,
    /// Under pmemcheck: the fence is made and told to it.
    Reported,
}

impl Fence {
    /// The instruction's name, for the log.
    pub fn name(self) -> &'static str {
        match self {
            Fence::Dsb => "dsb sy",
            Fence::Reported => "dsb sy (reported to pmemcheck)",
        }
    }

    /// Every drain here is an instruction, so pmemcheck needs no report of a missing one.
    pub fn for_pmemcheck(self) -> Fence {
        self
    }

    /// Waits for earlier cleans to complete.
    #[inline(always)]
    pub fn fence(self) {
        store_fence();
        if self == Fence::Reported {
            crate::valgrind::report_fence();
        }
    }

    /// Never: the drain is always a DSB.
    #[inline(always)]
    pub fn is_noop(self) -> bool {
        false
    }
}

/// The drain: `dsb sy`. A DMB (PMDK's `dmb ishst`) only orders the cleans' effects as seen by
/// other observers; only a DSB waits for a `dc cvap` to complete, i.e. reach the point of
/// persistence (Arm ARM, "Data Synchronization Barrier"; Linux's `dcache_clean_pop` ends
/// with `dsb sy` too). The kernels have no streaming stores, so this is their fence as well.
#[inline(always)]
pub fn store_fence() {
    // SAFETY: a barrier; not `nomem`, so no memory access moves across it.
    unsafe { asm!("dsb sy", options(nostack, preserves_flags)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flush_runs_on_real_memory() {
        let buf = vec![1u8; 4096];
        for k in crate::arch::test_write_backs() {
            // SAFETY: buf is mapped; each instruction is used only if the CPU has it.
            unsafe {
                k.write_back(buf.as_ptr().add(3), 1000);
                k.write_back(buf.as_ptr(), 4096);
            }
        }
        store_fence();
        assert!(buf.iter().all(|&b| b == 1));
    }
}
