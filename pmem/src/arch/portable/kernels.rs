//! The copy and set kernels: the compiler's memmove/memset (glibc's, tuned per core), then a
//! write-back of every line stored. These architectures have no store that bypasses the cache
//! (Arm's `stnp` and RISC-V's `ntl` are hints), so the "non-temporal" kernels are the temporal ones.

use crate::arch::WriteBack;
use std::ptr;

/// How a streaming call writes its partial-line edges: both are the same stores here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edges {
    // The engine names both; no class here asks for streamed edges.
    #[allow(dead_code)]
    Stream,
    Cached,
}

/// Source prefetching: none (the library memmove prefetches as the core likes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefetch {
    Off,
}

impl std::fmt::Display for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("none")
    }
}

/// # Safety
/// [dst, dst+len) is valid for writes and [src, src+len) for reads; they may overlap.
pub unsafe fn memmove_plain(dst: *mut u8, src: *const u8, len: usize) {
    // SAFETY: forwarded caller contract; `ptr::copy` allows overlap.
    unsafe { ptr::copy(src, dst, len) }
}

/// # Safety
/// [dst, dst+len) is valid for writes.
pub unsafe fn memset_plain(dst: *mut u8, c: u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { ptr::write_bytes(dst, c, len) }
}

/// # Safety
/// As `memmove_plain`; `flush` is an instruction this CPU has.
pub unsafe fn memmove_temporal(dst: *mut u8, src: *const u8, len: usize, flush: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe {
        ptr::copy(src, dst, len);
        flush.write_back(dst, len);
    }
}

/// # Safety
/// As `memset_plain`; `flush` is an instruction this CPU has.
pub unsafe fn memset_temporal(dst: *mut u8, c: u8, len: usize, flush: WriteBack) {
    // SAFETY: forwarded caller contract.
    unsafe {
        ptr::write_bytes(dst, c, len);
        flush.write_back(dst, len);
    }
}

/// # Safety
/// As `memmove_temporal`.
pub unsafe fn memmove_nt(dst: *mut u8, src: *const u8, len: usize, flush: WriteBack, _: Edges) {
    // SAFETY: forwarded.
    unsafe { memmove_temporal(dst, src, len, flush) }
}

/// # Safety
/// As `memset_temporal`.
pub unsafe fn memset_nt(dst: *mut u8, c: u8, len: usize, flush: WriteBack, _: Edges) {
    // SAFETY: forwarded.
    unsafe { memset_temporal(dst, c, len, flush) }
}
