//! Locks that survive `fork()`.
//!
//! A child forked while another thread held one of our locks (or was inside glibc's `syslog`,
//! which has no fork handler) would deadlock on its first pmem call. `pthread_atfork` handlers
//! take every library lock before the fork, release them in the parent, and re-initialise them
//! in the child (a pthread lock can't be unlocked by the child's new thread id), so no fork
//! ever happens in the middle of our critical sections. std's locks can't be treated this way,
//! hence these thin pthread wrappers.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::Once;

/// A reader-writer lock over `pthread_rwlock_t`.
pub struct RwLock<T> {
    lock: UnsafeCell<libc::pthread_rwlock_t>,
    data: UnsafeCell<T>,
}

// SAFETY: access to `data` is serialised by the pthread rwlock.
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    pub const fn new(data: T) -> Self {
        RwLock {
            lock: UnsafeCell::new(libc::PTHREAD_RWLOCK_INITIALIZER),
            data: UnsafeCell::new(data),
        }
    }

    pub fn read(&self) -> ReadGuard<'_, T> {
        // SAFETY: the lock is initialised; a failure (EAGAIN: too many readers) is retried.
        while unsafe { libc::pthread_rwlock_rdlock(self.lock.get()) } != 0 {
            std::thread::yield_now();
        }
        ReadGuard(self)
    }

    pub fn write(&self) -> WriteGuard<'_, T> {
        // SAFETY: the lock is initialised; wrlock only fails on self-deadlock, which we never do.
        unsafe { libc::pthread_rwlock_wrlock(self.lock.get()) };
        WriteGuard(self)
    }

    fn unlock(&self) {
        // SAFETY: called only by a guard or a fork handler that holds the lock.
        unsafe { libc::pthread_rwlock_unlock(self.lock.get()) };
    }

    /// In a fork child only: forget the lock state inherited from the parent.
    fn reinit(&self) {
        // SAFETY: the child has a single thread, so nobody else can use the lock now.
        unsafe { self.lock.get().write(libc::PTHREAD_RWLOCK_INITIALIZER) };
    }
}

pub struct ReadGuard<'a, T>(&'a RwLock<T>);
pub struct WriteGuard<'a, T>(&'a RwLock<T>);

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read lock is held: no writer exists.
        unsafe { &*self.0.data.get() }
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        self.0.unlock()
    }
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write lock is held.
        unsafe { &*self.0.data.get() }
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write lock is held: access is exclusive.
        unsafe { &mut *self.0.data.get() }
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        self.0.unlock()
    }
}

/// Serialises our calls into glibc's syslog, so that a fork never interrupts one.
pub static SYSLOG_LOCK: RwLock<()> = RwLock::new(());

extern "C" fn prepare() {
    // Always in the same order as the library takes them: registry, then syslog.
    std::mem::forget(crate::registry::lock().write());
    std::mem::forget(SYSLOG_LOCK.write());
}

extern "C" fn parent() {
    SYSLOG_LOCK.unlock();
    crate::registry::lock().unlock();
}

extern "C" fn child() {
    SYSLOG_LOCK.reinit();
    crate::registry::lock().reinit();
}

/// Registers the fork handlers once (from the constructor, or the first call that locks).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: the handlers are plain extern "C" functions that live as long as the library.
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    });
}
