//! Instruction-set specific code, one folder per architecture, each with the same modules
//! and names: `cpu` (what the CPU offers: `CpuFeatures`), `flush` (`WriteBack`, `Fence`,
//! `store_fence`, `CACHELINE`), `kernels` (`Edges`, `Prefetch` and the copy/set kernels),
//! `strategy` (`CpuClass`, `Strategy`), `decide` (the architecture's part of the dispatch
//! decision) and `valgrind` (the client request's instruction sequence).
//!
//! The engine above (`dispatch`, `memops`, `persist`, `raw`) names only what this module
//! re-exports; each architecture's folder uses `MemKernels` and `must_copy_backward` below.

#[cfg(target_arch = "aarch64")]
pub mod aarch64;
#[cfg(target_arch = "aarch64")]
use aarch64 as imp;

#[cfg(target_arch = "riscv64")]
pub mod riscv64;
#[cfg(target_arch = "riscv64")]
use riscv64 as imp;

#[cfg(all(target_arch = "powerpc64", target_endian = "little"))]
pub mod powerpc64;
#[cfg(all(target_arch = "powerpc64", target_endian = "little"))]
use powerpc64 as imp;

#[cfg(target_arch = "x86_64")]
pub mod x86_64;
#[cfg(target_arch = "x86_64")]
use x86_64 as imp;

// The architectures without streaming stores share their kernels and strategy; on x86-64 the
// tests run its generic kernels beside the ISA ones.
#[cfg(any(test, not(target_arch = "x86_64")))]
pub(crate) mod portable;

// POWER little-endian only, as PMDK's ppc64 port: big-endian is untested.
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    all(target_arch = "powerpc64", target_endian = "little"),
    target_arch = "riscv64"
)))]
compile_error!(
    "this libpmem implements x86-64, aarch64, ppc64le and riscv64 only (cache write-back instructions)"
);

pub use imp::cpu::CpuFeatures;
pub use imp::decide::{choose_flush, choose_kernels, PMEMCHECK_KERNELS};
#[cfg(test)]
pub use imp::decide::{test_kernels, test_write_backs};
pub use imp::flush::{store_fence, Fence, WriteBack, CACHELINE};
pub use imp::kernels::{Edges, Prefetch};
pub use imp::strategy::CpuClass;
pub(crate) use imp::valgrind::client_request;

/// One instruction set's kernels, which `memops` calls. The NT kernels write back the bytes
/// they store temporally (a range of 1-3 bytes, edges as `Edges` says, and an overlapping
/// move's edges in lines it loaded) with the given `WriteBack` and end without a fence; the
/// temporal ones write back everything they wrote; the plain ones write back nothing.
#[derive(Clone, Copy)]
pub struct MemKernels {
    pub name: &'static str,
    /// The ISA of the ordinary-store (temporal and plain) kernels (`name` unless a
    /// strategy narrows them).
    pub cached_name: &'static str,
    /// The source prefetch windows the kernels were instantiated with.
    pub prefetch: Prefetch,
    /// Copies' streamed bodies from this length on take the AVX2 loop (`usize::MAX`: none).
    pub narrow_from: usize,
    pub memmove_nt: unsafe fn(*mut u8, *const u8, usize, WriteBack, Edges),
    pub memset_nt: unsafe fn(*mut u8, u8, usize, WriteBack, Edges),
    pub memmove_temporal: unsafe fn(*mut u8, *const u8, usize, WriteBack),
    pub memset_temporal: unsafe fn(*mut u8, u8, usize, WriteBack),
    pub memmove_plain: unsafe fn(*mut u8, *const u8, usize),
    pub memset_plain: unsafe fn(*mut u8, u8, usize),
    /// The NT kernels end with their own fence (pmemcheck's, in PMDK's order), so `memops`
    /// adds none for their streams.
    pub streams_fenced: bool,
}

/// Whether a memmove from src to dst must run backwards (dst lies inside the source).
#[inline(always)]
pub fn must_copy_backward(dst: *const u8, src: *const u8, len: usize) -> bool {
    let (d, s) = (dst as usize, src as usize);
    d > s && d - s < len
}
