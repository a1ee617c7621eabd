//! `pmem_map_file` and `pmem_unmap`: open or create a file, size it, map it on a huge-page
//! boundary, and track whether the mapping is persistent memory.
//!
//! The checks and their order follow PMDK 1.12 (the path is looked at before the flags). Unlike
//! PMDK, a call that fails leaves the file as it was: a file it created is removed, a size it
//! changed is restored, and an existing file is shrunk only after the mapping succeeded.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicUsize, Ordering};

use libc::{c_int, mode_t};

use crate::error::Error;
use crate::os::{errno, page_size};
use crate::registry::{self, Kind};
use crate::sysfs;

const MIB2: usize = 2 << 20;
const GIB: usize = 1 << 30;
/// Files are allocated in pieces this large so a huge allocation can be interrupted and
/// retried piecewise (tmpfs refuses one fallocate larger than free memory; signals interrupt).
const ALLOC_PIECE: u64 = 1 << 30;
/// How often one piece is retried after ENOMEM before giving up.
const ALLOC_ENOMEM_RETRIES: u32 = 8;

/// What to do with the file: pmem_map_file's `PMEM_FILE_*` bits. Unknown bits are kept, to be
/// refused with PMDK's message after the path was looked at, as PMDK does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileFlags(i32);

impl FileFlags {
    /// Create the file if it does not exist (and size it).
    pub const CREATE: FileFlags = FileFlags(1 << 0);
    /// With `CREATE`, fail if the file exists.
    pub const EXCL: FileFlags = FileFlags(1 << 1);
    /// Size a created file without allocating its blocks.
    pub const SPARSE: FileFlags = FileFlags(1 << 2);
    /// The path is a directory: map an unnamed file in it.
    pub const TMPFILE: FileFlags = FileFlags(1 << 3);
    const ALL: i32 = 0xf;

    /// The caller's bits, unknown ones kept.
    #[cfg(feature = "capi")]
    pub const fn from_bits_retain(bits: i32) -> FileFlags {
        FileFlags(bits)
    }

    /// The bits, as pmem_map_file's `flags`.
    pub const fn bits(self) -> i32 {
        self.0
    }

    /// `self` with `flag` set when `on`.
    pub const fn with(self, flag: FileFlags, on: bool) -> FileFlags {
        FileFlags(if on { self.0 | flag.0 } else { self.0 })
    }

    const fn contains(self, flag: FileFlags) -> bool {
        self.0 & flag.0 == flag.0
    }

    /// Whether there is a bit outside `allowed`.
    const fn has_other_than(self, allowed: i32) -> bool {
        self.0 & !allowed != 0
    }
}

/// A successful mapping.
#[derive(Debug)]
pub struct Mapping {
    /// The first byte.
    pub addr: *mut u8,
    /// The length in bytes (the file's, when mapped whole).
    pub len: usize,
    /// Registered as persistent memory (device DAX, or MAP_SYNC granted).
    registered: bool,
}

impl Mapping {
    /// pmem_is_pmem of the whole mapping, from what the map call knew. Asked, not computed by
    /// the call: it reads PMEM_IS_PMEM_FORCE, which PMDK reads at the first pmem_is_pmem call
    /// and in pmem_map_file only when is_pmemp is given.
    pub fn is_pmem(&self) -> bool {
        registry::forced().unwrap_or(self.registered)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileType {
    Normal,
    DevDax { major: u32, minor: u32 },
}

fn show(path: &CStr) -> std::borrow::Cow<'_, str> {
    path.to_string_lossy()
}

fn fstat(fd: &OwnedFd) -> Result<libc::stat, Error> {
    // SAFETY: an all-zero stat is a valid value to be overwritten.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fd is open; st is a valid out-pointer.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(Error::last_os("fstat"));
    }
    Ok(st)
}

