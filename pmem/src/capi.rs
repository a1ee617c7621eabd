//! What only the C library `libpmem.so.1` needs: its constructor, logging and mapping hooks.
//! Behind the `capi` feature, which the C library's crate turns on: not an API of this crate
//! (hidden from the documentation; it changes with the C layer).

use std::fmt;

use crate::log::{Level, LogFunction};
pub use crate::map::{map_file, FileFlags, Mapping};

/// pmem_unmap(3): unmaps [addr, addr+len) and forgets it as persistent memory.
///
/// # Safety
/// As munmap(2): nothing uses the range afterwards.
pub unsafe fn unmap(addr: *mut u8, len: usize) -> Result<(), crate::Error> {
    // SAFETY: forwarded caller contract.
    unsafe { crate::map::unmap(addr, len) }
}

/// The C library's load-time initialisation (its `.init_array` constructor calls this), as
/// PMDK's: the fork handlers, Valgrind, the environment, then the dispatch table, resolved before `main` so that
/// the first calls pay nothing for them. Everything here also resolves itself on first use (a
/// Rust program has no constructor; a C caller may run before it, from `.preinit_array`).
pub fn init() {
    // Before any thread could fork while a first use of a lock installs them.
    crate::forksafe::install_fork_handlers();
    crate::valgrind::init();
    crate::config::get();
    crate::dispatch::get();
}

/// Whether the C copy/set/move entry points bracket their calls with pmreorder's markers
/// (`PMREORDER_EMIT_LOG` under pmemcheck).
#[inline(always)]
pub fn pmreorder_markers() -> bool {
    crate::valgrind::markers_wanted()
}

/// pmreorder's markers before (`begin`) or after one call of the C function `func`.
pub fn pmreorder_marker(func: &str, begin: bool) {
    crate::valgrind::emit_markers(func, begin)
}

/// Sends one message to the log's outlets (the function and the `PMEM_LOG_LEVEL` sink), as
/// `pmem_log!` does inside the crate.
pub fn log(level: Level, file: &str, line: u32, func: &str, args: fmt::Arguments<'_>) {
    crate::log::log(level, file, line, func, args)
}

/// Installs a logging function (None: the default one) as `log::set_function` does, greeting
/// it as `caller` (pmem_log_set_function's forwarder to a C function).
pub fn set_log_function(function: Option<LogFunction>, caller: &str) {
    crate::log::install(function, caller)
}
