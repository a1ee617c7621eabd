//! What only the C library `libpmem.so.1` needs: its error log line and logging hooks. Not
//! part of this crate's stable API (hidden from the documentation; it changes with the C layer).

pub use crate::log::{log, set_threshold, threshold, CLogFunction, Level, Threshold};

/// Installs a C logging function (None: the default one), as pmem_log_set_function(3).
pub fn set_c_log_function(function: Option<CLogFunction>) {
    crate::log::set_c_function(function)
}