/// An open file's size, and whether it is DAX where the kernel says (statx, Linux 5.8+): MAP_SYNC
/// needs a DAX file, so a file known not to be one is not asked for it.
fn size_and_dax(fd: &OwnedFd) -> Result<(u64, Option<bool>), Error> {
    // SAFETY: an all-zero statx is a valid value to be overwritten.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: fd is open, the empty path with AT_EMPTY_PATH names it, stx is a valid out-pointer.
    let rc = unsafe {
        libc::statx(
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_SIZE,
            &mut stx,
        )
    };
    if rc != 0 {
        // Whatever the reason (a seccomp filter that knows only fstat answers EPERM), fstat
        // still tells the size, as it does for PMDK.
        return Ok((fstat(fd)?.st_size as u64, None));
    }
    let dax_bit = libc::STATX_ATTR_DAX as u64;
    let dax = (stx.stx_attributes_mask & dax_bit != 0).then_some(stx.stx_attributes & dax_bit != 0);
    Ok((stx.stx_size, dax))
}

/// PMDK's `util_file_get_type`: a missing path is a normal (future) file, so are regular files and
/// directories; a character device whose sysfs subsystem is "dax" is device DAX; anything else,
/// and any stat error but ENOENT, fails the call.
fn file_type(path: &CStr) -> Result<FileType, Error> {
    // SAFETY: zeroed stat is valid; path is NUL-terminated.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::stat(path.as_ptr(), &mut st) } != 0 {
        let e = errno();
        if e == libc::ENOENT {
            return Ok(FileType::Normal);
        }
        return Err(Error::os(e, format_args!("stat {}", show(path))));
    }
    match st.st_mode & libc::S_IFMT {
        libc::S_IFREG | libc::S_IFDIR => return Ok(FileType::Normal),
        libc::S_IFCHR => {
            let (major, minor) = (libc::major(st.st_rdev), libc::minor(st.st_rdev));
            if sysfs::is_device_dax(sysfs::SYSFS_ROOT, major, minor) {
                return Ok(FileType::DevDax { major, minor });
            }
        }
        _ => {}
    }
    // FIFOs, sockets, block devices and other character devices can't be pmem (PMDK: EINVAL).
    Err(Error::new(
        libc::EINVAL,
        format!(
            "{}: not a regular file, directory or Device DAX",
            show(path)
        ),
    ))
}

