//! The C entry points: every exported `pmem_*` function, and nothing else.
//!
//! Each one checks what only C can get wrong (NULL, overflow), calls the safe internals, and
//! turns an `Err` into PMDK's return value + errno + `pmem_errormsg`. The shared library's
//! export list and symbol versions come from `libpmem.map`, which must list the same names.
#![allow(non_camel_case_types, clippy::missing_safety_doc)]

use std::ffi::CStr;

use libc::{c_char, c_int, c_uint, c_void, mode_t, size_t};

use libpmem::capi;
use libpmem::log::{self, Level, Threshold};
use libpmem::{raw, Error, Flags};

use crate::errormsg;

/// `enum pmem_log_level` as it crosses the ABI (validated before use, never transmuted).
pub type pmem_log_level = c_uint;
/// `enum pmem_log_threshold` as it crosses the ABI.
pub type pmem_log_threshold = c_uint;

/// The level of PMDK's `enum pmem_log_level` value, or None.
fn level_of(value: pmem_log_level) -> Option<Level> {
    Some(match value {
        0 => Level::Hark,
        1 => Level::Fatal,
        2 => Level::Error,
        3 => Level::Warning,
        4 => Level::Notice,
        5 => Level::Info,
        6 => Level::Debug,
        _ => return None,
    })
}

/// The threshold of PMDK's `enum pmem_log_threshold` value, or None.
fn threshold_of(value: pmem_log_threshold) -> Option<Threshold> {
    match value {
        0 => Some(Threshold::Main),
        1 => Some(Threshold::Aux),
        _ => None,
    }
}

/// Reports `err` and returns the C failure value.
fn fail<T>(err: Error, value: T) -> T {
    errormsg::report(&err);
    value
}

fn status(result: Result<(), Error>) -> c_int {
    match result {
        Ok(()) => 0,
        Err(e) => fail(e, -1),
    }
}

/// Creates or opens a file and maps it; see pmem_map_file(3).
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `mapped_lenp` and `is_pmemp` are NULL or valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn pmem_map_file(
    path: *const c_char,
    len: size_t,
    flags: c_int,
    mode: mode_t,
    mapped_lenp: *mut size_t,
    is_pmemp: *mut c_int,
) -> *mut c_void {
    if path.is_null() {
        return fail(
            Error::invalid_argument("invalid (NULL) path"),
            std::ptr::null_mut(),
        );
    }
    // SAFETY: the caller passes a NUL-terminated string.
    let path = unsafe { CStr::from_ptr(path) };
    match capi::map_file(path, len, capi::FileFlags::from_bits_retain(flags), mode) {
        Ok(m) => {
            // SAFETY: the caller passes NULL or valid out-pointers.
            unsafe {
                if !mapped_lenp.is_null() {
                    *mapped_lenp = m.len;
                }
                if !is_pmemp.is_null() {
                    *is_pmemp = c_int::from(m.is_pmem());
                }
            }
            m.addr as *mut c_void
        }
        Err(e) => fail(e, std::ptr::null_mut()),
    }
}

/// Unmaps a range mapped by pmem_map_file.
///
/// # Safety
/// As munmap(2): the range must no longer be used.
#[no_mangle]
pub unsafe extern "C" fn pmem_unmap(addr: *mut c_void, len: size_t) -> c_int {
    // SAFETY: forwarded caller contract.
    status(unsafe { capi::unmap(addr as *mut u8, len) })
}

/// 1 if the whole range is persistent memory, else 0.
#[no_mangle]
pub extern "C" fn pmem_is_pmem(addr: *const c_void, len: size_t) -> c_int {
    c_int::from(raw::is_pmem(addr as *const u8, len))
}

/// Flushes and drains the range.
///
/// # Safety
/// The range must be mapped.
#[no_mangle]
pub unsafe extern "C" fn pmem_persist(addr: *const c_void, len: size_t) {
    // SAFETY: the caller's range is mapped.
    unsafe { raw::persist(addr as *const u8, len) }
}

