//! Valgrind client requests: what pmemcheck and memcheck need to hear from libpmem.
//!
//! pmemcheck tracks stores only in ranges registered as pmem mappings, sees CLFLUSH/SFENCE
//! but not flushes that are skipped (eADR, `PMEM_NO_FLUSH=1`) nor the ordering that makes
//! non-temporal stores durable, and reports a store written twice before it was persisted.
//! memcheck cannot tell a page-rounded msync from a bad one. So, as PMDK does: mappings are
//! registered, skipped flushes and fences are reported (`WriteBack::Reported`,
//! `Fence::Reported`), msync runs with error reporting off and counts as a flush + fence,
//! flushes check that their range is addressable, and under pmemcheck the dispatch table holds
//! the kernels that store, flush and fence as PMDK's do, in its order
//! (`arch::x86_64::pmemcheck`).
//!
//! With `PMREORDER_EMIT_LOG` set (as PMDK reads it) pmemcheck's store log also gets
//! pmreorder's markers around each C copy/set/move call (`marked`).
//!
//! Which tool runs is found once (at load, or at the first call before that); outside
//! Valgrind every hook costs a load and a not-taken branch. A client request itself is a few
//! instructions that change nothing on a real CPU.

use std::sync::atomic::{AtomicU8, Ordering};

const VALGRIND: u8 = 1;
const PMEMCHECK: u8 = 2;
const MEMCHECK: u8 = 4;
/// pmemcheck runs and `PMREORDER_EMIT_LOG` asks for pmreorder's markers.
const EMIT_LOG: u8 = 8;
const UNKNOWN: u8 = 0x80;

/// Which tools run this process (the bits above), or UNKNOWN before `detect`.
static TOOLS: AtomicU8 = AtomicU8::new(UNKNOWN);

// Request codes, from valgrind.h, memcheck.h and pmemcheck.h.
const fn tool_base(a: u8, b: u8) -> usize {
    ((a as usize) << 24) | ((b as usize) << 16)
}
const RUNNING_ON_VALGRIND: usize = 0x1001;
const CHANGE_ERR_DISABLEMENT: usize = 0x1801;
const MC_BASE: usize = tool_base(b'M', b'C');
const MC_CHECK_MEM_IS_ADDRESSABLE: usize = MC_BASE + 4;
const MC_GET_VBITS: usize = MC_BASE + 8;
const PMC_BASE: usize = tool_base(b'P', b'C');
const PMC_REGISTER_PMEM_MAPPING: usize = PMC_BASE;
const PMC_REGISTER_PMEM_FILE: usize = PMC_BASE + 1;
const PMC_REMOVE_PMEM_MAPPING: usize = PMC_BASE + 2;
const PMC_CHECK_IS_PMEM_MAPPING: usize = PMC_BASE + 3;
const PMC_DO_FLUSH: usize = PMC_BASE + 5;
const PMC_DO_FENCE: usize = PMC_BASE + 6;
#[cfg(feature = "capi")]
const PMC_EMIT_LOG: usize = PMC_BASE + 30;

/// One client request; returns `default` when not under Valgrind or when the running tool
/// does not handle `req`.
///
/// # Safety
/// A request that writes memory (GET_VBITS writes `a3` bytes at `a2`) must be given memory
/// the caller owns; the others only name ranges.
#[inline(always)]
unsafe fn request_raw(default: usize, req: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let args: [usize; 6] = [req, a1, a2, a3, 0, 0];
    // SAFETY: forwarded; `args` lives across the request (the architecture's sequence).
    unsafe { crate::arch::client_request(default, &args) }
}

/// A client request that writes no memory of the program's (every one here but GET_VBITS;
/// EMIT_LOG reads the NUL-terminated string its argument points to).
#[inline(always)]
fn request(default: usize, req: usize, a1: usize, a2: usize, a3: usize) -> usize {
    debug_assert_ne!(req, MC_GET_VBITS);
    // SAFETY: requests other than GET_VBITS only read their arguments as numbers and ranges.
    unsafe { request_raw(default, req, a1, a2, a3) }
}

/// Asks Valgrind which tool runs, as PMDK does: memcheck answers GET_VBITS, pmemcheck says
/// that a range just registered as pmem is pmem.
#[cold]
#[inline(never)]
fn detect() -> u8 {
    let mut tools = 0;
    if request(0, RUNNING_ON_VALGRIND, 0, 0, 0) != 0 {
        tools |= VALGRIND;
        let probe: u64 = 0;
        let mut vbits: u64 = 0;
        let p = &probe as *const u64 as usize;
        let out = &mut vbits as *mut u64 as usize;
        // SAFETY: GET_VBITS writes the 8 bytes of `vbits`, which this frame owns.
        if unsafe { request_raw(0, MC_GET_VBITS, p, out, 8) } != 0 {
            tools |= MEMCHECK;
        }
        request(0, PMC_REGISTER_PMEM_MAPPING, p, 8, 0);
        if request(0, PMC_CHECK_IS_PMEM_MAPPING, p, 8, 0) != 0 {
            tools |= PMEMCHECK;
        }
        request(0, PMC_REMOVE_PMEM_MAPPING, p, 8, 0);
        // PMDK reads the variable only under Valgrind, and emits only under pmemcheck.
        if tools & PMEMCHECK != 0 && crate::config::pmreorder_emit_log() {
            tools |= EMIT_LOG;
        }
        // The probe must outlive the requests that name it.
        std::hint::black_box((&probe, &vbits));
    }
    TOOLS.store(tools, Ordering::Relaxed);
    tools
}