fn open_raw(path: &CStr, flags: c_int, mode: mode_t) -> Result<OwnedFd, i32> {
    // SAFETY: path is NUL-terminated; a non-negative result is a new fd we own.
    let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC, mode as libc::c_uint) };
    if fd < 0 {
        Err(errno())
    } else {
        // SAFETY: fd was just opened and is owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

/// An open file and what to undo if the call fails.
struct Opened {
    fd: OwnedFd,
    /// The path to remove on failure: set only when this call created the file.
    created: Option<CString>,
    /// The size before this call.
    orig_size: u64,
}

fn open_existing(path: &CStr) -> Result<Opened, Error> {
    let fd = open_raw(path, libc::O_RDWR, 0)
        .map_err(|e| Error::os(e, format_args!("open {}", show(path))))?;
    Ok(Opened {
        fd,
        created: None,
        orig_size: 0,
    })
}

/// Opens for PMEM_FILE_CREATE, remembering whether the file is new so a failure can remove it.
fn open_create(path: &CStr, excl: bool, mode: mode_t) -> Result<Opened, Error> {
    let fail = |e: i32| Error::os(e, format_args!("open {}", show(path)));
    if excl {
        let fd = open_raw(path, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, mode).map_err(fail)?;
        return Ok(Opened {
            fd,
            created: Some(path.to_owned()),
            orig_size: 0,
        });
    }
    // Open-or-create in two steps, so we know which one happened. A creator racing us, or a
    // dangling symlink (O_EXCL refuses to follow it), makes the second step fail with EEXIST.
    for _ in 0..4 {
        match open_raw(path, libc::O_RDWR, 0) {
            Ok(fd) => {
                let orig_size = fstat(&fd)?.st_size as u64;
                return Ok(Opened {
                    fd,
                    created: None,
                    orig_size,
                });
            }
            Err(libc::ENOENT) => {}
            Err(e) => return Err(fail(e)),
        }
        match open_raw(path, libc::O_RDWR | libc::O_CREAT | libc::O_EXCL, mode) {
            Ok(fd) => {
                return Ok(Opened {
                    fd,
                    created: Some(path.to_owned()),
                    orig_size: 0,
                })
            }
            Err(libc::EEXIST) => continue,
            Err(e) => return Err(fail(e)),
        }
    }
    // A dangling symlink: O_CREAT follows it and creates its target, which is what we remove
    // on failure (found through /proc, as the link itself must stay).
    let fd = open_raw(path, libc::O_RDWR | libc::O_CREAT, mode).map_err(fail)?;
    let orig_size = fstat(&fd)?.st_size as u64;
    let created = if orig_size == 0 {
        std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .ok()
            .and_then(|p| CString::new(p.as_os_str().as_bytes()).ok())
    } else {
        None
    };
    Ok(Opened {
        fd,
        created,
        orig_size,
    })
}

/// An unnamed file in directory `dir` (O_TMPFILE, else mkstemp + unlink), mode 0600.
fn open_tmpfile(dir: &CStr, excl: bool) -> Result<Opened, Error> {
    let excl_flag = if excl { libc::O_EXCL } else { 0 };
    match open_raw(dir, libc::O_TMPFILE | libc::O_RDWR | excl_flag, 0o600) {
        Ok(fd) => {
            return Ok(Opened {
                fd,
                created: None,
                orig_size: 0,
            })
        }
        Err(libc::EOPNOTSUPP) => {}
        Err(e) => return Err(Error::os(e, format_args!("open {}", show(dir)))),
    }
    let mut template = dir.to_bytes().to_vec();
    template.extend_from_slice(b"/pmem.XXXXXX\0");
    // SAFETY: template is NUL-terminated and writable; mkostemp fills in the X's.
    let fd = unsafe { libc::mkostemp(template.as_mut_ptr() as *mut libc::c_char, libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(Error::last_os(format_args!("mkstemp {}", show(dir))));
    }
    // SAFETY: fd was just created and is ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: template is the NUL-terminated name mkostemp created.
    unsafe { libc::unlink(template.as_ptr() as *const libc::c_char) };
    Ok(Opened {
        fd,
        created: None,
        orig_size: 0,
    })
}

/// Undoes what a failed call did to the file, unless disarmed.
struct Restore<'a> {
    opened: &'a Opened,
    resized: bool,
    armed: bool,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Some(path) = &self.opened.created {
            // SAFETY: path is NUL-terminated.
            unsafe { libc::unlink(path.as_ptr()) };
        } else if self.resized {
            // SAFETY: fd is open.
            unsafe { libc::ftruncate(self.opened.fd.as_raw_fd(), self.opened.orig_size as i64) };
        }
    }
}

/// posix_fallocate in pieces, retrying a piece interrupted by a signal or refused for memory.
///
/// Fails at once with ENOSPC when the file system plainly lacks the space, instead of filling
/// it piece by piece first (which on tmpfs means filling RAM).
fn allocate(fd: &OwnedFd, len: u64) -> Result<(), Error> {
    let allocated = fstat(fd)?.st_blocks as u64 * 512;
    // SAFETY: zeroed statvfs is valid to be overwritten; fd is open.
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatvfs(fd.as_raw_fd(), &mut vfs) } == 0 && vfs.f_blocks > 0 {
        let available = (vfs.f_bavail as u64).saturating_mul(vfs.f_frsize as u64);
        if len.saturating_sub(allocated) > available {
            return Err(Error::os(libc::ENOSPC, "posix_fallocate"));
        }
    }
    let mut offset = 0u64;
    while offset < len {
        let piece = ALLOC_PIECE.min(len - offset);
        let mut enomem_retries = 0;
        loop {
            // SAFETY: fd is open; offsets fit off_t (len <= i64::MAX was checked).
            let rc = unsafe { libc::posix_fallocate(fd.as_raw_fd(), offset as i64, piece as i64) };
            match rc {
                0 => break,
                libc::EINTR => continue,
                libc::ENOMEM if enomem_retries < ALLOC_ENOMEM_RETRIES => {
                    enomem_retries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(1 << enomem_retries));
                }
                e => return Err(Error::os(e, "posix_fallocate")),
            }
        }
        offset += piece;
    }
    Ok(())
}

