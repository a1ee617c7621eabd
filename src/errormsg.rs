//! `pmem_errormsg`'s thread-local text, and the reporting of a failed call to a C caller.

use std::cell::RefCell;
use std::fmt;
use std::io::Write;

use libc::c_char;
use libpmem::capi;
use libpmem::log::Level;
use libpmem::Error;

/// Longest message kept, including the terminating NUL (PMDK keeps 1024 bytes too).
const MSG_CAPACITY: usize = 1024;

thread_local! {
    // A plain byte array: no destructor, so no TLS teardown ordering issues, and the pointer
    // handed to C stays valid for the thread's lifetime, exactly like PMDK's buffer.
    static LAST_MSG: RefCell<[u8; MSG_CAPACITY]> = const { RefCell::new([0; MSG_CAPACITY]) };
}

/// Sets the calling thread's errno.
pub fn set_errno(value: i32) {
    // SAFETY: __errno_location always returns a valid pointer to this thread's errno.
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

/// Publishes `err` the way PMDK's `ERR()` does: message, ERROR log line, then errno last so
/// that nothing done while logging can overwrite it.
pub fn report(err: &Error) {
    set_msg(format_args!("{}", err.message()));
    capi::log(
        Level::Error,
        file!(),
        line!(),
        "libpmem",
        format_args!("{}", err.message()),
    );
    set_errno(err.errno());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This thread's last error message.
    fn last_msg() -> String {
        LAST_MSG.with(|cell| {
            let buf = cell.borrow();
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        })
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
