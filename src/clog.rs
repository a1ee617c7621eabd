//! The C logging function of pmem_log_set_function(3): installed in the Rust log as a
//! forwarder that hands each message to it as C strings.

use std::ffi::CString;
use std::sync::atomic::{AtomicUsize, Ordering};

use libc::{c_char, c_uint};
use libpmem::capi;
use libpmem::log::Record;

/// The C type of a logging function (`pmem_log_function`).
type CLogFunction =
    unsafe extern "C" fn(c_uint, *const c_char, c_uint, *const c_char, *const c_char);

/// The last C function installed (0: none yet); only called through `forward`, which is
/// installed after it is stored and never while it is 0.
static FUNCTION: AtomicUsize = AtomicUsize::new(0);

/// Installs `function` (None: the default one), greeting it as pmem_log_set_function does.
pub fn set_function(function: Option<CLogFunction>) {
    let forwarder = function.map(|f| {
        // Stored before the forwarder that reads it is installed (release/acquire).
        FUNCTION.store(f as usize, Ordering::Release);
        forward as fn(&Record<'_>)
    });
    capi::set_log_function(forwarder, "pmem_log_set_function");
}

/// Hands one message to the installed C function.
fn forward(record: &Record<'_>) {
    let raw = FUNCTION.load(Ordering::Acquire);
    if raw == 0 {
        return;
    }
    // SAFETY: a nonzero value was stored from a valid `CLogFunction` by `set_function`.
    let function = unsafe { std::mem::transmute::<usize, CLogFunction>(raw) };
    let (file, func) = (c_string(record.file()), c_string(record.function()));
    let message = c_string(record.message());
    let level = record.level() as c_uint;
    // SAFETY: the user installed this function for exactly this call signature; all strings are
    // NUL-terminated and outlive the call.
    unsafe {
        function(
            level,
            file.as_ptr(),
            record.line(),
            func.as_ptr(),
            message.as_ptr(),
        )
    };
}

/// `s` as a C string, a NUL inside it shown as `?`.
fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "?")).unwrap_or_default()
}
