//! Making stores durable: flush, drain, msync and the deep variants.

use crate::dispatch;
use crate::error::Error;
use crate::os::{errno, page_size};
use crate::registry::{self, Kind};
use crate::valgrind;

/// pmem_flush(3): writes back the cache lines of [addr, addr+len), without waiting (nothing
/// where flushing is off: eADR, `PMEM_NO_FLUSH=1`).
///
/// # Safety
/// The range is mapped for the whole call.
#[inline]
pub unsafe fn flush(addr: *const u8, len: usize) {
    if valgrind::active() {
        valgrind::check_addressable(addr, len);
    }
    // SAFETY: forwarded caller contract; the table holds only instructions this CPU has (a
    // flush the platform skips is reported to pmemcheck: `WriteBack::Reported`).
    unsafe { dispatch::get().write_back.write_back(addr, len) }
}

/// pmem_deep_flush(3): [`flush`], even where flushing is otherwise off (eADR,
/// `PMEM_NO_FLUSH=1`).
///
/// # Safety
/// The range is mapped for the whole call.
#[inline]
pub unsafe fn deep_flush(addr: *const u8, len: usize) {
    if valgrind::active() {
        valgrind::check_addressable(addr, len);
    }
    // SAFETY: as above.
    unsafe { dispatch::get().deep_write_back.write_back(addr, len) }
}

/// pmem_drain(3): waits for earlier flushes and non-temporal stores to complete.
#[inline]
pub fn drain() {
    // An empty one is reported to pmemcheck (`Fence::Reported`).
    dispatch::get().drain.fence();
}

/// pmem_persist(3): [`flush`] then [`drain`].
///
/// # Safety
/// The range is mapped for the whole call.
#[inline(always)]
pub unsafe fn persist(addr: *const u8, len: usize) {
    // SAFETY: forwarded caller contract.
    unsafe { flush(addr, len) };
    drain();
}

/// msync over the pages covering [addr, addr+len).
// Inlined up to pmem_msync: with the kernel's return-stack clearing on syscall exit, every
// frame between the caller and msync costs a mispredicted return (docs/performance.md).
#[inline(always)]
fn msync_pages(addr: usize, len: usize, flags: libc::c_int) -> Result<(), Error> {
    if valgrind::active() {
        return msync_under_valgrind(addr, len, flags);
    }
    let start = addr & !(page_size() - 1);
    let total = len + (addr - start);
    // SAFETY: msync only inspects the range and reports ENOMEM if it isn't mapped.
    if unsafe { libc::msync(start as *mut libc::c_void, total, flags) } != 0 {
        return Err(Error::os(errno(), "msync"));
    }
    Ok(())
}

/// `msync_pages` as PMDK runs it under Valgrind: the caller's range checked by memcheck, the
/// page-rounded msync with error reports off (the rounding may cover bytes the caller marked
/// inaccessible), and a synchronous one reported to pmemcheck as a flush + fence.
#[cold]
#[inline(never)]
fn msync_under_valgrind(addr: usize, len: usize, flags: libc::c_int) -> Result<(), Error> {
    let start = addr & !(page_size() - 1);
    let total = len + (addr - start);
    if flags == libc::MS_SYNC {
        valgrind::check_addressable(addr as *const u8, len);
    }
    let quiet = valgrind::quiet_errors();
    // SAFETY: as in `msync_pages`.
    let ret = unsafe { libc::msync(start as *mut libc::c_void, total, flags) };
    let err = errno();
    drop(quiet);
    if flags == libc::MS_SYNC {
        valgrind::on_msync(start as *const u8, total);
    }
    if ret != 0 {
        return Err(Error::os(err, "msync"));
    }
    Ok(())
}

/// pmem_msync(3): msync(MS_SYNC) from the page holding `addr` to `addr + len`. An unmapped
/// range is an error (`ENOMEM`), not a fault. As in PMDK, even len 0 syncs the bytes between
/// the page start and `addr` when `addr` is not page-aligned (so it fails, like PMDK, on
/// device DAX or where nothing is mapped).
#[inline(always)]
pub fn msync(addr: *const u8, len: usize) -> Result<(), Error> {
    msync_pages(addr as usize, len, libc::MS_SYNC)
}

/// Device DAX devices (major, minor) touched by a range, and the (start, len) pieces that are not.
type DevicesAndOthers = (Vec<(u32, u32)>, Vec<(usize, usize)>);

/// Splits [addr, addr+len) into device DAX pieces and everything else.
fn split_by_kind(addr: usize, len: usize) -> DevicesAndOthers {
    let end = addr.saturating_add(len);
    let pieces = registry::read().pieces(addr, end);
    let mut devices = Vec::new();
    let mut others = Vec::new();
    let mut pos = addr;
    for (s, e, kind) in pieces {
        match kind {
            Kind::DevDax { major, minor } => {
                if s > pos {
                    others.push((pos, s - pos));
                }
                if !devices.contains(&(major, minor)) {
                    devices.push((major, minor));
                }
                pos = e;
            }
            Kind::MapSync => {}
        }
    }
    if end > pos {
        others.push((pos, end - pos));
    }
    (devices, others)
}

/// pmem_deep_drain(3): device DAX ranges drain and ask their region to flush its write
/// queues; everything else is msynced, as [`msync`] does. An unmapped range is an error, not
/// a fault.
pub fn deep_drain(addr: *const u8, len: usize) -> Result<(), Error> {
    if len == 0 {
        return Ok(());
    }
    let (devices, others) = split_by_kind(addr as usize, len);
    if !devices.is_empty() {
        drain();
        for (major, minor) in devices {
            let file =
                crate::sysfs::device_dax_deep_flush_file(crate::sysfs::SYSFS_ROOT, major, minor);
            if let Some(file) = file {
                crate::sysfs::region_deep_flush(&file)
                    .map_err(|e| Error::os(e, format_args!("write {}", file.display())))?;
            }
        }
    }
    for (s, l) in others {
        msync_pages(s, l, libc::MS_SYNC)?;
    }
    Ok(())
}

/// pmem_deep_persist(3): [`deep_flush`] then [`deep_drain`]. Unlike PMDK, a range that is not
/// mapped when the call starts is reported (`ENOMEM`) before any flush instruction could fault
/// on it.
///
/// # Safety
/// Nothing unmaps the range while the call runs (the check cannot see a later munmap).
pub unsafe fn deep_persist(addr: *const u8, len: usize) -> Result<(), Error> {
    if len == 0 {
        return Ok(());
    }
    let (_, others) = split_by_kind(addr as usize, len);
    for &(s, l) in &others {
        // MS_ASYNC does no I/O on Linux: it only checks that the pages are mapped.
        msync_pages(s, l, libc::MS_ASYNC)?;
    }
    // SAFETY: the non-device parts were just checked to be mapped, device DAX ranges are
    // registered mappings of ours, and the caller keeps them mapped.
    unsafe { deep_flush(addr, len) };
    deep_drain(addr, len)
}
