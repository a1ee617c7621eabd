//! What the running CPU offers, read once from the kernel's `riscv_hwprobe` system call:
//! whether this process may run Zicbom's `cbo.clean`, and on how many bytes it acts.

use std::fmt;

/// `__NR_riscv_hwprobe` (the arch-specific range of asm-generic's table, 244 + 14), since
/// Linux 6.4; the libc crate does not name it. Older kernels answer ENOSYS.
const SYS_RISCV_HWPROBE: libc::c_long = 258;

/// RISCV_HWPROBE_KEY_IMA_EXT_0 (arch/riscv/include/uapi/asm/hwprobe.h) and its Zicbom bit,
/// since Linux 6.15: the release that also lets user mode run `cbo.clean`/`cbo.flush`, so the
/// bit is what says this process may use them.
pub const KEY_IMA_EXT_0: i64 = 4;
pub const EXT_ZICBOM: u64 = 1 << 55;
/// RISCV_HWPROBE_KEY_ZICBOM_BLOCK_SIZE, since Linux 6.15 too: 0 unless every CPU has Zicbom.
pub const KEY_ZICBOM_BLOCK_SIZE: i64 = 12;

/// One key/value pair of `riscv_hwprobe` (`struct riscv_hwprobe`); the kernel sets `key` to
/// -1 for a key it does not know.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HwprobePair {
    pub key: i64,
    pub value: u64,
}

/// The features the dispatch decision looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuFeatures {
    /// Zicbom's block size in bytes when the kernel reports Zicbom on every CPU, else None.
    pub zicbom_block: Option<usize>,
}

impl CpuFeatures {
    pub fn detect() -> CpuFeatures {
        let mut pairs = [
            HwprobePair {
                key: KEY_IMA_EXT_0,
                value: 0,
            },
            HwprobePair {
                key: KEY_ZICBOM_BLOCK_SIZE,
                value: 0,
            },
        ];
        // SAFETY: the kernel writes only the pairs.len() pairs given; a zero cpusetsize with
        // a null set asks about all online CPUs; flags must be 0.
        let ret = unsafe {
            libc::syscall(
                SYS_RISCV_HWPROBE,
                pairs.as_mut_ptr(),
                pairs.len(),
                0usize,
                std::ptr::null_mut::<libc::c_ulong>(),
                0 as libc::c_ulong,
            )
        };
        CpuFeatures {
            zicbom_block: if ret == 0 { zicbom_block(&pairs) } else { None },
        }
    }
}

/// Zicbom's block size from `riscv_hwprobe`'s answer: the extension bit set and a block size
/// that is a power of two; None when either key is unknown to the kernel (key -1), or the
/// bit is clear (some CPU lacks Zicbom, or user mode may not use it).
pub fn zicbom_block(pairs: &[HwprobePair]) -> Option<usize> {
    let get = |key| pairs.iter().find(|p| p.key == key).map(|p| p.value);
    let ext = get(KEY_IMA_EXT_0)?;
    let block = usize::try_from(get(KEY_ZICBOM_BLOCK_SIZE)?).ok()?;
    (ext & EXT_ZICBOM != 0 && block.is_power_of_two()).then_some(block)
}

/// For the log.
impl fmt::Display for CpuFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.zicbom_block {
            Some(block) => write!(f, "riscv64, has zicbom ({block}-byte blocks)"),
            None => write!(f, "riscv64, no zicbom"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(ext: (i64, u64), block: (i64, u64)) -> [HwprobePair; 2] {
        [
            HwprobePair {
                key: ext.0,
                value: ext.1,
            },
            HwprobePair {
                key: block.0,
                value: block.1,
            },
        ]
    }

    #[test]
    fn zicbom_from_hwprobe() {
        let with = EXT_ZICBOM | 0b11;
        let b = KEY_ZICBOM_BLOCK_SIZE;
        assert_eq!(zicbom_block(&pairs((4, with), (b, 64))), Some(64));
        assert_eq!(zicbom_block(&pairs((4, with), (b, 128))), Some(128));
        // The bit clear (a CPU without it, a kernel before 6.15 that knows the key).
        assert_eq!(zicbom_block(&pairs((4, 0b11), (b, 64))), None);
        assert_eq!(zicbom_block(&pairs((4, 0b11), (b, 0))), None);
        // A kernel that does not know the block size key (6.4-6.14) answers it with -1.
        assert_eq!(zicbom_block(&pairs((4, with), (-1, 0))), None);
        assert_eq!(zicbom_block(&pairs((-1, 0), (-1, 0))), None);
        // A block size that is no power of two is not stepped by.
        assert_eq!(zicbom_block(&pairs((4, with), (b, 0))), None);
        assert_eq!(zicbom_block(&pairs((4, with), (b, 96))), None);
    }

    #[test]
    fn detect_is_consistent() {
        // Whatever this kernel (or qemu-user) answers, the size is usable when present.
        let cpu = CpuFeatures::detect();
        if let Some(block) = cpu.zicbom_block {
            assert!(block.is_power_of_two());
        }
        assert_eq!(cpu, CpuFeatures::detect());
    }
}
