//! A lock that can survive `fork()`, and the fork handlers over every such lock.
//!
//! A child forked while another thread held one of our locks would deadlock on its first pmem
//! call. So the first use of each lock registers it, and `pthread_atfork` handlers (installed
//! then, once) take every registered lock before the fork, in `ForkOrder`, release them in the
//! parent, and re-initialise them in the child (a pthread lock can't be unlocked by the child's
//! new thread id). std's locks can't be treated this way, hence this thin pthread wrapper.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};
use std::sync::Once;

/// The library's locks, in the order a fork takes them (the order the library takes them): the
/// registry, then syslog (which also keeps a fork out of glibc's `syslog`, whose own lock has no
/// fork handler).
#[derive(Clone, Copy)]
pub enum ForkOrder {
    Registry,
    Syslog,
}

/// The pthread locks used so far, each in its `ForkOrder` slot (an atomic store: a fork never
/// sees a registration half done).
static GUARDED: [AtomicPtr<libc::pthread_rwlock_t>; 2] = [const { AtomicPtr::new(null_mut()) }; 2];
/// The slots `prepare` took (bit per slot): a lock first used by another thread during the
/// fork is left alone by `parent` and `child`.
static HELD: AtomicU8 = AtomicU8::new(0);

extern "C" fn prepare() {
    for (i, slot) in GUARDED.iter().enumerate() {
        let lock = slot.load(Ordering::Acquire);
        if !lock.is_null() {
            // SAFETY: a registered lock is a static's, initialised; wrlock only fails on
            // self-deadlock, and the forking thread holds no library lock across fork().
            unsafe { libc::pthread_rwlock_wrlock(lock) };
            HELD.fetch_or(1 << i, Ordering::Relaxed);
        }
    }
}

/// The locks `prepare` took, last first; clears the record before any is released, so a
/// concurrent fork's `prepare` that gets one next records its own.
fn taken() -> impl Iterator<Item = *mut libc::pthread_rwlock_t> {
    let held = HELD.swap(0, Ordering::Relaxed);
    let slots = GUARDED.iter().enumerate().rev();
    let slots = slots.filter(move |(i, _)| held & 1 << i != 0);
    slots.map(|(_, slot)| slot.load(Ordering::Acquire))
}

extern "C" fn parent() {
    // SAFETY: `prepare` took these locks in this thread.
    taken().for_each(|lock| unsafe {
        libc::pthread_rwlock_unlock(lock);
    });
}

extern "C" fn child() {
    // SAFETY: a fork child has one thread: nobody else uses the locks while they are reset.
    taken().for_each(|lock| unsafe { lock.write(libc::PTHREAD_RWLOCK_INITIALIZER) });
}

/// Registers the fork handlers, once: from the C library's constructor, else at the first use
/// of a lock.
pub fn install_fork_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: the handlers are plain extern "C" functions that live as long as the library.
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    });
}

/// A reader-writer lock over `pthread_rwlock_t`, guarded across `fork()` from its first use.
pub struct RwLock<T> {
    lock: UnsafeCell<libc::pthread_rwlock_t>,
    data: UnsafeCell<T>,
    order: ForkOrder,
}

// SAFETY: access to `data` is serialised by the pthread rwlock.
unsafe impl<T: Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    pub const fn new(data: T, order: ForkOrder) -> Self {
        RwLock {
            lock: UnsafeCell::new(libc::PTHREAD_RWLOCK_INITIALIZER),
            data: UnsafeCell::new(data),
            order,
        }
    }

    /// Registers this lock with the fork handlers (and installs them) at its first use.
    #[inline]
    fn guard_forks(&'static self) {
        let slot = &GUARDED[self.order as usize];
        if slot.load(Ordering::Relaxed).is_null() {
            slot.store(self.lock.get(), Ordering::Release);
            install_fork_handlers();
        }
    }

    pub fn read(&'static self) -> ReadGuard<'static, T> {
        self.guard_forks();
        // SAFETY: the lock is initialised; a failure (EAGAIN: too many readers) is retried.
        while unsafe { libc::pthread_rwlock_rdlock(self.lock.get()) } != 0 {
            std::thread::yield_now();
        }
        ReadGuard(self)
    }

    pub fn write(&'static self) -> WriteGuard<'static, T> {
        self.guard_forks();
        // SAFETY: the lock is initialised; wrlock only fails on self-deadlock, which we never do.
        unsafe { libc::pthread_rwlock_wrlock(self.lock.get()) };
        WriteGuard(self)
    }

    fn unlock(&self) {
        // SAFETY: called only by a guard, which holds the lock.
        unsafe { libc::pthread_rwlock_unlock(self.lock.get()) };
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    /// A child forked while another thread holds the registry lock can take it (without the
    /// handlers it would hang, then die by SIGALRM).
    #[test]
    fn fork_children_can_take_a_lock_another_thread_held() {
        static STOP: AtomicBool = AtomicBool::new(false);
        // The first use registers the lock: a fork racing with it is not what this checks.
        drop(crate::registry::read());
        let holder = std::thread::spawn(|| {
            while !STOP.load(std::sync::atomic::Ordering::Relaxed) {
                let _held = crate::registry::write();
                std::hint::spin_loop();
            }
        });
        for _ in 0..50 {
            // SAFETY: the child only takes the lock and exits, both async-signal-safe here.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // SAFETY: as above.
                unsafe {
                    libc::alarm(10);
                    drop(crate::registry::write());
                    libc::_exit(0);
                }
            }
            let mut status = 0;
            // SAFETY: waits for the child just forked.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "{status:#x}"
            );
        }
        STOP.store(true, std::sync::atomic::Ordering::Relaxed);
        holder.join().unwrap();
    }
}
