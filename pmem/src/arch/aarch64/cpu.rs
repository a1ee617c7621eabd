//! What the running CPU offers, read once: HWCAP from the kernel, the line size from CTR_EL0.

use std::arch::asm;
use std::fmt;

/// HWCAP_DCPOP (arch/arm64/include/uapi/asm/hwcap.h): `dc cvap` is available (ARMv8.2 DPB).
const HWCAP_DCPOP: libc::c_ulong = 1 << 16;

/// The features the dispatch decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuFeatures {
    /// `dc cvap` (clean to the point of persistence).
    pub dcpop: bool,
    /// The smallest data cache line of the system, in bytes (CTR_EL0.DminLine).
    pub dcache_line: usize,
}

impl Default for CpuFeatures {
    fn default() -> CpuFeatures {
        CpuFeatures {
            dcpop: false,
            dcache_line: 64,
        }
    }
}

impl CpuFeatures {
    pub fn detect() -> CpuFeatures {
        // SAFETY: getauxval only reads the auxiliary vector.
        let hwcap = unsafe { libc::getauxval(libc::AT_HWCAP) };
        CpuFeatures {
            dcpop: hwcap & HWCAP_DCPOP != 0,
            dcache_line: dcache_line(ctr_el0()),
        }
    }
}

/// CTR_EL0, readable at EL0 on Linux (directly, or emulated by the kernel where it traps).
fn ctr_el0() -> u64 {
    let ctr: u64;
    // SAFETY: a register read with no side effect.
    unsafe { asm!("mrs {0}, ctr_el0", out(reg) ctr, options(nomem, nostack, preserves_flags)) };
    ctr
}

/// The smallest data cache line from CTR_EL0: DminLine (bits 19:16) is log2 of its words.
/// Stepping by the smallest line cleans every line of a range whatever the cache level.
pub fn dcache_line(ctr: u64) -> usize {
    4 << ((ctr >> 16) & 0xf)
}

/// For the log.
impl fmt::Display for CpuFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dcpop = if self.dcpop { " dcpop" } else { "" };
        write!(f, "aarch64, {}-byte lines, has{dcpop}", self.dcache_line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_size_from_ctr() {
        // Cortex-A72's CTR_EL0 (DminLine 4: 16 words), and a 128-byte line.
        assert_eq!(dcache_line(0x8444_c004), 64);
        assert_eq!(dcache_line(5 << 16), 128);
        let cpu = CpuFeatures::detect();
        assert!(cpu.dcache_line.is_power_of_two() && cpu.dcache_line >= 16);
    }
}
