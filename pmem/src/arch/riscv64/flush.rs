//! Cache-block write-back (Zicbom's `cbo.clean`) and the fence that orders it.
//!
//! None of these asm blocks say `nomem`: a clean must stay ordered after the stores before it.

use crate::arch::portable::lines;
use std::arch::asm;

/// The line size the engine's overlap arithmetic assumes: 64 bytes, the cache block of every
/// RVA22/RVA23 core (Zic64b). Write-back steps by the block size the kernel reports instead.
pub const CACHELINE: usize = 64;

/// The write-back instruction, with the block size it steps by (a power of two).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WriteBack {
    /// `cbo.clean` (Zicbom): writes a dirty block back to memory, keeping it cached.
    CboClean { block: usize },
    /// No cache flush: no Zicbom (PMDK never flushes on riscv64), eADR platforms, or
    /// `PMEM_NO_FLUSH=1`.
    None,
    /// No cache flush, told to Valgrind's pmemcheck (`None` under pmemcheck).
    Reported,
}

impl WriteBack {
    /// The instruction's name, for the log.
    pub fn name(self) -> &'static str {
        match self {
            WriteBack::CboClean { .. } => "cbo.clean",
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

    /// Cleans the cache blocks covering [addr, addr+len) (ordered by `Fence`).
    ///
    /// # Safety
    /// [addr, addr+len) must be mapped; `CboClean` only where the kernel reports Zicbom.
    #[inline(always)]
    pub unsafe fn write_back(self, addr: *const u8, len: usize) {
        match self {
            WriteBack::CboClean { block } => {
                for b in lines(addr, len, block) {
                    // SAFETY: the caller guarantees the block is mapped and that user mode
                    // may run Zicbom. `.insn i MISC-MEM, CBO, x0, rs1, 1` is `cbo.clean
                    // (rs1)`, spelled so that the assembler needs no Zicbom extension flag.
                    unsafe {
                        asm!(".insn i 0x0f, 2, x0, {0}, 1", in(reg) b, options(nostack, preserves_flags))
                    };
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
    /// `fence ow,ow`: orders earlier stores and cleans before later stores.
    OwOw,
}

impl Fence {
    /// The instruction's name, for the log.
    pub fn name(self) -> &'static str {
        match self {
            Fence::OwOw => "fence ow,ow",
        }
    }

    /// Every drain here is an instruction, so pmemcheck needs no report of a missing one.
    pub fn for_pmemcheck(self) -> Fence {
        self
    }

    /// Orders earlier stores and cleans before later stores.
    #[inline(always)]
    pub fn fence(self) {
        store_fence();
    }

    /// Never: the drain is always a fence.
    #[inline(always)]
    pub fn is_noop(self) -> bool {
        false
    }
}

/// The drain: `fence ow,ow`. The CMO spec classes a clean as W, or as O where the block's
/// physical memory attributes say I/O, in a FENCE's predecessor and successor sets, and
/// FENCE is what orders it (FENCE.I and SFENCE.VMA do not). PMDK's `fence w,w` orders
/// only the W ones, Linux's pmem_wmb() on riscv (wmb(), `fence ow,ow`) both; no loads need
/// ordering (`rw,rw`), as a clean already precedes later loads of its block. RISC-V has no
/// completion barrier: persistence is the platform's once the clean is ordered. The kernels
/// have no streaming stores, so this is their fence as well.
#[inline(always)]
pub fn store_fence() {
    // SAFETY: a fence; not `nomem`, so no memory access moves across it.
    unsafe { asm!("fence ow, ow", options(nostack, preserves_flags)) };
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
                k.write_back(buf.as_ptr().add(4095), 1);
            }
        }
        store_fence();
        assert!(buf.iter().all(|&b| b == 1));
    }
}
