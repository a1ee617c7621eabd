//! What the architectures without streaming stores share: the copy/set kernels (the library
//! memmove/memset, then a write-back of the lines stored), one CPU class with PMDK's strategy,
//! and the line arithmetic of their write-back loops. Each such architecture's folder keeps
//! only what differs: CPU detection, the write-back and fence instructions, Valgrind's sequence.

pub mod kernels;
pub mod strategy;

use crate::arch::MemKernels;
use crate::config::Config;
use kernels::Prefetch;
use strategy::Strategy;

/// The lines of `line` bytes covering [addr, addr+len), as line-aligned addresses.
#[inline(always)]
pub fn lines(addr: *const u8, len: usize, line: usize) -> impl Iterator<Item = usize> {
    let start = addr as usize & !(line - 1);
    let end = (addr as usize).saturating_add(len);
    (start..end).step_by(line)
}

const KERNELS: MemKernels = MemKernels {
    name: "memmove",
    cached_name: "memmove",
    prefetch: Prefetch::Off,
    narrow_from: usize::MAX,
    memmove_nt: kernels::memmove_nt,
    memset_nt: kernels::memset_nt,
    memmove_temporal: kernels::memmove_temporal,
    memset_temporal: kernels::memset_temporal,
    memmove_plain: kernels::memmove_plain,
    memset_plain: kernels::memset_plain,
    streams_fenced: false,
};

/// The one kernel set.
pub fn choose_kernels(_: &crate::arch::CpuFeatures, _: &Config, _: &Strategy) -> MemKernels {
    KERNELS
}

/// Under pmemcheck, the same kernels: they store each byte once already.
pub const PMEMCHECK_KERNELS: MemKernels = KERNELS;

/// The kernel sets this CPU can run, for the kernel tests.
#[cfg(test)]
pub fn test_kernels() -> Vec<MemKernels> {
    vec![KERNELS]
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
