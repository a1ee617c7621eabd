//! The public API end to end: map (create, create_new, tmpfile, sparse, whole file), copy,
//! copy_within and fill with every flag combination, make durable every way, unmap, and read
//! the file back.

use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use libpmem::{Error, Flags, MapOptions, PmemMap};

/// tmpfs when there is one (no disk I/O), else the temporary directory.
fn base_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let writable =
        shm.is_dir() && std::fs::metadata(shm).is_ok_and(|m| !m.permissions().readonly());
    if writable {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// A path of this test's own, removed (with whatever is there) when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path = base_dir().join(format!("libpmem-api-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Scratch(path)
    }

    fn dir(name: &str) -> Scratch {
        let s = Scratch::new(name);
        std::fs::create_dir(&s.0).unwrap();
        s
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Maps `path` as `opts` say; the test's files are its own, as `map` requires.
fn map(opts: &MapOptions, path: &Path) -> std::io::Result<PmemMap> {
    // SAFETY: every file these tests map is theirs alone and never truncated while mapped.
    unsafe { opts.map(path) }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn assert_errno(err: &std::io::Error, errno: i32, kind: ErrorKind, message: &str) {
    assert_eq!(Error::errno_of(err), Some(errno), "{err}");
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.to_string(), message);
}

#[test]
fn create_write_drop_and_remap_whole() {
    let file = Scratch::new("create");
    let len = 3 * 4096 + 100;
    let mut m = map(MapOptions::new().create(true).len(len).mode(0o600), &file.0).unwrap();
    assert_eq!((m.len(), m.is_empty()), (len, false));
    assert_eq!(m.is_pmem(), libpmem::is_pmem(&m));
    assert!(m.iter().all(|&b| b == 0), "a new file reads as zeros");
    let data = pattern(len, 7);
    libpmem::copy(&mut m, &data, Flags::empty());
    m.sync(..).unwrap();
    drop(m);

    let meta = std::fs::metadata(&file.0).unwrap();
    assert_eq!((meta.len(), meta.mode() & 0o777), (len as u64, 0o600));
    assert_eq!(std::fs::read(&file.0).unwrap(), data);
    let again = map(&MapOptions::new(), &file.0).unwrap();
    assert_eq!(&again[..], &data[..]);
    again.unmap().unwrap();
}

#[test]
fn whole_existing_file_with_len_zero() {
    let file = Scratch::new("whole");
    let data = pattern(10_000, 3);
    std::fs::write(&file.0, &data).unwrap();
    let mut m = map(&MapOptions::new(), &file.0).unwrap();
    assert_eq!(&m[..], &data[..]);
    libpmem::fill(&mut m[..100], 0xee, Flags::empty());
    m.msync(..100).unwrap();
    drop(m);
    let back = std::fs::read(&file.0).unwrap();
    assert!(back[..100].iter().all(|&b| b == 0xee));
    assert_eq!(back[100..], data[100..]);
}

#[test]
fn create_on_an_existing_file_resizes_it() {
    let file = Scratch::new("resize");
    std::fs::write(&file.0, pattern(8192, 1)).unwrap();
    let m = map(MapOptions::new().create(true).len(4096), &file.0).unwrap();
    assert_eq!(&m[..], &pattern(8192, 1)[..4096]);
    drop(m);
    assert_eq!(std::fs::metadata(&file.0).unwrap().len(), 4096);
}

#[test]
fn create_new_refuses_an_existing_file() {
    let file = Scratch::new("excl");
    std::fs::write(&file.0, b"keep me").unwrap();
    let err = map(MapOptions::new().create_new(true).len(4096), &file.0).unwrap_err();
    let message = format!("open {}: File exists", file.0.display());
    assert_errno(&err, libc::EEXIST, ErrorKind::AlreadyExists, &message);
    assert_eq!(std::fs::read(&file.0).unwrap(), b"keep me");

    let fresh = Scratch::new("excl-new");
    let m = map(MapOptions::new().create_new(true).len(4096), &fresh.0).unwrap();
    assert_eq!(m.len(), 4096);
}

#[test]
fn missing_file_is_not_found() {
    let file = Scratch::new("missing");
    let err = map(&MapOptions::new(), &file.0).unwrap_err();
    let message = format!("open {}: No such file or directory", file.0.display());
    assert_errno(&err, libc::ENOENT, ErrorKind::NotFound, &message);
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .unwrap();
    assert_eq!(
        (inner.errno(), inner.message()),
        (libc::ENOENT, &message[..])
    );
}

#[test]
fn invalid_options_are_einval() {
    let file = Scratch::new("einval");
    let invalid = |opts: &MapOptions, path: &Path, message: &str| {
        let err = map(opts, path).unwrap_err();
        assert_errno(&err, libc::EINVAL, ErrorKind::InvalidInput, message);
    };
    invalid(
        MapOptions::new().create(true),
        &file.0,
        "zero 'len' not allowed with PMEM_FILE_CREATE",
    );
    invalid(
        MapOptions::new().len(4096),
        &file.0,
        "non-zero 'len' not allowed without PMEM_FILE_CREATE",
    );
    assert!(!file.0.exists(), "a refused call creates nothing");
    std::fs::write(&file.0, b"").unwrap();
    let empty = format!("{}: cannot map a file of length 0", file.0.display());
    invalid(&MapOptions::new(), &file.0, &empty);
    invalid(
        &MapOptions::new(),
        Path::new("/tmp/a\0b"),
        "/tmp/a\0b: path contains a NUL byte",
    );
}

#[test]
fn tmpfile_leaves_nothing_behind() {
    let dir = Scratch::dir("tmpfile");
    let mut m = map(MapOptions::new().tmpfile(true).len(1 << 20), &dir.0).unwrap();
    assert_eq!(m.len(), 1 << 20);
    libpmem::copy(&mut m[4096..4100], b"temp", Flags::NONTEMPORAL);
    m.sync(4096..4100).unwrap();
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0);
    drop(m);
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0);
}

