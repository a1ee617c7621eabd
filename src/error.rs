//! Errors as a C caller sees them: `errno` plus the thread-local `pmem_errormsg` text.
//!
//! Internals return `Result<_, Error>`; only the C surface (`ffi.rs`) turns an `Error` into a
//! return value, `errno` and the message, and logs it at ERROR, as PMDK's `ERR()` does.

use std::cell::RefCell;
use std::ffi::CStr;
use std::fmt;
use std::io::Write;

use libc::c_char;

/// Longest message kept, including the terminating NUL (PMDK keeps 1024 bytes too).
const MSG_CAPACITY: usize = 1024;

thread_local! {
    // A plain byte array: no destructor, so no TLS teardown ordering issues, and the pointer
    // handed to C stays valid for the thread's lifetime, exactly like PMDK's buffer.
    static LAST_MSG: RefCell<[u8; MSG_CAPACITY]> = const { RefCell::new([0; MSG_CAPACITY]) };
}

/// A failed operation: the errno a C caller will see and the text `pmem_errormsg` will give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub errno: i32,
    pub msg: String,
}

impl Error {
    /// An error with a message of our own (PMDK's `ERR("...")` + `errno = X`).
    pub fn new(errno: i32, msg: impl Into<String>) -> Self {
        Error {
            errno,
            msg: msg.into(),
        }
    }

    /// An OS error, worded like PMDK's `ERR("!what")`: "what: strerror(errno)".
    pub fn os(errno: i32, what: impl fmt::Display) -> Self {
        Error {
            errno,
            msg: format!("{what}: {}", strerror(errno)),
        }
    }

    /// The calling thread's current errno as an `Error`, with context.
    pub fn last_os(what: impl fmt::Display) -> Self {
        Self::os(errno(), what)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

/// The C library's text for an errno value, without Rust's " (os error N)" suffix.
pub fn strerror(errnum: i32) -> String {
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
pub fn errno() -> i32 {
    // SAFETY: __errno_location always returns a valid pointer to this thread's errno.
    unsafe { *libc::__errno_location() }
}

/// Sets the calling thread's errno.
pub fn set_errno(value: i32) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = value }
}

/// Replaces this thread's last error message (truncated to fit, always NUL-terminated).
pub fn set_msg(args: fmt::Arguments<'_>) {
    LAST_MSG.with(|cell| {
        let mut buf = cell.borrow_mut();
        let limit = MSG_CAPACITY - 1;
        let mut cursor = std::io::Cursor::new(&mut buf[..limit]);
        // A message longer than the buffer is cut; the error of a full cursor is expected.
        let _ = cursor.write_fmt(args);
        let end = cursor.position() as usize;
        buf[end] = 0;
    });
}

/// This thread's last error message as a C string that lives as long as the thread.
pub fn msg_ptr() -> *const c_char {
    LAST_MSG.with(|cell| cell.as_ptr() as *const c_char)
}

/// This thread's last error message (for tests and logging).
pub fn last_msg() -> String {
    LAST_MSG.with(|cell| {
        let buf = cell.borrow();
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    })
}

/// Publishes `err` the way PMDK's `ERR()` does: message, ERROR log line, then errno last so
/// that nothing done while logging can overwrite it.
pub fn report(err: &Error) {
    set_msg(format_args!("{}", err.msg));
    crate::log::log(
        crate::log::Level::Error,
        file!(),
        line!(),
        "libpmem",
        format_args!("{}", err.msg),
    );
    set_errno(err.errno);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_uses_strerror_wording() {
        let e = Error::os(libc::ENOENT, "open /x/y");
        assert_eq!(e.msg, "open /x/y: No such file or directory");
        assert_eq!(e.errno, libc::ENOENT);
    }

    #[test]
    fn message_is_truncated_and_terminated() {
        let long = "x".repeat(5000);
        set_msg(format_args!("{long}"));
        assert_eq!(last_msg().len(), MSG_CAPACITY - 1);
        set_msg(format_args!("short"));
        assert_eq!(last_msg(), "short");
    }

    #[test]
    fn messages_are_per_thread() {
        set_msg(format_args!("main"));
        std::thread::spawn(|| {
            assert_eq!(last_msg(), "");
            set_msg(format_args!("other"));
        })
        .join()
        .unwrap();
        assert_eq!(last_msg(), "main");
    }
}