/// msync(MS_SYNC) of the pages covering the range.
#[no_mangle]
pub extern "C" fn pmem_msync(addr: *const c_void, len: size_t) -> c_int {
    status(raw::msync(addr as *const u8, len))
}

/// 1 if the platform flushes CPU caches on power loss (eADR), 0 if not, -1 on error.
#[no_mangle]
pub extern "C" fn pmem_has_auto_flush() -> c_int {
    libpmem::has_auto_flush().map_or(-1, c_int::from)
}

/// Deep flush then deep drain of the range.
///
/// # Safety
/// The range may be unmapped (that is reported), but must not be unmapped concurrently.
#[no_mangle]
pub unsafe extern "C" fn pmem_deep_persist(addr: *const c_void, len: size_t) -> c_int {
    // SAFETY: forwarded caller contract.
    status(unsafe { raw::deep_persist(addr as *const u8, len) })
}

/// Writes back the cache lines of the range (no drain).
///
/// # Safety
/// The range must be mapped.
#[no_mangle]
pub unsafe extern "C" fn pmem_flush(addr: *const c_void, len: size_t) {
    // SAFETY: the caller's range is mapped.
    unsafe { raw::flush(addr as *const u8, len) }
}

/// Writes back the cache lines of the range even when flushing is otherwise off.
///
/// # Safety
/// The range must be mapped.
#[no_mangle]
pub unsafe extern "C" fn pmem_deep_flush(addr: *const c_void, len: size_t) {
    // SAFETY: the caller's range is mapped.
    unsafe { raw::deep_flush(addr as *const u8, len) }
}

/// Drains to the deepest persistence domain available for the range.
#[no_mangle]
pub extern "C" fn pmem_deep_drain(addr: *const c_void, len: size_t) -> c_int {
    status(raw::deep_drain(addr as *const u8, len))
}

/// Waits for earlier flushes and non-temporal stores to complete.
#[no_mangle]
pub extern "C" fn pmem_drain() {
    raw::drain()
}

/// 0, as PMDK answers on every architecture: no platform needs a drain instruction of its own.
#[no_mangle]
pub extern "C" fn pmem_has_hw_drain() -> c_int {
    0
}

/// The body of every pmem_mem{move,cpy} export (`name`), inlined into each: one exported
/// function calling another goes through the GOT (the symbol is interposable), and the flags
/// are constants the compiler folds. Each is one unit to pmreorder, as in PMDK.
///
/// # Safety
/// As `pmem_memmove_persist`.
#[inline(always)]
unsafe fn move_bytes(
    name: &'static str,
    pmemdest: *mut c_void,
    src: *const c_void,
    len: size_t,
    flags: Flags,
) -> *mut c_void {
    if capi::pmreorder_markers() {
        // SAFETY: forwarded caller contract.
        unsafe { move_marked(name, pmemdest, src, len, flags) };
        return pmemdest;
    }
    // SAFETY: forwarded caller contract.
    unsafe { raw::memmove(pmemdest as *mut u8, src as *const u8, len, flags) };
    pmemdest
}

/// `move_bytes` between pmreorder's markers: out of line, so that the common path keeps
/// only the check (kept inline, the marked path cost the short copies 5-10%).
///
/// # Safety
/// As `pmem_memmove_persist`.
#[cold]
#[inline(never)]
unsafe fn move_marked(
    name: &'static str,
    pmemdest: *mut c_void,
    src: *const c_void,
    len: size_t,
    flags: Flags,
) {
    capi::pmreorder_marker(name, true);
    // SAFETY: forwarded caller contract.
    unsafe { raw::memmove(pmemdest as *mut u8, src as *const u8, len, flags) };
    capi::pmreorder_marker(name, false);
}

