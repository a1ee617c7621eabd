//! [`PmemExt`]: libpmem's flushes on a `memmap2::MmapMut` a program already has.

use std::io;
use std::ops::RangeBounds;

use crate::slice;

/// Flushes, persists and msyncs over a [`memmap2::MmapMut`] (feature `memmap2`).
///
/// The names carry a `pmem_` prefix because `MmapMut` has an inherent `flush` (an msync),
/// which would win over a trait method of the same name.
///
/// A mapping memmap2 made is not one libpmem made, so [`pmem_is_pmem`](PmemExt::pmem_is_pmem)
/// is false for it (unless `PMEM_IS_PMEM_FORCE=1`), even on a DAX file: memmap2 does not ask
/// for `MAP_SYNC`, and without it the file system's metadata is durable only after an msync.
/// Map with [`MapOptions`](crate::MapOptions) to make stores durable without the kernel.
///
/// ```
/// use libpmem::PmemExt;
///
/// let file = tempfile_in_temp_dir()?;
/// file.set_len(4096)?;
/// // SAFETY: the file is this program's own: nothing else truncates or writes it.
/// let mut map = unsafe { memmap2::MmapMut::map_mut(&file)? };
/// map[..5].copy_from_slice(b"hello");
/// if map.pmem_is_pmem(..) {
///     map.pmem_persist(..);
/// } else {
///     map.pmem_msync(..)?;
/// }
/// # fn tempfile_in_temp_dir() -> std::io::Result<std::fs::File> {
/// #     let path = std::env::temp_dir().join(format!("libpmem-doc-ext-{}", std::process::id()));
/// #     let file = std::fs::OpenOptions::new().read(true).write(true).create(true).open(&path)?;
/// #     std::fs::remove_file(&path)?;
/// #     Ok(file)
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait PmemExt: sealed::Sealed {
    /// [`persist`](crate::persist) of the bytes in `range`.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    fn pmem_persist(&self, range: impl RangeBounds<usize>);

    /// [`flush`](crate::flush) of the bytes in `range`.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    fn pmem_flush(&self, range: impl RangeBounds<usize>);

    /// [`msync`](crate::msync) of the pages holding `range`.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    fn pmem_msync(&self, range: impl RangeBounds<usize>) -> io::Result<()>;

    /// [`is_pmem`](crate::is_pmem) of the bytes in `range`.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    fn pmem_is_pmem(&self, range: impl RangeBounds<usize>) -> bool;
}

// Sealed: methods can be added without breaking an outside implementation.
mod sealed {
    pub trait Sealed {}
    impl Sealed for memmap2::MmapMut {}
}

impl PmemExt for memmap2::MmapMut {
    #[inline]
    #[track_caller]
    fn pmem_persist(&self, range: impl RangeBounds<usize>) {
        slice::persist(slice::sub(self, range))
    }

    #[inline]
    #[track_caller]
    fn pmem_flush(&self, range: impl RangeBounds<usize>) {
        slice::flush(slice::sub(self, range))
    }

    #[inline]
    #[track_caller]
    fn pmem_msync(&self, range: impl RangeBounds<usize>) -> io::Result<()> {
        slice::msync(slice::sub(self, range))
    }

    #[inline]
    #[track_caller]
    fn pmem_is_pmem(&self, range: impl RangeBounds<usize>) -> bool {
        slice::is_pmem(slice::sub(self, range))
    }
}
