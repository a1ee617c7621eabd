//! What only the C library `libpmem.so.1` needs: its error log line and logging hooks. Not
//! part of this crate's stable API (hidden from the documentation; it changes with the C layer).

use std::fmt;

use libc::{c_char, c_uint};

pub use crate::log::{set_threshold, threshold, Level, Threshold};

/// The C type of a logging function.
pub type CLogFunction =
    unsafe extern "C" fn(c_uint, *const c_char, c_uint, *const c_char, *const c_char);

/// Installs a C logging function (None: the default one), as pmem_log_set_function(3).
pub fn set_c_log_function(function: Option<CLogFunction>) {
    crate::log::set_c_function(function)
}

/// Sends one message to the log's outlets (the function and the `PMEM_LOG_LEVEL` sink).
pub fn log(level: Level, file: &str, line: u32, func: &str, args: fmt::Arguments<'_>) {
    crate::log::log(level, file, line, func, args)
}
