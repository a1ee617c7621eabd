//! [`MapOptions`] and [`PmemMap`]: pmem_map_file(3) and pmem_unmap(3) as an owned value.

use std::ffi::CString;
use std::fmt;
use std::io;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut, RangeBounds};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::Error;
use crate::map::{self, FileFlags};
use crate::slice;

/// How to open or create a file and map it, like [`std::fs::OpenOptions`] (pmem_map_file(3)).
///
/// By default an existing file is mapped whole. With [`create`](MapOptions::create) the
/// file is created if missing and sized to [`len`](MapOptions::len), which must then be
/// non-zero; without it `len` must stay 0. The mapping is shared and read-write, with
/// `MAP_SYNC` where the file system grants it.
///
/// A call that fails leaves the file as it was: a file it created is removed, a size it
/// changed is restored.
///
/// ```
/// use libpmem::{Flags, MapOptions};
///
/// let path = std::env::temp_dir().join(format!("libpmem-doc-map-{}", std::process::id()));
/// // SAFETY: the file is this program's own: nothing else truncates or writes it.
/// let mut map = unsafe { MapOptions::new().create(true).len(4096).map(&path)? };
/// libpmem::copy(&mut map[..5], b"hello", Flags::empty());
/// map.sync(..)?; // persist if is_pmem(), else msync
/// drop(map);
///
/// assert_eq!(&std::fs::read(&path)?[..5], b"hello");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOptions {
    create: bool,
    create_new: bool,
    sparse: bool,
    tmpfile: bool,
    len: usize,
    mode: u32,
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions::new()
    }
}

impl MapOptions {
    /// Options that map an existing file whole; a created file gets mode `0o666` (less the
    /// umask).
    pub fn new() -> MapOptions {
        MapOptions {
            create: false,
            create_new: false,
            sparse: false,
            tmpfile: false,
            len: 0,
            mode: 0o666,
        }
    }

    /// Creates the file if it does not exist (`PMEM_FILE_CREATE`). Unlike
    /// [`OpenOptions::create`](std::fs::OpenOptions::create), an existing file is resized to
    /// [`len`](MapOptions::len), as PMDK does: extended with zeros, or **truncated** (once the
    /// mapping succeeded).
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.create = create;
        self
    }

    /// Creates the file and fails (`EEXIST`, [`io::ErrorKind::AlreadyExists`]) if it exists
    /// (`PMEM_FILE_CREATE | PMEM_FILE_EXCL`). Implies [`create`](MapOptions::create).
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.create_new = create_new;
        self
    }

    /// Sizes a created or extended file without allocating its blocks (`PMEM_FILE_SPARSE`):
    /// faster, but a store may then fault (SIGBUS) when the file system is full.
    pub fn sparse(&mut self, sparse: bool) -> &mut Self {
        self.sparse = sparse;
        self
    }

    /// The path is a directory: maps a new unnamed file in it, gone once unmapped
    /// (`PMEM_FILE_TMPFILE`, mode `0o600`). Implies [`create`](MapOptions::create).
    pub fn tmpfile(&mut self, tmpfile: bool) -> &mut Self {
        self.tmpfile = tmpfile;
        self
    }

    /// The length to create or resize the file to; 0 (the default) maps an existing file
    /// whole.
    pub fn len(&mut self, len: usize) -> &mut Self {
        self.len = len;
        self
    }

    /// The permissions of a created file, as `open(2)`'s mode (default `0o666`).
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }

    fn flags(&self) -> FileFlags {
        FileFlags::default()
            .with(
                FileFlags::CREATE,
                self.create || self.create_new || self.tmpfile,
            )
            .with(FileFlags::EXCL, self.create_new)
            .with(FileFlags::SPARSE, self.sparse)
            .with(FileFlags::TMPFILE, self.tmpfile)
    }

    /// Opens or creates `path` as these options say and maps it.
    ///
    /// Errors carry PMDK's errno and message: [`Error::errno_of`] reads the errno, and
    /// `to_string()` gives what `pmem_errormsg()` would. A path with a NUL byte is
    /// `EINVAL` ([`io::ErrorKind::InvalidInput`]).
    ///
    /// # Safety
    /// The mapping is shared with the file: the returned [`PmemMap`] hands out `&[u8]` and
    /// `&mut [u8]` over memory that anything else writing the file (another process, another
    /// mapping, `write(2)`) changes behind them, which Rust's references do not allow. And
    /// truncating the file under the mapping makes accesses past the new end fault
    /// (SIGBUS). The caller makes sure neither happens while the map lives, as with
    /// `memmap2::MmapMut::map_mut`.
    pub unsafe fn map(&self, path: impl AsRef<Path>) -> io::Result<PmemMap> {
        let path = c_path(path.as_ref())?;
        let m = map::map_file(&path, self.len, self.flags(), self.mode)?;
        Ok(PmemMap {
            ptr: m.addr,
            len: m.len,
            is_pmem: m.is_pmem(),
        })
    }
}