/// `move_bytes` for the pmem_memset exports.
///
/// # Safety
/// As `pmem_memset_persist`.
#[inline(always)]
unsafe fn set_bytes(
    name: &'static str,
    pmemdest: *mut c_void,
    c: c_int,
    len: size_t,
    flags: Flags,
) -> *mut c_void {
    if capi::pmreorder_markers() {
        // SAFETY: forwarded caller contract.
        unsafe { set_marked(name, pmemdest, c, len, flags) };
        return pmemdest;
    }
    // SAFETY: forwarded caller contract.
    unsafe { raw::memset(pmemdest as *mut u8, c as u8, len, flags) };
    pmemdest
}

/// `set_bytes` between pmreorder's markers, out of line as `move_marked`.
///
/// # Safety
/// As `pmem_memset_persist`.
#[cold]
#[inline(never)]
unsafe fn set_marked(
    name: &'static str,
    pmemdest: *mut c_void,
    c: c_int,
    len: size_t,
    flags: Flags,
) {
    capi::pmreorder_marker(name, true);
    // SAFETY: forwarded caller contract.
    unsafe { raw::memset(pmemdest as *mut u8, c as u8, len, flags) };
    capi::pmreorder_marker(name, false);
}

/// # Safety
/// `pmemdest` valid for `len` bytes of writes, `src` for `len` bytes of reads (may overlap).
#[no_mangle]
pub unsafe extern "C" fn pmem_memmove_persist(
    pmemdest: *mut c_void,
    src: *const c_void,
    len: size_t,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe { move_bytes("pmem_memmove_persist", pmemdest, src, len, Flags::empty()) }
}

/// # Safety
/// As `pmem_memmove_persist`.
#[no_mangle]
pub unsafe extern "C" fn pmem_memcpy_persist(
    pmemdest: *mut c_void,
    src: *const c_void,
    len: size_t,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe { move_bytes("pmem_memcpy_persist", pmemdest, src, len, Flags::empty()) }
}

/// # Safety
/// `pmemdest` valid for `len` bytes of writes.
#[no_mangle]
pub unsafe extern "C" fn pmem_memset_persist(
    pmemdest: *mut c_void,
    c: c_int,
    len: size_t,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe { set_bytes("pmem_memset_persist", pmemdest, c, len, Flags::empty()) }
}

/// # Safety
/// As `pmem_memmove_persist`.
#[no_mangle]
pub unsafe extern "C" fn pmem_memmove_nodrain(
    pmemdest: *mut c_void,
    src: *const c_void,
    len: size_t,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe { move_bytes("pmem_memmove_nodrain", pmemdest, src, len, Flags::NODRAIN) }
}

/// # Safety
/// As `pmem_memmove_persist`.
#[no_mangle]
pub unsafe extern "C" fn pmem_memcpy_nodrain(
    pmemdest: *mut c_void,
    src: *const c_void,
    len: size_t,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe { move_bytes("pmem_memcpy_nodrain", pmemdest, src, len, Flags::NODRAIN) }
}

/// # Safety
/// As `pmem_memset_persist`.
#[no_mangle]
pub unsafe extern "C" fn pmem_memset_nodrain(
    pmemdest: *mut c_void,
    c: c_int,
    len: size_t,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe { set_bytes("pmem_memset_nodrain", pmemdest, c, len, Flags::NODRAIN) }
}

/// # Safety
/// As `pmem_memmove_persist`.
#[no_mangle]
pub unsafe extern "C" fn pmem_memmove(
    pmemdest: *mut c_void,
    src: *const c_void,
    len: size_t,
    flags: c_uint,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe {
        move_bytes(
            "pmem_memmove",
            pmemdest,
            src,
            len,
            Flags::from_bits_retain(flags),
        )
    }
}

/// Overlap-safe like `pmem_memmove` (as in PMDK), so a caller's overlap bug loses no data.
///
/// # Safety
/// As `pmem_memmove_persist`.
#[no_mangle]
pub unsafe extern "C" fn pmem_memcpy(
    pmemdest: *mut c_void,
    src: *const c_void,
    len: size_t,
    flags: c_uint,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe {
        move_bytes(
            "pmem_memcpy",
            pmemdest,
            src,
            len,
            Flags::from_bits_retain(flags),
        )
    }
}

