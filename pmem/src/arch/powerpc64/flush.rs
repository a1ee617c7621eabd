//! Cache-block write-back (`dcbstps`) and the barrier that completes it (`phwsync`).
//!
//! Both are Power ISA 3.1's persistent-storage forms, as PMDK 1.13.1 and the kernel's pmem
//! code (arch/powerpc/lib/pmem.c, `pmem_wmb`) use them, with no CPU check: `dcbstps` is
//! `dcbf` with L=6 and `phwsync` is `sync` with L=4, which processors before ISA 3.1 execute
//! as `dcbf` (L=0) and `hwsync`. Emitting them everywhere rather than choosing by HWCAP2 keeps
//! the persistent forms wherever the hardware has them, whatever HWCAP2 says (a POWER10
//! partition in POWER9 compatibility mode reports no ISA 3.1). The price, PMDK's too:
//! decoders that know only older CPUs reject the encodings (Valgrind on a POWER9 host;
//! qemu-user, whatever its CPU model).
//!
//! None of these asm blocks say `nomem`: a write-back must stay ordered after the stores
//! before it.

use crate::arch::portable::lines;
use std::arch::asm;

/// The line the engine's overlap arithmetic assumes: POWER's 128-byte cache line (memops
/// sizes its cached-move heuristic with it, which this architecture's strategy never takes).
/// Write-back steps by `CpuFeatures::dcache_line`.
pub const CACHELINE: usize = 128;

/// The write-back instruction, with the block size it steps by (a power of two).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WriteBack {
    /// `dcbstps`: store the block to persistent storage (ISA 3.1: keeping it cached).
    Dcbstps { line: usize },
    /// No cache flush: eADR platforms, or `PMEM_NO_FLUSH=1`.
    None,
    /// No cache flush, told to Valgrind's pmemcheck (`None` under pmemcheck).
    Reported,
}

impl WriteBack {
    /// The instruction's name, for the log.
    pub fn name(self) -> &'static str {
        match self {
            WriteBack::Dcbstps { .. } => "dcbstps",
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

    /// Writes back the cache blocks covering [addr, addr+len) (without waiting: `Fence`).
    ///
    /// # Safety
    /// [addr, addr+len) must be mapped.
    #[inline(always)]
    pub unsafe fn write_back(self, addr: *const u8, len: usize) {
        match self {
            WriteBack::Dcbstps { line } => {
                for l in lines(addr, len, line) {
                    // SAFETY: the caller guarantees the block is mapped; every ppc64le CPU
                    // (POWER8 on) executes the encoding (as `dcbf` before ISA 3.1). RA=0: the
                    // address is RB alone. It changes no byte's value.
                    unsafe { asm!("dcbstps 0, {0}", in(reg) l, options(nostack, preserves_flags)) };
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
    /// `phwsync`: waits until the blocks earlier `dcbstps` wrote back are in persistent storage.
    Phwsync,
    /// Under pmemcheck: the fence is made and told to it.
    Reported,
}

impl Fence {
    /// The instruction's name, for the log.
    pub fn name(self) -> &'static str {
        match self {
            Fence::Phwsync => "phwsync",
            Fence::Reported => "phwsync (reported to pmemcheck)",
        }
    }

    /// Every drain here is an instruction, so pmemcheck needs no report of a missing one.
    pub fn for_pmemcheck(self) -> Fence {
        self
    }

    /// Waits for earlier write-backs to complete.
    #[inline(always)]
    pub fn fence(self) {
        store_fence();
        if self == Fence::Reported {
            crate::valgrind::report_fence();
        }
    }

    /// Never: the drain is always a `phwsync`.
    #[inline(always)]
    pub fn is_noop(self) -> bool {
        false
    }
}

/// The drain: `phwsync`. An `lwsync` (PMDK's first ppc64 port) orders stores but does not wait for a
/// block's write-back; `phwsync` waits until the storage written by earlier `dcbstps`/`dcbfps`
/// is updated before any later access starts (the kernel's `pmem_wmb`). The kernels have no
/// streaming stores, so this is their fence as well.
#[inline(always)]
pub fn store_fence() {
    // SAFETY: a barrier; not `nomem`, so no memory access moves across it.
    unsafe { asm!("phwsync", options(nostack, preserves_flags)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flush_runs_on_real_memory() {
        let buf = vec![1u8; 4096];
        for k in crate::arch::test_write_backs() {
            // SAFETY: buf is mapped; every ppc64le CPU executes these.
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