fn set_len(fd: &OwnedFd, len: u64) -> Result<(), Error> {
    // SAFETY: fd is open.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), len as i64) } != 0 {
        return Err(Error::last_os("ftruncate"));
    }
    Ok(())
}

/// Maps and registers; see the module comment. Each step below is one of the call's stages,
/// in PMDK's order.
pub fn map_file(path: &CStr, len: usize, flags: FileFlags, mode: mode_t) -> Result<Mapping, Error> {
    let req = validate(path, len, flags)?;
    let opened = open(path, &req, mode)?;
    let mut restore = Restore {
        opened: &opened,
        resized: false,
        armed: true,
    };
    let sized = size_file(path, &req, &mut restore)?;
    let len = sized.len;
    let align = alignment(req.ftype, len);
    crate::log::pmem_log!(
        Debug,
        "{}: mapping len {} align {:#x}, trying MAP_SYNC: {}",
        show(path),
        len,
        align,
        sized.try_map_sync
    );
    let (addr, map_sync) = map_aligned(&opened.fd, len, align, sized.try_map_sync)
        .map_err(|e| Error::os(e, format_args!("mmap {}", show(path))))?;
    let kind = register(req.ftype, map_sync, addr, len);
    crate::valgrind::register_mapping(opened.fd.as_raw_fd(), addr, len);

    if let Some(size) = sized.shrink_to {
        if let Err(e) = set_len(&opened.fd, size) {
            // SAFETY: the mapping was just made and is not handed out.
            let _ = unsafe { unmap(addr, len) };
            return Err(e);
        }
    }
    restore.armed = false;
    drop(restore);

    crate::log::pmem_log!(
        Notice,
        "mapped {} at {:p} len {} map_sync {} registered as pmem {}",
        show(path),
        addr,
        len,
        map_sync,
        kind.is_some()
    );
    Ok(Mapping {
        addr,
        len,
        registered: kind.is_some(),
    })
}

/// A call's arguments once checked: device DAX is mapped whole, so its flags and length are 0.
struct Request {
    ftype: FileType,
    flags: FileFlags,
    len: usize,
}

impl Request {
    fn create(&self) -> bool {
        self.flags.contains(FileFlags::CREATE)
    }
}

/// Checks the arguments in PMDK's order: the path's type, the flags, then the length.
fn validate(path: &CStr, len: usize, flags: FileFlags) -> Result<Request, Error> {
    let ftype = file_type(path)?;
    if flags.has_other_than(FileFlags::ALL) {
        return Err(Error::new(
            libc::EINVAL,
            format!("invalid flag specified {:x}", flags.bits()),
        ));
    }
    let req = match ftype {
        FileType::DevDax { major, minor } => {
            validate_device_dax(major, minor, len, flags)?;
            Request {
                ftype,
                flags: FileFlags::default(),
                len: 0,
            }
        }
        FileType::Normal => Request { ftype, flags, len },
    };
    validate_len(&req)?;
    Ok(req)
}

/// Device DAX takes no flag but CREATE and SPARSE, and no length but 0 or its own size.
fn validate_device_dax(major: u32, minor: u32, len: usize, flags: FileFlags) -> Result<(), Error> {
    if flags.has_other_than(FileFlags::CREATE.0 | FileFlags::SPARSE.0) {
        return Err(Error::new(
            libc::EINVAL,
            format!("flag unsupported for Device DAX {:x}", flags.bits()),
        ));
    }
    let size = sysfs::device_dax_size(sysfs::SYSFS_ROOT, major, minor)
        .ok_or_else(|| Error::new(libc::EINVAL, "unable to read Device DAX size"))?;
    if len != 0 && len as u64 != size {
        return Err(Error::new(
            libc::EINVAL,
            format!("Device DAX length must be either 0 or the exact size of the device: {size}"),
        ));
    }
    Ok(())
}

