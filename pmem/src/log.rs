//! libpmem's log: PMDK 2.x's thresholds and logging function, for Rust programs too.
//!
//! Two independent outlets:
//! * the logging function, reached by messages at least as severe as the
//!   [`Main`](Threshold::Main) threshold (default [`Warning`](Level::Warning)). The default
//!   function writes to syslog, and to stderr for messages at least as severe as the
//!   [`Aux`](Threshold::Aux) threshold (default [`Hark`](Level::Hark), which never goes to
//!   stderr). [`set_function`] installs a Rust function instead; `libpmem.so.1` installs C
//!   ones (`pmem_log_set_function`). One function is installed at a time: the last set wins.
//! * the environment sink: with `PMEM_LOG_LEVEL=n` (1 errors, 2 warnings and notices, 3 info,
//!   4 debug; larger values log everything, as 4) lines go to `PMEM_LOG_FILE` (a trailing `-`
//!   appends the pid) or stderr, each tagged `<n>` with the lowest level that shows it, as in
//!   PMDK's debug build (its release build has no such sink).
//!
//! ```
//! use libpmem::log::{self, Level, Record, Threshold};
//!
//! fn to_stderr(record: &Record<'_>) {
//!     eprintln!("libpmem: {record}");
//! }
//!
//! log::set_threshold(Threshold::Main, Level::Notice);
//! log::set_function(Some(to_stderr));
//! assert_eq!(log::threshold(Threshold::Main), Level::Notice);
//! log::set_function(None); // back to syslog
//! ```

pub use crate::logger::{threshold, Level, LogFunction, Record, Threshold};

/// Sets a threshold, as pmem_log_set_threshold(3).
pub fn set_threshold(which: Threshold, level: Level) {
    crate::logger::set_threshold(which, level)
}

/// Installs a Rust logging function (`None`: the default one, syslog and stderr) in place of
/// whichever was installed, and greets it with a `Hark` message, as PMDK does.
///
/// It receives the messages at least as severe as the [`Main`](Threshold::Main) threshold;
/// errno is saved around the call, as the C library's callers expect it kept.
pub fn set_function(function: Option<LogFunction>) {
    crate::logger::set_function(function)
}
