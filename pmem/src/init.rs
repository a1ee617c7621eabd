//! Initialisation, and the fork handlers over the library's locks.
//!
//! The C library's constructor calls `init`; a Rust program gets no constructor: everything
//! `init` resolves also resolves itself on first use (as for a C caller that runs before the
//! constructor, from a program's `.preinit_array`), and the entry points that take a library
//! lock (`map`, `persist`, `log`, `capi`) install the fork handlers themselves.

use std::sync::Once;

/// Resolves up front what is read once: fork handlers, Valgrind, environment, then the
/// dispatch table.
#[cfg(feature = "capi")]
pub fn init() {
    install_fork_handlers();
    crate::valgrind::init();
    crate::config::get();
    crate::dispatch::get();
}

// The library's locks, taken before a fork in the order the library takes them: the registry,
// then syslog (`logger::SYSLOG_LOCK`, which also keeps a fork out of glibc's `syslog`, whose own
// lock has no fork handler).

extern "C" fn prepare() {
    crate::registry::lock().hold_for_fork();
    crate::logger::SYSLOG_LOCK.hold_for_fork();
}

extern "C" fn parent() {
    // SAFETY: `prepare` took both locks in this thread.
    unsafe {
        crate::logger::SYSLOG_LOCK.release_after_fork();
        crate::registry::lock().release_after_fork();
    }
}

extern "C" fn child() {
    // SAFETY: a fork child has one thread.
    unsafe {
        crate::logger::SYSLOG_LOCK.reset_in_child();
        crate::registry::lock().reset_in_child();
    }
}

/// Registers the fork handlers once (from the constructor, or the first call that locks).
pub fn install_fork_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: the handlers are plain extern "C" functions that live as long as the library.
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    });
}