/// A length goes with PMEM_FILE_CREATE, and PMEM_FILE_TMPFILE too.
fn validate_len(req: &Request) -> Result<(), Error> {
    let (len, create) = (req.len, req.create());
    if create && len > i64::MAX as usize {
        return Err(Error::new(
            libc::EINVAL,
            format!("invalid file length {len}"),
        ));
    }
    let problem = if len != 0 && !create {
        "non-zero 'len' not allowed without PMEM_FILE_CREATE"
    } else if len == 0 && create {
        "zero 'len' not allowed with PMEM_FILE_CREATE"
    } else if req.flags.contains(FileFlags::TMPFILE) && !create {
        "PMEM_FILE_TMPFILE not allowed without PMEM_FILE_CREATE"
    } else {
        return Ok(());
    };
    Err(Error::new(libc::EINVAL, problem))
}

/// Opens (or creates, or makes unnamed in the directory `path`) the file.
fn open(path: &CStr, req: &Request, mode: mode_t) -> Result<Opened, Error> {
    let excl = req.flags.contains(FileFlags::EXCL);
    if req.flags.contains(FileFlags::TMPFILE) {
        open_tmpfile(path, excl)
    } else if req.create() {
        open_create(path, excl, mode)
    } else {
        open_existing(path)
    }
}

/// How long the mapping is, and what sizing the file left to do.
struct Sized {
    len: usize,
    /// The size to cut an existing file down to once the mapping succeeded.
    shrink_to: Option<u64>,
    /// False for a file the kernel says is not DAX, which can't have MAP_SYNC.
    try_map_sync: bool,
}

/// Gives a created file its length, or reads an existing one's.
fn size_file(path: &CStr, req: &Request, restore: &mut Restore) -> Result<Sized, Error> {
    if req.create() {
        size_for_create(req, restore)
    } else {
        size_of_existing(path, req.ftype, restore.opened)
    }
}

/// PMEM_FILE_CREATE: allocates the length (or only sets it, SPARSE); a shorter length is
/// left for later, as shrinking destroys data.
fn size_for_create(req: &Request, restore: &mut Restore) -> Result<Sized, Error> {
    let opened = restore.opened;
    let want = req.len as u64;
    if want > opened.orig_size {
        restore.resized = true;
    }
    if !req.flags.contains(FileFlags::SPARSE) {
        // Extends the file too; on failure the restore guard cuts it back.
        allocate(&opened.fd, want)?;
    } else if want > opened.orig_size {
        set_len(&opened.fd, want)?;
    }
    Ok(Sized {
        len: req.len,
        shrink_to: (want < opened.orig_size).then_some(want),
        try_map_sync: true,
    })
}

/// Without PMEM_FILE_CREATE the whole file (or device) is mapped.
fn size_of_existing(path: &CStr, ftype: FileType, opened: &Opened) -> Result<Sized, Error> {
    let (size, dax) = size_and_dax(&opened.fd)?;
    let len = match ftype {
        FileType::DevDax { major, minor } => {
            sysfs::device_dax_size(sysfs::SYSFS_ROOT, major, minor).unwrap_or(0) as usize
        }
        FileType::Normal => size as usize,
    };
    if len == 0 {
        return Err(Error::new(
            libc::EINVAL,
            format!("{}: cannot map a file of length 0", show(path)),
        ));
    }
    Ok(Sized {
        len,
        shrink_to: None,
        try_map_sync: !(ftype == FileType::Normal && dax == Some(false)),
    })
}