fn c_path(path: &Path) -> Result<CString, Error> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        Error::invalid_argument(format!("{}: path contains a NUL byte", path.display()))
    })
}

/// A file mapped by [`MapOptions::map`]: a byte slice (through `Deref`) that stays mapped
/// until dropped.
///
/// Dropping unmaps, ignoring a failure (munmap of a whole mapping has none to expect; it is
/// logged at [`Level::Error`](crate::log::Level::Error)); [`unmap`](PmemMap::unmap) reports it.
pub struct PmemMap {
    /// Never null; `len` bytes mapped read-write and shared, owned by this value.
    ptr: *mut u8,
    /// Never 0: a file of length 0 cannot be mapped.
    len: usize,
    is_pmem: bool,
}

// SAFETY: the mapping is process-wide memory owned by this value alone: any thread may
// use or unmap it. Shared access gives out only `&[u8]` and flushes, which read.
unsafe impl Send for PmemMap {}
// SAFETY: as above; mutation needs `&mut PmemMap`.
unsafe impl Sync for PmemMap {}

impl PmemMap {
    /// The mapped length in bytes: the file's length.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: an empty file cannot be mapped.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the mapping is persistent memory, asked once at map time (as pmem_map_file's
    /// `is_pmemp`): if so, [`persist`](PmemMap::persist) makes stores durable; if not,
    /// [`msync`](PmemMap::msync) does.
    #[inline]
    pub fn is_pmem(&self) -> bool {
        self.is_pmem
    }

    /// The first byte.
    #[inline]
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    /// The first byte, for writes.
    #[inline]
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }

    /// [`persist`](crate::persist) of the bytes in `range`.
    ///
    /// # Panics
    /// If `range` is out of bounds, as indexing panics.
    #[inline]
    #[track_caller]
    pub fn persist(&self, range: impl RangeBounds<usize>) {
        slice::persist(slice::sub(self, range))
    }

    /// [`flush`](crate::flush) of the bytes in `range` (a later [`drain`](crate::drain)
    /// waits for it).
    ///
    /// # Panics
    /// If `range` is out of bounds.
    #[inline]
    #[track_caller]
    pub fn flush(&self, range: impl RangeBounds<usize>) {
        slice::flush(slice::sub(self, range))
    }

    /// [`msync`](crate::msync) of the pages holding `range`.
    ///
    /// # Panics
    /// If `range` is out of bounds.
    #[inline]
    #[track_caller]
    pub fn msync(&self, range: impl RangeBounds<usize>) -> io::Result<()> {
        slice::msync(slice::sub(self, range))
    }

    /// Makes the bytes in `range` durable the way this mapping needs: [`persist`] if it
    /// [`is_pmem`], else [`msync`].
    ///
    /// [`persist`]: PmemMap::persist
    /// [`is_pmem`]: PmemMap::is_pmem
    /// [`msync`]: PmemMap::msync
    ///
    /// # Panics
    /// If `range` is out of bounds.
    #[inline]
    #[track_caller]
    pub fn sync(&self, range: impl RangeBounds<usize>) -> io::Result<()> {
        if self.is_pmem {
            self.persist(range);
            Ok(())
        } else {
            self.msync(range)
        }
    }

    /// Unmaps now, reporting a failure (then the memory stays mapped and is leaked).
    pub fn unmap(self) -> io::Result<()> {
        let this = ManuallyDrop::new(self);
        // SAFETY: the mapping is ours and, `self` being consumed, nothing borrows it.
        unsafe { map::unmap(this.ptr, this.len) }.map_err(io::Error::from)
    }
}

impl Drop for PmemMap {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours and, being dropped, no longer borrowed.
        if let Err(e) = unsafe { map::unmap(self.ptr, self.len) } {
            crate::log::pmem_log!(Error, "dropping the mapping at {:p}: {e}", self.ptr);
        }
    }
}

impl Deref for PmemMap {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `len` bytes at `ptr` are mapped while `self` lives (see `map`'s contract).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl DerefMut for PmemMap {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl AsRef<[u8]> for PmemMap {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl AsMut<[u8]> for PmemMap {
    #[inline]
    fn as_mut(&mut self) -> &mut [u8] {
        self
    }
}

impl fmt::Debug for PmemMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PmemMap")
            .field("ptr", &self.ptr)
            .field("len", &self.len)
            .field("is_pmem", &self.is_pmem)
            .finish()
    }
}
