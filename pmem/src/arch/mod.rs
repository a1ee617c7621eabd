//! Instruction-set specific code, one folder per architecture. Only x86-64 is implemented
//! (as in PMDK's main target).
//!
//! The engine above (`memops`, `raw`) names what every architecture provides through the
//! re-exports below; only `dispatch` and `strategy`, which choose among one architecture's
//! instructions and kernels, and the kernel tests reach into its folder. (Valgrind's client
//! request, in `valgrind.rs`, is x86-64's instruction sequence too.)

#[cfg(target_arch = "x86_64")]
pub mod x86_64;

#[cfg(target_arch = "x86_64")]
pub use x86_64::{
    flush::{sfence, WriteBack, CACHELINE},
    kernels::Edges,
};

#[cfg(not(target_arch = "x86_64"))]
compile_error!("this libpmem implements x86-64 only (cache flush instructions and NT stores)");

/// Whether a memmove from src to dst must run backwards (dst lies inside the source).
#[inline(always)]
pub fn must_copy_backward(dst: *const u8, src: *const u8, len: usize) -> bool {
    let (d, s) = (dst as usize, src as usize);
    d > s && d - s < len
}