/// PMDK's rule (1 GiB from 2 GiB on, else 2 MiB), raised to a device DAX's own alignment:
/// the kernel refuses a device DAX mapping that isn't aligned to it (PMDK fails there).
fn alignment(ftype: FileType, len: usize) -> usize {
    let by_len = if len >= 2 * GIB { GIB } else { MIB2 };
    match ftype {
        FileType::DevDax { major, minor } => {
            let device = sysfs::device_dax_alignment(sysfs::SYSFS_ROOT, major, minor).unwrap_or(0);
            by_len.max(usize::try_from(device).unwrap_or(0))
        }
        FileType::Normal => by_len,
    }
}

/// Registers a new mapping that is persistent memory (device DAX, or MAP_SYNC granted);
/// returns how, or None.
fn register(ftype: FileType, map_sync: bool, addr: *mut u8, len: usize) -> Option<Kind> {
    let kind = match ftype {
        FileType::DevDax { major, minor } => Kind::DevDax { major, minor },
        FileType::Normal if map_sync => Kind::MapSync,
        FileType::Normal => return None,
    };
    let mut ranges = registry::write();
    ranges.insert(
        addr as usize,
        addr as usize + round_up(len, page_size()),
        kind,
    );
    registry::publish_count(&ranges);
    Some(kind)
}

fn round_up(v: usize, to: usize) -> usize {
    v.div_ceil(to) * to
}

/// Where `pmem_unmap` last freed a range; tried once by the next mapping (see `map_at_recent`).
static RECENT: AtomicUsize = AtomicUsize::new(0);

/// Maps `len` bytes of `fd` read-write shared at an `align`-aligned address, with MAP_SYNC if the
/// kernel grants it (not asked when `try_sync` is false). Returns the address and whether
/// MAP_SYNC was granted, or an errno.
fn map_aligned(
    fd: &OwnedFd,
    len: usize,
    align: usize,
    try_sync: bool,
) -> Result<(*mut u8, bool), i32> {
    let page = page_size();
    let map_len = round_up(len, page);
    let align = align.max(page);
    if let Some(hint) = crate::config::get().mmap_hint {
        if let Some(found) = map_at_hint(fd, map_len, align, hint, try_sync) {
            return Ok(found);
        }
    }
    if let Some(found) = map_at_recent(fd, map_len, align, try_sync) {
        return Ok(found);
    }
    map_in_reservation(fd, map_len, align, try_sync)
}

/// `map_aligned` anywhere: a PROT_NONE reservation of len + align is made first and the file is
/// mapped over its aligned part with MAP_FIXED, so no other thread can take the chosen address
/// in between; the rest of the reservation is given back. `map_len` is whole pages.
fn map_in_reservation(
    fd: &OwnedFd,
    map_len: usize,
    align: usize,
    try_sync: bool,
) -> Result<(*mut u8, bool), i32> {
    let reserve_len = map_len.checked_add(align).ok_or(libc::ENOMEM)?;
    // SAFETY: an anonymous PROT_NONE reservation touches no existing mapping.
    let reserve = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            reserve_len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if reserve == libc::MAP_FAILED {
        return Err(errno());
    }
    let start = reserve as usize;
    let aligned = round_up(start, align);
    let result = map_fixed(fd, aligned, map_len, try_sync);
    match result {
        Ok(map_sync) => {
            // Give back the parts of the reservation around the mapping.
            // SAFETY: both ranges lie inside our own reservation and outside the file mapping.
            unsafe {
                if aligned > start {
                    libc::munmap(reserve, aligned - start);
                }
                let end = aligned + map_len;
                if start + reserve_len > end {
                    libc::munmap(end as *mut libc::c_void, start + reserve_len - end);
                }
            }
            Ok((aligned as *mut u8, map_sync))
        }
        Err(e) => {
            // SAFETY: the reservation (and anything mapped over it) is ours to remove.
            unsafe { libc::munmap(reserve, reserve_len) };
            Err(e)
        }
    }
}

