//! Instruction-set specific code. Only x86-64 is implemented (as in PMDK's main target).

#[cfg(target_arch = "x86_64")]
pub mod x86_64;

#[cfg(not(target_arch = "x86_64"))]
compile_error!("this libpmem implements x86-64 only (cache flush instructions and NT stores)");

/// Whether a memmove from src to dst must run backwards (dst lies inside the source).
#[inline(always)]
pub fn must_copy_backward(dst: *const u8, src: *const u8, len: usize) -> bool {
    let (d, s) = (dst as usize, src as usize);
    d > s && d - s < len
}
