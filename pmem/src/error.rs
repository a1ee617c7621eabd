//! The error of a failed operation: the errno PMDK sets and the text `pmem_errormsg` gives.

use std::fmt;
use std::io;

use crate::os::{errno, strerror};

/// A failed operation, as PMDK reports it: an errno value and a message worded like PMDK's.
///
/// Converts into [`std::io::Error`] (whose [`kind`](io::Error::kind) follows the errno); the
/// errno itself stays readable through [`Error::errno_of`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    errno: i32,
    msg: String,
}

impl Error {
    /// An error with a message of our own (PMDK's `ERR("...")` + `errno = X`).
    pub(crate) fn new(errno: i32, msg: impl Into<String>) -> Self {
        Error {
            errno,
            msg: msg.into(),
        }
    }

    /// An OS error, worded like PMDK's `ERR("!what")`: "what: strerror(errno)".
    pub(crate) fn os(errno: i32, what: impl fmt::Display) -> Self {
        Error {
            errno,
            msg: format!("{what}: {}", strerror(errno)),
        }
    }

    /// The calling thread's current errno as an `Error`, with context.
    pub(crate) fn last_os(what: impl fmt::Display) -> Self {
        Self::os(errno(), what)
    }

    /// The errno value PMDK sets for this failure (`libc::EINVAL`, `libc::ENOENT`, ...).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The message, as PMDK's `pmem_errormsg()` words it.
    pub fn message(&self) -> &str {
        &self.msg
    }

    /// The errno of an [`io::Error`] returned by this crate (or of any OS error).
    ///
    /// ```
    /// let err: std::io::Error = libpmem::Error::invalid_argument("bad length").into();
    /// assert_eq!(libpmem::Error::errno_of(&err), Some(libc::EINVAL));
    /// ```
    pub fn errno_of(err: &io::Error) -> Option<i32> {
        err.raw_os_error().or_else(|| {
            err.get_ref()
                .and_then(|e| e.downcast_ref::<Error>())
                .map(Error::errno)
        })
    }

    /// An `EINVAL` error with the given message.
    pub fn invalid_argument(msg: impl Into<String>) -> Self {
        Self::new(libc::EINVAL, msg)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = io::Error::from_raw_os_error(err.errno).kind();
        io::Error::new(kind, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_error_uses_strerror_wording() {
        let e = Error::os(libc::ENOENT, "open /x/y");
        assert_eq!(e.message(), "open /x/y: No such file or directory");
        assert_eq!(e.errno(), libc::ENOENT);
    }

    #[test]
    fn io_error_keeps_kind_errno_and_message() {
        let io: io::Error = Error::os(libc::ENOENT, "open /x").into();
        assert_eq!(io.kind(), io::ErrorKind::NotFound);
        assert_eq!(Error::errno_of(&io), Some(libc::ENOENT));
        assert_eq!(io.to_string(), "open /x: No such file or directory");
        let os = io::Error::from_raw_os_error(libc::EBADF);
        assert_eq!(Error::errno_of(&os), Some(libc::EBADF));
    }
}