/// Maps the file where `pmem_unmap` last freed a range, if it is still free and aligned (a
/// file opened, unmapped and opened again, as pools are): one mmap instead of a reservation,
/// a mapping over it and two trims (four syscalls; docs/performance.md).
/// Anything else falls back to the reservation. The address is taken, so mappings made
/// without unmaps in between (many pools open at once) never pay for a failed attempt.
fn map_at_recent(
    fd: &OwnedFd,
    len: usize,
    align: usize,
    try_sync: bool,
) -> Option<(*mut u8, bool)> {
    let recent = RECENT.swap(0, Ordering::Relaxed);
    if recent == 0 || !recent.is_multiple_of(align) {
        return None;
    }
    map_exactly_at(fd, recent, len, try_sync)
}

/// Maps the file at `addr` if that range is free: `addr` is passed as a hint, which the kernel
/// follows when the range is free and never lets replace anything; a mapping placed elsewhere
/// is given back. (Not MAP_FIXED_NOREPLACE: kernels before 6.x reject it together with
/// MAP_SHARED_VALIDATE, which MAP_SYNC needs.)
fn map_exactly_at(
    fd: &OwnedFd,
    addr: usize,
    len: usize,
    try_sync: bool,
) -> Option<(*mut u8, bool)> {
    addr.checked_add(len)?;
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let attempts: &[(c_int, bool)] = if try_sync {
        &[
            (libc::MAP_SHARED_VALIDATE | libc::MAP_SYNC, true),
            (libc::MAP_SHARED, false),
        ]
    } else {
        &[(libc::MAP_SHARED, false)]
    };
    for &(flags, sync) in attempts {
        // SAFETY: without MAP_FIXED the address is only a hint: nothing is replaced.
        let p = unsafe { libc::mmap(addr as *mut _, len, prot, flags, fd.as_raw_fd(), 0) };
        if p == libc::MAP_FAILED {
            if sync && matches!(errno(), libc::EOPNOTSUPP | libc::EINVAL) {
                continue;
            }
            return None;
        }
        if p as usize != addr {
            // SAFETY: p is the mapping just made and nobody else knows of it.
            unsafe { libc::munmap(p, len) };
            return None;
        }
        return Some((p as *mut u8, sync));
    }
    None
}

/// Maps the file at exactly `addr` over our reservation: MAP_SYNC first (if `try_sync`), plain
/// shared second.
fn map_fixed(fd: &OwnedFd, addr: usize, len: usize, try_sync: bool) -> Result<bool, i32> {
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    if try_sync {
        let sync_flags = libc::MAP_SHARED_VALIDATE | libc::MAP_SYNC | libc::MAP_FIXED;
        // SAFETY: [addr, addr+len) lies in a reservation this call owns; MAP_FIXED replaces
        // only it.
        let p = unsafe { libc::mmap(addr as *mut _, len, prot, sync_flags, fd.as_raw_fd(), 0) };
        if p != libc::MAP_FAILED {
            return Ok(true);
        }
        let e = errno();
        if e != libc::EOPNOTSUPP && e != libc::EINVAL {
            return Err(e);
        }
    }
    // SAFETY: as above.
    let p = unsafe {
        libc::mmap(
            addr as *mut _,
            len,
            prot,
            libc::MAP_SHARED | libc::MAP_FIXED,
            fd.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(errno());
    }
    Ok(false)
}

/// PMEM_MMAP_HINT: the first free `align`-aligned gap at or above `hint` (from
/// /proc/self/maps), mapped so that a racing mapping is never replaced.
fn map_at_hint(
    fd: &OwnedFd,
    len: usize,
    align: usize,
    hint: usize,
    try_sync: bool,
) -> Option<(*mut u8, bool)> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let mut used: Vec<(usize, usize)> = maps
        .lines()
        .filter_map(|l| {
            let range = l.split_whitespace().next()?;
            let (a, b) = range.split_once('-')?;
            Some((
                usize::from_str_radix(a, 16).ok()?,
                usize::from_str_radix(b, 16).ok()?,
            ))
        })
        .collect();
    used.sort_unstable();
    // Never at 0 (PMDK too starts a zero hint at the first aligned address above it).
    let mut candidate = hint.max(1).checked_next_multiple_of(align)?;
    for &(s, e) in &used {
        if e <= candidate {
            continue;
        }
        if s >= candidate.checked_add(len)? {
            break;
        }
        candidate = e.checked_next_multiple_of(align)?;
    }
    map_exactly_at(fd, candidate, len, try_sync)
}