/// The tools running; outside Valgrind one load and one branch (UNKNOWN is nonzero too, so
/// the not-yet-detected case costs nothing extra on the common path).
#[inline(always)]
fn tools() -> u8 {
    let t = TOOLS.load(Ordering::Relaxed);
    if t == 0 {
        0
    } else {
        known(t)
    }
}

/// `tools` when Valgrind runs, or before detection.
#[cold]
#[inline(never)]
fn known(t: u8) -> u8 {
    if t & UNKNOWN != 0 {
        detect()
    } else {
        t
    }
}

/// Load-time detection (the library's constructor), so that later calls only load a byte.
#[cfg(feature = "capi")]
pub fn init() {
    tools();
}

/// True under any Valgrind tool: the hooks of flush, drain and msync.
#[inline(always)]
pub fn active() -> bool {
    tools() != 0
}

/// True under pmemcheck: the dispatch table then holds pmemcheck's kernels and reported
/// flushes and fences (`dispatch::for_pmemcheck`).
#[inline(always)]
pub fn pmemcheck() -> bool {
    tools() & PMEMCHECK != 0
}

fn memcheck() -> bool {
    tools() & MEMCHECK != 0
}

/// Whether pmreorder's markers are asked for (`PMREORDER_EMIT_LOG` under pmemcheck): outside
/// Valgrind one load and one branch.
#[cfg(feature = "capi")]
#[inline(always)]
pub fn markers_wanted() -> bool {
    tools() & EMIT_LOG != 0
}

/// The two markers before (`begin`: `func.BEGIN`, `libpmem.BEGIN`) or after (`libpmem.END`,
/// `func.END`) one call of the C function `func`, PMDK's `util_emit_log`, as its copy/set/move
/// entry points emit them (its other functions emit none).
#[cfg(feature = "capi")]
#[cold]
#[inline(never)]
pub fn emit_markers(func: &str, begin: bool) {
    let suffix = if begin { ".BEGIN\0" } else { ".END\0" };
    // PMDK's names are at most 49 bytes with the suffix; ours are all shorter.
    let mut name = [0u8; 64];
    let n = func.len().min(name.len() - suffix.len());
    name[..n].copy_from_slice(&func.as_bytes()[..n]);
    name[n..n + suffix.len()].copy_from_slice(suffix.as_bytes());
    let lib: &'static [u8] = if begin {
        b"libpmem.BEGIN\0"
    } else {
        b"libpmem.END\0"
    };
    let (first, second) = if begin {
        (name.as_ptr(), lib.as_ptr())
    } else {
        (lib.as_ptr(), name.as_ptr())
    };
    request(0, PMC_EMIT_LOG, first as usize, 0, 0);
    request(0, PMC_EMIT_LOG, second as usize, 0, 0);
    // The strings must outlive the requests that name them.
    std::hint::black_box(&name);
}

/// pmem_map_file: the new mapping (of the file open as `fd`) is pmem to pmemcheck.
pub fn register_mapping(fd: i32, addr: *const u8, len: usize) {
    if pmemcheck() {
        request(0, PMC_REGISTER_PMEM_MAPPING, addr as usize, len, 0);
        request(0, PMC_REGISTER_PMEM_FILE, fd as usize, addr as usize, len);
    }
}

/// pmem_unmap: pmemcheck stops tracking the range.
pub fn remove_mapping(addr: *const u8, len: usize) {
    if pmemcheck() {
        request(0, PMC_REMOVE_PMEM_MAPPING, addr as usize, len, 0);
    }
}

/// Tells pmemcheck that [addr, addr+len) was written back (a flush it cannot see).
#[cold]
#[inline(never)]
pub fn report_flush(addr: *const u8, len: usize) {
    request(0, PMC_DO_FLUSH, addr as usize, len, 0);
}

/// Tells pmemcheck that earlier flushes are ordered (a fence it cannot see).
#[cold]
#[inline(never)]
pub fn report_fence() {
    request(0, PMC_DO_FENCE, 0, 0, 0);
}

/// memcheck's check that the caller's range is addressable.
#[cold]
#[inline(never)]
pub fn check_addressable(addr: *const u8, len: usize) {
    if memcheck() {
        request(0, MC_CHECK_MEM_IS_ADDRESSABLE, addr as usize, len, 0);
    }
}

/// Turns off Valgrind's error reports while alive: an msync is rounded down to its page,
/// which may cover bytes a caller (libpmemobj) marked inaccessible, and that is no bug.
pub struct QuietErrors(());

pub fn quiet_errors() -> QuietErrors {
    request(0, CHANGE_ERR_DISABLEMENT, 1, 0, 0);
    QuietErrors(())
}

impl Drop for QuietErrors {
    fn drop(&mut self) {
        request(0, CHANGE_ERR_DISABLEMENT, usize::MAX, 0, 0);
    }
}

/// After an msync of [addr, addr+len): its bytes are durable, a flush + fence to pmemcheck.
pub fn on_msync(addr: *const u8, len: usize) {
    if pmemcheck() {
        report_flush(addr, len);
        report_fence();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_harmless_outside_valgrind() {
        // The test binary does not run under Valgrind: every request returns its default.
        assert_eq!(request(7, RUNNING_ON_VALGRIND, 0, 0, 0), 7);
        let x = 0u64;
        assert_eq!(
            request(
                0,
                PMC_CHECK_IS_PMEM_MAPPING,
                &x as *const u64 as usize,
                8,
                0
            ),
            0
        );
        assert!(!active() && !pmemcheck() && !memcheck());
    }
}
