//! The C library's errno and error wording, shared by the error type and the logger.

use std::ffi::CStr;
use std::sync::OnceLock;

use libc::c_char;

/// The C library's text for an errno value, without Rust's " (os error N)" suffix.
pub(crate) fn strerror(errnum: i32) -> String {
    let mut buf = [0 as c_char; 256];
    // SAFETY: the buffer is valid for buf.len() bytes; the XSI strerror_r always NUL-terminates
    // what it writes when it returns 0.
    let rc = unsafe { libc::strerror_r(errnum, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {errnum}");
    }
    // SAFETY: strerror_r returned 0, so buf holds a NUL-terminated string.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Reads the calling thread's errno.
pub(crate) fn errno() -> i32 {
    // SAFETY: __errno_location always returns a valid pointer to this thread's errno.
    unsafe { *libc::__errno_location() }
}

/// Sets the calling thread's errno.
pub(crate) fn set_errno(value: i32) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = value }
}

/// The system page size, asked once.
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if p > 0 {
            p as usize
        } else {
            4096
        }
    })
}