#[test]
fn sparse_allocates_nothing_up_front() {
    let len = 64 << 20;
    let sparse = Scratch::new("sparse");
    let m = map(
        MapOptions::new().create(true).sparse(true).len(len),
        &sparse.0,
    )
    .unwrap();
    assert_eq!(m.len(), len);
    assert!(m[len - 4096..].iter().all(|&b| b == 0));
    let blocks = std::fs::metadata(&sparse.0).unwrap().blocks() * 512;
    assert!(blocks < len as u64 / 2, "{blocks} bytes allocated");

    let full = Scratch::new("full");
    let _m = map(MapOptions::new().create(true).len(len), &full.0).unwrap();
    let blocks = std::fs::metadata(&full.0).unwrap().blocks() * 512;
    assert!(blocks >= len as u64, "only {blocks} bytes allocated");
}

const LENGTHS: [usize; 7] = [0, 1, 63, 64, 257, 4096, 100_000];

/// Every subset of the six flags, and one undefined bit (ignored, as PMDK does).
fn all_flags() -> impl Iterator<Item = Flags> {
    (0..64u32)
        .map(|b| Flags::from_bits(b).unwrap())
        .chain([Flags::from_bits_retain(0x40)])
}

/// Makes the stores into `buf` durable however `flags` left them.
fn finish(buf: &[u8], flags: Flags) {
    if flags.contains(Flags::NOFLUSH) {
        libpmem::persist(buf);
    } else if flags.contains(Flags::NODRAIN) {
        libpmem::drain();
    }
}

#[test]
fn copy_with_every_flag_and_length() {
    let file = Scratch::new("copy");
    let mut m = map(MapOptions::new().create(true).len(256 << 10), &file.0).unwrap();
    for (seed, flags) in all_flags().enumerate() {
        for len in LENGTHS {
            for offset in [0, 3, 64 + 17] {
                let src = pattern(len, seed as u8 ^ len as u8);
                libpmem::copy(&mut m[offset..offset + len], &src, flags);
                finish(&m[offset..offset + len], flags);
                assert!(
                    m[offset..offset + len] == src[..],
                    "{flags:?} {len} at {offset}"
                );
            }
        }
    }
    drop(m);
    let last = pattern(
        100_000,
        (all_flags().count() - 1) as u8 ^ 100_000usize as u8,
    );
    assert_eq!(std::fs::read(&file.0).unwrap()[81..100_081], last[..]);
}

#[test]
fn copy_within_overlapping_both_ways() {
    let file = Scratch::new("within");
    let size = 210_000;
    let mut m = map(MapOptions::new().create(true).len(size), &file.0).unwrap();
    let mut model = pattern(size, 11);
    libpmem::copy(&mut m, &model, Flags::empty());
    for flags in all_flags() {
        for len in LENGTHS {
            for (src, dest) in [(1000, 1001), (1001, 1000), (5000, 5000 + len / 2), (64, 0)] {
                let dest = dest.min(size - len);
                libpmem::copy_within(&mut m, src..src + len, dest, flags);
                model.copy_within(src..src + len, dest);
                finish(&m[dest..dest + len], flags);
                assert!(m[..] == model[..], "{flags:?} {len}: {src} -> {dest}");
            }
        }
    }
    libpmem::copy_within(&mut m, 10.., 0, Flags::empty());
    model.copy_within(10.., 0);
    libpmem::copy_within(&mut m, ..=99, 1, Flags::WC);
    model.copy_within(..=99, 1);
    m.sync(..).unwrap();
    drop(m);
    assert_eq!(std::fs::read(&file.0).unwrap(), model);
}

#[test]
fn fill_with_every_flag_and_length() {
    let file = Scratch::new("fill");
    let mut m = map(MapOptions::new().create(true).len(128 << 10), &file.0).unwrap();
    for (i, flags) in all_flags().enumerate() {
        for len in LENGTHS {
            let value = (i * 7 + len) as u8;
            libpmem::fill(&mut m[5..5 + len], value, flags);
            finish(&m[5..5 + len], flags);
            assert!(m[5..5 + len].iter().all(|&b| b == value), "{flags:?} {len}");
            assert_eq!(m[4], 0, "{flags:?} {len}: no byte before");
        }
    }
}

