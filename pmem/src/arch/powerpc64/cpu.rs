//! What the running CPU offers, read once from the aux vector: the data cache block size and
//! whether it implements Power ISA 3.1 (for the log: the instructions are the same either way).

use std::fmt;

/// AT_DCACHEBSIZE (arch/powerpc/include/uapi/asm/auxvec.h): the L1 data cache block size,
/// the unit `dcbf` and its variants act on (the libc crate lacks it for this target).
const AT_DCACHEBSIZE: libc::c_ulong = 19;
/// PPC_FEATURE2_ARCH_3_1 in AT_HWCAP2 (arch/powerpc/include/uapi/asm/cputable.h).
const PPC_FEATURE2_ARCH_3_1: libc::c_ulong = 0x0004_0000;

/// PMDK's fixed line (CACHELINE_SIZE on ppc64), the block size of POWER8 to POWER10.
pub const PMDK_BLOCK: usize = 128;

/// The features the dispatch decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuFeatures {
    /// Power ISA 3.1 (POWER10 on): `dcbstps`/`phwsync` are the persistent-storage
    /// instructions; before it they execute as `dcbf`/`hwsync`.
    pub isa_3_1: bool,
    /// The step of the write-back loop, in bytes (`block_step`).
    pub dcache_line: usize,
}

impl Default for CpuFeatures {
    fn default() -> CpuFeatures {
        CpuFeatures {
            isa_3_1: false,
            dcache_line: PMDK_BLOCK,
        }
    }
}

impl CpuFeatures {
    pub fn detect() -> CpuFeatures {
        // SAFETY: getauxval only reads the auxiliary vector (0 for an absent entry).
        let (bsize, hwcap2) = unsafe {
            (
                libc::getauxval(AT_DCACHEBSIZE),
                libc::getauxval(libc::AT_HWCAP2),
            )
        };
        CpuFeatures {
            isa_3_1: hwcap2 & PPC_FEATURE2_ARCH_3_1 != 0,
            dcache_line: block_step(bsize),
        }
    }
}

/// The write-back step for the kernel's AT_DCACHEBSIZE: that block size (what the kernel's
/// own pmem flush steps by) up to PMDK's 128, which is also the fallback for a missing or
/// odd value. A smaller block then gets every block written back, where PMDK's fixed 128
/// would skip half; a larger (or wrongly large) report can only write a block back twice,
/// never skip one.
pub fn block_step(auxv: u64) -> usize {
    match usize::try_from(auxv) {
        Ok(b) if b.is_power_of_two() && b >= 16 => b.min(PMDK_BLOCK),
        _ => PMDK_BLOCK,
    }
}

/// For the log.
impl fmt::Display for CpuFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let isa = if self.isa_3_1 {
            "isa 3.1"
        } else {
            "before isa 3.1 (dcbstps runs as dcbf, phwsync as hwsync)"
        };
        write!(f, "ppc64le, {}-byte blocks, {isa}", self.dcache_line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_step_from_the_aux_vector() {
        assert_eq!(block_step(128), 128);
        assert_eq!(block_step(64), 64);
        assert_eq!(block_step(256), 128);
        for odd in [0, 1, 8, 96, u64::MAX] {
            assert_eq!(block_step(odd), 128, "{odd}");
        }
        let cpu = CpuFeatures::detect();
        assert!(cpu.dcache_line.is_power_of_two() && cpu.dcache_line <= 128);
    }
}