/// Deregisters and unmaps. Errors come from munmap only.
///
/// # Safety
/// As munmap(2): nothing uses the range afterwards.
pub unsafe fn unmap(addr: *mut u8, len: usize) -> Result<(), Error> {
    // Hold the registry lock across munmap and deregistration, so a mapping another thread makes
    // at the same address in between cannot lose its registration.
    let mut ranges = registry::write();
    // SAFETY: munmap validates its arguments; the caller no longer uses the range.
    if unsafe { libc::munmap(addr as *mut libc::c_void, len) } != 0 {
        return Err(Error::last_os("munmap"));
    }
    let start = addr as usize;
    ranges.remove(start, start.saturating_add(round_up(len, page_size())));
    registry::publish_count(&ranges);
    drop(ranges);
    crate::valgrind::remove_mapping(addr, len);
    RECENT.store(start, Ordering::Relaxed);
    crate::log::pmem_log!(Info, "unmapped {:p} len {}", addr, len);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, len: usize) -> CString {
        let path = std::env::temp_dir().join(format!("pmem-map-{}-{name}", std::process::id()));
        std::fs::write(&path, vec![0u8; 0]).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len as u64).unwrap();
        CString::new(path.as_os_str().as_bytes()).unwrap()
    }

    fn write_read(m: &Mapping, byte: u8) -> bool {
        // SAFETY: the mapping is ours, len bytes long, read-write.
        unsafe {
            std::ptr::write_bytes(m.addr, byte, m.len);
            *m.addr.add(m.len - 1) == byte
        }
    }

    /// Reopening where the last mapping was, over a range still in use, and with another
    /// alignment: every mapping is aligned, disjoint from the live ones, and works.
    #[test]
    fn recent_address_is_reused_only_when_free() {
        let a = file("a", 4 << 20);
        let b = file("b", 6 << 20);
        let m1 = map_file(&a, 0, FileFlags::default(), 0).unwrap();
        assert_eq!(m1.addr as usize % MIB2, 0);
        let first = m1.addr as usize;
        // SAFETY: the mapping is the test\'s own and no longer used.
        unsafe { unmap(m1.addr, m1.len) }.unwrap();

        // Free again: taken again, no reservation needed.
        let m2 = map_file(&a, 0, FileFlags::default(), 0).unwrap();
        assert_eq!(m2.addr as usize, first);
        // Occupied: somewhere else, not overlapping.
        let m3 = map_file(&b, 0, FileFlags::default(), 0).unwrap();
        let (s2, e2) = (m2.addr as usize, m2.addr as usize + m2.len);
        let (s3, e3) = (m3.addr as usize, m3.addr as usize + m3.len);
        assert!(e3 <= s2 || e2 <= s3, "{s2:#x}-{e2:#x} vs {s3:#x}-{e3:#x}");
        assert_eq!(s3 % MIB2, 0);
        assert!(write_read(&m2, 1) && write_read(&m3, 2));
        // SAFETY: m2 is mapped and len long.
        assert_eq!(
            unsafe { *m2.addr },
            1,
            "the second mapping left the first alone"
        );
        // SAFETY: the mapping is the test\'s own and no longer used.
        unsafe { unmap(m2.addr, m2.len) }.unwrap();
        // SAFETY: the mapping is the test\'s own and no longer used.
        unsafe { unmap(m3.addr, m3.len) }.unwrap();
        for p in [a, b] {
            std::fs::remove_file(std::ffi::OsStr::from_bytes(p.as_bytes())).unwrap();
        }
    }
}