#[test]
fn every_way_to_make_durable() {
    let file = Scratch::new("durable");
    let mut m = map(MapOptions::new().create(true).len(3 << 20), &file.0).unwrap();
    libpmem::fill(&mut m, 0x5a, Flags::NOFLUSH);
    for range in [0..m.len(), 1..2, 4095..4097, 100..100] {
        let part = &m[range.clone()];
        libpmem::persist(part);
        libpmem::flush(part);
        libpmem::deep_flush(part);
        libpmem::drain();
        libpmem::msync(part).unwrap();
        libpmem::deep_drain(part).unwrap();
        libpmem::deep_persist(part).unwrap();
        m.persist(range.clone());
        m.flush(range.clone());
        m.msync(range.clone()).unwrap();
        m.sync(range).unwrap();
    }
    drop(m);
    assert!(std::fs::read(&file.0).unwrap().iter().all(|&b| b == 0x5a));
}

#[test]
fn slices_that_are_not_mappings() {
    let mut heap = pattern(10_000, 1);
    let empty: &[u8] = &[];
    for buf in [&heap[..], &heap[1..2], empty] {
        libpmem::persist(buf);
        libpmem::flush(buf);
        libpmem::deep_flush(buf);
        libpmem::msync(buf).unwrap();
        assert!(!libpmem::is_pmem(buf) || std::env::var_os("PMEM_IS_PMEM_FORCE").is_some());
    }
    assert!(!libpmem::is_pmem(empty));
    libpmem::copy(&mut [], &[], Flags::empty());
    libpmem::fill(&mut [], 1, Flags::empty());
    libpmem::copy_within(&mut heap, 5..5, 0, Flags::empty());
    libpmem::copy_within(&mut heap, 0..100, 9_900, Flags::NODRAIN);
    libpmem::drain();
    assert_eq!(heap[9_900..], pattern(100, 1)[..]);
}

#[test]
#[should_panic(expected = "source slice length (3) does not match destination slice length (4)")]
fn copy_panics_on_length_mismatch() {
    libpmem::copy(&mut [0; 4], &[1; 3], Flags::empty());
}

#[test]
#[should_panic(expected = "dest is out of bounds")]
fn copy_within_panics_on_dest() {
    libpmem::copy_within(&mut [0; 8], 0..4, 5, Flags::empty());
}

#[test]
#[should_panic(expected = "range end index 9 out of range for slice of length 8")]
fn copy_within_panics_on_src() {
    libpmem::copy_within(&mut [0; 8], 2..9, 0, Flags::empty());
}

#[test]
#[should_panic(expected = "slice index starts at 3 but ends at 2")]
fn copy_within_panics_on_reversed_src() {
    #[allow(clippy::reversed_empty_ranges)]
    libpmem::copy_within(&mut [0; 8], 3..2, 0, Flags::empty());
}

#[test]
#[should_panic(expected = "out of range")]
fn map_methods_panic_out_of_bounds() {
    let file = Scratch::new("bounds");
    let m = map(MapOptions::new().create(true).len(4096), &file.0).unwrap();
    m.persist(4000..4097);
}

#[test]
fn maps_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<PmemMap>();
    let file = Scratch::new("threads");
    let mut m = map(MapOptions::new().create(true).len(8192), &file.0).unwrap();
    let debug = format!("{m:?}");
    assert!(
        debug.starts_with("PmemMap { ptr: 0x") && debug.contains("len: 8192"),
        "{debug}"
    );
    let (left, right) = m.split_at_mut(4096);
    std::thread::scope(|s| {
        s.spawn(|| libpmem::fill(left, 1, Flags::empty()));
        s.spawn(|| libpmem::fill(right, 2, Flags::empty()));
    });
    assert_eq!(m.as_ptr(), m.as_mut_ptr().cast_const());
    std::thread::spawn(move || {
        assert_eq!((m[0], m[8191]), (1, 2));
        drop(m);
    })
    .join()
    .unwrap();
}

#[cfg(feature = "memmap2")]
#[test]
fn memmap2_mappings_get_the_flushes() {
    use libpmem::PmemExt;

    let file = Scratch::new("memmap2");
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&file.0)
        .unwrap();
    f.set_len(8192).unwrap();
    // SAFETY: the file is this test's own.
    let mut m = unsafe { memmap2::MmapMut::map_mut(&f) }.unwrap();
    libpmem::copy(&mut m[..4], b"mmap", Flags::NONTEMPORAL);
    m.pmem_flush(..4);
    libpmem::drain();
    m.pmem_persist(4..);
    m.pmem_msync(..).unwrap();
    let forced = std::env::var_os("PMEM_IS_PMEM_FORCE").is_some();
    assert!(
        !m.pmem_is_pmem(..) || forced,
        "memmap2 mappings are not registered"
    );
    drop(m);
    assert_eq!(&std::fs::read(&file.0).unwrap()[..4], b"mmap");
}
