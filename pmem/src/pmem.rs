//! `pmem_is_pmem`, `pmem_has_auto_flush`, `pmem_has_hw_drain`.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

const FORCE_UNREAD: u8 = 0;
const FORCE_NONE: u8 = 1;
const FORCE_NEVER: u8 = 2;
const FORCE_ALWAYS: u8 = 3;

/// PMEM_IS_PMEM_FORCE, read once at the first call (as PMDK does: a program may set it in
/// `main`), cached in one byte for the fast path.
static FORCE: AtomicU8 = AtomicU8::new(FORCE_UNREAD);

#[inline]
fn force() -> u8 {
    let f = FORCE.load(Ordering::Relaxed);
    if f != FORCE_UNREAD {
        return f;
    }
    // The OnceLock makes the environment be read exactly once, however many threads race here.
    static READ: OnceLock<u8> = OnceLock::new();
    let f = *READ.get_or_init(|| match crate::config::is_pmem_force() {
        None => FORCE_NONE,
        Some(false) => FORCE_NEVER,
        Some(true) => FORCE_ALWAYS,
    });
    FORCE.store(f, Ordering::Relaxed);
    f
}

/// Whether all of [addr, addr+len) is persistent memory mapped by `pmem_map_file`.
#[inline]
pub fn is_pmem(addr: *const u8, len: usize) -> bool {
    // The forced answers first, with nothing else on this path: it is a leaf function that
    // needs no stack frame (docs/performance.md); everything else is one tail call away.
    match FORCE.load(Ordering::Relaxed) {
        FORCE_ALWAYS => len > 0,
        FORCE_NEVER => false,
        _ => is_pmem_slow(addr, len),
    }
}

#[inline(never)]
fn is_pmem_slow(addr: *const u8, len: usize) -> bool {
    match force() {
        FORCE_NEVER => false,
        FORCE_ALWAYS => len > 0,
        _ => crate::registry::is_pmem(addr as usize, len),
    }
}

/// What PMEM_IS_PMEM_FORCE says of every range (read at the first call), or None.
pub fn forced() -> Option<bool> {
    match force() {
        FORCE_NEVER => Some(false),
        FORCE_ALWAYS => Some(true),
        _ => None,
    }
}

/// 1 on eADR platforms, 0 otherwise, -1 if sysfs can't be read.
pub fn has_auto_flush() -> i32 {
    crate::sysfs::has_auto_flush(crate::sysfs::SYSFS_ROOT)
}
