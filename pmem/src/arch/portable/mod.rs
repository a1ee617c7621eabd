//! What the architectures without streaming stores share: the copy/set kernels (`kernels`),
//! one CPU class with PMDK's strategy, and the line arithmetic of their write-back loops. Each
//! such architecture's folder keeps only what differs: CPU detection, the write-back and fence
//! instructions, Valgrind's sequence. On x86-64 only the generic kernels are built, for the tests.

pub mod kernels;
#[cfg(not(target_arch = "x86_64"))]
pub mod strategy;

use crate::arch::{MemKernels, Prefetch};

/// PMDK's generic kernels: 8-byte stores, written back block by block.
pub const GENERIC: MemKernels = MemKernels {
    name: "generic",
    cached_name: "generic",
    prefetch: Prefetch::Off,
    narrow_from: usize::MAX,
    memmove_nt: kernels::memmove_generic_nt,
    memset_nt: kernels::memset_generic_nt,
    memmove_temporal: kernels::memmove_generic,
    memset_temporal: kernels::memset_generic,
    memmove_plain: kernels::memmove_generic_plain,
    memset_plain: kernels::memset_generic_plain,
    streams_fenced: false,
};

#[cfg(not(target_arch = "x86_64"))]
pub use not_x86::*;

#[cfg(not(target_arch = "x86_64"))]
mod not_x86 {
    use super::{kernels, strategy::Strategy, GENERIC};
    use crate::arch::{CpuFeatures, MemKernels, Prefetch};
    use crate::config::Config;

    /// The lines of `line` bytes covering [addr, addr+len), as line-aligned addresses.
    #[inline(always)]
    pub fn lines(addr: *const u8, len: usize, line: usize) -> impl Iterator<Item = usize> {
        let start = addr as usize & !(line - 1);
        let end = (addr as usize).saturating_add(len);
        (start..end).step_by(line)
    }

    /// The library's memmove/memset, then a write-back (`PMEM_NO_GENERIC_MEMCPY=1`).
    const LIBC: MemKernels = MemKernels {
        name: "libc",
        cached_name: "libc",
        prefetch: Prefetch::Off,
        narrow_from: usize::MAX,
        memmove_nt: kernels::memmove_libc_nt,
        memset_nt: kernels::memset_libc_nt,
        memmove_temporal: kernels::memmove_libc,
        memset_temporal: kernels::memset_libc,
        memmove_plain: kernels::memmove_libc_plain,
        memset_plain: kernels::memset_libc_plain,
        streams_fenced: false,
    };

    /// The generic kernels, or the library's where `PMEM_NO_GENERIC_MEMCPY=1` asks (as PMDK).
    pub fn choose_kernels(_: &CpuFeatures, cfg: &Config, _: &Strategy) -> MemKernels {
        if cfg.no_generic_memcpy {
            LIBC
        } else {
            GENERIC
        }
    }

    /// Under pmemcheck, the generic kernels: they store each byte once already.
    pub const PMEMCHECK_KERNELS: MemKernels = GENERIC;

    /// The kernel sets this CPU can run, for the kernel tests.
    #[cfg(test)]
    pub fn test_kernels() -> Vec<MemKernels> {
        vec![GENERIC, LIBC]
    }

    #[cfg(test)]
    mod tests {
        use super::lines;

        #[test]
        fn lines_cover_every_byte() {
            let v: Vec<usize> = lines(100 as *const u8, 100, 64).collect();
            assert_eq!(v, vec![64, 128, 192]);
            assert_eq!(lines(128 as *const u8, 0, 64).count(), 0);
            assert_eq!(lines(127 as *const u8, 2, 128).count(), 2);
        }
    }
}
