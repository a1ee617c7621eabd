//! A lock that can survive `fork()`.
//!
//! A child forked while another thread held one of our locks would deadlock on its first pmem
//! call. The library's `pthread_atfork` handlers (`init`) take every library lock before the
//! fork, release them in the parent, and re-initialise them in the child (a pthread lock can't
//! be unlocked by the child's new thread id). std's locks can't be treated this way, hence this
//! thin pthread wrapper.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};

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

    /// The fork `prepare` handler's step: takes the lock for writing and keeps it.
    pub fn hold_for_fork(&self) {
        std::mem::forget(self.write());
    }

    /// The fork `parent` handler's step: releases what `hold_for_fork` took.
    ///
    /// # Safety
    /// This thread holds the lock through `hold_for_fork`.
    pub unsafe fn release_after_fork(&self) {
        self.unlock();
    }

    /// The fork `child` handler's step: forgets the lock state inherited from the parent.
    ///
    /// # Safety
    /// Only in a fork child, which has a single thread, so nobody else can use the lock now.
    pub unsafe fn reset_in_child(&self) {
        // SAFETY: the caller guarantees that no other thread exists.
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
