//! Cache-line write-back instructions and store fences.
//!
//! `clflushopt` and `clwb` have no stable intrinsic, so they are `asm!`. None of these asm blocks
//! say `nomem`: a flush must stay ordered with the stores before it.

use std::arch::asm;
use std::arch::x86_64::{_mm_clflush, _mm_sfence};

pub const CACHELINE: usize = 64;

/// The cache lines covering [addr, addr+len), as line-aligned addresses.
#[inline(always)]
fn lines(addr: *const u8, len: usize) -> impl Iterator<Item = usize> {
    let start = addr as usize & !(CACHELINE - 1);
    let end = (addr as usize).saturating_add(len);
    (start..end).step_by(CACHELINE)
}

/// The write-back instruction (of pmem_flush, pmem_deep_flush and the copy kernels), as a
/// value switched on inline: through a function pointer, the call per partial-line edge
/// slowed short copies (docs/performance.md); PMDK compiles its kernels once per instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WriteBack {
    Clwb,
    Clflushopt,
    Clflush,
    /// No cache flush: eADR platforms, or `PMEM_NO_FLUSH=1`.
    None,
    /// No cache flush, but told to pmemcheck, for which the bytes would otherwise never be
    /// written back (`None` under pmemcheck, as PMDK does).
    Reported,
}

impl WriteBack {
    /// The instruction's name, for the log.
    pub fn name(self) -> &'static str {
        match self {
            WriteBack::Clwb => "clwb",
            WriteBack::Clflushopt => "clflushopt",
            WriteBack::Clflush => "clflush",
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

    /// True when nothing is written back (eADR platform or `PMEM_NO_FLUSH=1`), whether or
    /// not pmemcheck hears of it.
    #[inline(always)]
    pub fn is_skipped(self) -> bool {
        matches!(self, WriteBack::None | WriteBack::Reported)
    }

    /// Writes back the cache lines covering [addr, addr+len). CLWB (every recent CPU) and
    /// nothing (eADR) inline, the older instructions (and pmemcheck's report) out of line: a
    /// full `match` became a jump table, an indirect jump per edge again.
    ///
    /// # Safety
    /// [addr, addr+len) must be mapped; the CPU must have the instruction.
    #[inline(always)]
    pub unsafe fn write_back(self, addr: *const u8, len: usize) {
        match self {
            WriteBack::Clwb => {
                for line in lines(addr, len) {
                    // SAFETY: the caller guarantees the line is mapped and CLWB exists; no
                    // `nomem`, so it stays ordered after the stores before it.
                    unsafe { asm!("clwb [{0}]", in(reg) line, options(nostack, preserves_flags)) };
                }
            }
            WriteBack::None => {}
            // SAFETY: forwarded.
            older => unsafe { older.write_back_older(addr, len) },
        }
    }

    /// # Safety
    /// As `write_back`.
    #[inline(never)]
    unsafe fn write_back_older(self, addr: *const u8, len: usize) {
        if self == WriteBack::Reported {
            return crate::valgrind::report_flush(addr, len);
        }
        for line in lines(addr, len) {
            // SAFETY: as in write_back.
            unsafe {
                if self == WriteBack::Clflushopt {
                    asm!("clflushopt [{0}]", in(reg) line, options(nostack, preserves_flags));
                } else {
                    _mm_clflush(line as *const u8);
                }
            }
        }
    }
}

/// The fence of pmem_drain, which goes with the write-back instruction: as a value switched
/// on inline, like `WriteBack`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fence {
    /// After CLWB or CLFLUSHOPT, which are weakly ordered.
    Sfence,
    /// After CLFLUSH: nothing, as CLFLUSH is ordered with stores already (non-temporal stores
    /// still need their SFENCE: `memops::finish`).
    None,
    /// After CLFLUSH under pmemcheck: no instruction, but a fence told to pmemcheck (run with
    /// `--expect-fence-after-clflush=yes` it would otherwise report every flush), as PMDK does.
    Reported,
}

impl Fence {
    /// The instruction's name, for the log.
    pub fn name(self) -> &'static str {
        match self {
            Fence::Sfence => "sfence",
            Fence::None => "none",
            Fence::Reported => "none (reported to pmemcheck)",
        }
    }

    /// Under pmemcheck: CLFLUSH's missing fence is reported to it.
    pub fn for_pmemcheck(self) -> Fence {
        match self {
            Fence::None => Fence::Reported,
            f => f,
        }
    }

    /// Waits for earlier flushes (and non-temporal stores, when it is SFENCE).
    #[inline(always)]
    pub fn fence(self) {
        if self == Fence::Sfence {
            sfence();
        } else if self == Fence::Reported {
            crate::valgrind::report_fence();
        }
    }

    /// True when the fence is no instruction (CLFLUSH, reported to pmemcheck or not).
    #[inline(always)]
    pub fn is_noop(self) -> bool {
        self != Fence::Sfence
    }
}

/// The fence after streaming stores, by the name every architecture gives it.
pub use self::sfence as store_fence;

/// Orders earlier flushes and non-temporal stores before later stores.
#[inline]
pub fn sfence() {
    // SAFETY: SFENCE is part of SSE, which every x86-64 CPU has.
    unsafe { _mm_sfence() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_cover_every_byte() {
        let v: Vec<usize> = lines(100 as *const u8, 100).collect();
        assert_eq!(v, vec![64, 128, 192]);
        assert_eq!(lines(128 as *const u8, 64).count(), 1);
        assert_eq!(lines(128 as *const u8, 0).count(), 0);
        assert_eq!(lines(127 as *const u8, 2).count(), 2);
    }

    #[test]
    fn every_flush_runs_on_real_memory() {
        let cpu = super::super::cpu::CpuFeatures::detect();
        let buf = vec![1u8; 4096];
        let mut kinds = vec![WriteBack::None, WriteBack::Reported, WriteBack::Clflush];
        if cpu.clflushopt {
            kinds.push(WriteBack::Clflushopt);
        }
        if cpu.clwb {
            kinds.push(WriteBack::Clwb);
        }
        for k in kinds {
            // SAFETY: buf is mapped; each instruction is used only if the CPU has it.
            unsafe {
                k.write_back(buf.as_ptr().add(3), 1000);
                k.write_back(buf.as_ptr(), 4096);
            }
        }
        sfence();
        assert!(buf.iter().all(|&b| b == 1));
    }
}