/// # Safety
/// As `pmem_memset_persist`.
#[no_mangle]
pub unsafe extern "C" fn pmem_memset(
    pmemdest: *mut c_void,
    c: c_int,
    len: size_t,
    flags: c_uint,
) -> *mut c_void {
    // SAFETY: forwarded caller contract.
    unsafe {
        set_bytes(
            "pmem_memset",
            pmemdest,
            c,
            len,
            Flags::from_bits_retain(flags),
        )
    }
}

/// NULL if this library provides API version `major_required`.`minor_required`, else why not.
#[no_mangle]
pub extern "C" fn pmem_check_version(
    major_required: c_uint,
    minor_required: c_uint,
) -> *const c_char {
    use crate::consts::{PMEM_MAJOR_VERSION, PMEM_MINOR_VERSION};
    let why = if major_required != PMEM_MAJOR_VERSION {
        format!(
            "libpmem major version mismatch (need {major_required}, found {PMEM_MAJOR_VERSION})"
        )
    } else if minor_required > PMEM_MINOR_VERSION {
        format!(
            "libpmem minor version mismatch (need {minor_required}, found {PMEM_MINOR_VERSION})"
        )
    } else {
        return std::ptr::null();
    };
    // Like PMDK's ERR_WO_ERRNO: the message becomes this thread's last error; errno is kept.
    errormsg::set_msg(format_args!("{why}"));
    capi::log(
        Level::Error,
        file!(),
        line!(),
        "pmem_check_version",
        format_args!("{why}"),
    );
    errormsg::msg_ptr()
}

/// The calling thread's last error message; never NULL.
#[no_mangle]
pub extern "C" fn pmem_errormsg() -> *const c_char {
    errormsg::msg_ptr()
}

/// Sets a logging threshold; 0, or 1 with errno EINVAL for an unknown threshold or level.
#[no_mangle]
pub extern "C" fn pmem_log_set_threshold(
    threshold: pmem_log_threshold,
    value: pmem_log_level,
) -> c_int {
    match (threshold_of(threshold), level_of(value)) {
        (Some(t), Some(l)) => {
            log::set_threshold(t, l);
            0
        }
        _ => {
            errormsg::set_errno(libc::EINVAL);
            1
        }
    }
}

/// Reads a logging threshold; 0, or 1 with errno EINVAL for an unknown threshold or NULL.
///
/// # Safety
/// `value` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn pmem_log_get_threshold(
    threshold: pmem_log_threshold,
    value: *mut pmem_log_level,
) -> c_int {
    match threshold_of(threshold) {
        Some(t) if !value.is_null() => {
            // SAFETY: non-NULL and valid per the caller's contract.
            unsafe { *value = log::threshold(t) as pmem_log_level };
            0
        }
        _ => {
            errormsg::set_errno(libc::EINVAL);
            1
        }
    }
}

/// Installs a logging function (NULL: the default one). Always succeeds.
#[no_mangle]
pub extern "C" fn pmem_log_set_function(
    log_function: Option<
        unsafe extern "C" fn(
            level: pmem_log_level,
            file_name: *const c_char,
            line_no: c_uint,
            function_name: *const c_char,
            message: *const c_char,
        ),
    >,
) -> c_int {
    crate::clog::set_function(log_function);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_enums_have_pmdks_values() {
        for value in 0..7 {
            assert_eq!(level_of(value).map(|l| l as pmem_log_level), Some(value));
        }
        assert_eq!(level_of(3), Some(Level::Warning));
        assert_eq!(level_of(7), None);
        assert_eq!(threshold_of(1), Some(Threshold::Aux));
        assert_eq!(threshold_of(2), None);
    }
}
