//! Initialisation: the load-time constructor, and the fork handlers over the library's locks.
//!
//! The constructor (`.init_array`) installs the fork handlers, then resolves everything else
//! that is read once: Valgrind's tool, the environment, the dispatch table. Each of those also
//! resolves itself on first use, for a caller that runs before the constructor (a program's
//! `.preinit_array`) or a static link that dropped it; the entry points that take a library
//! lock (`map`, `persist`, `capi`) install the fork handlers themselves for the same reason.

use std::sync::Once;

/// Load-time initialisation: fork handlers, Valgrind, environment, then the dispatch table.
extern "C" fn libpmem_init() {
    install_fork_handlers();
    crate::valgrind::init();
    crate::config::get();
    crate::dispatch::get();
}

#[used]
#[link_section = ".init_array"]
static LIBPMEM_INIT: extern "C" fn() = libpmem_init;

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
