//! pmemcp SRC DST: copies a file into a persistent-memory-mapped file, the way a libpmem user
//! does (as the C library's examples/pmemcp.c): DST is created at SRC's length and mapped,
//! the bytes are copied in, and made durable with cache flushes on pmem or msync elsewhere.
//!
//! Run: `cargo run -p libpmem --example pmemcp -- SRC DST`

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::process::ExitCode;

use libpmem::{Flags, MapOptions};

/// The piece read from SRC and copied at a time.
const CHUNK: usize = 1 << 20;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    if args.len() != 3 {
        let me = args
            .first()
            .map_or("pmemcp".into(), |a| a.to_string_lossy());
        eprintln!("usage: {me} src-file dst-file");
        return ExitCode::from(2);
    }
    match copy_file(Path::new(&args[1]), Path::new(&args[2])) {
        Ok((len, is_pmem)) => {
            let how = if is_pmem {
                "pmem, persisted with flushes"
            } else {
                "not pmem, msynced"
            };
            println!(
                "pmemcp: {len} bytes to {} ({how})",
                args[2].to_string_lossy()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pmemcp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Copies `src` into a new mapping of `dst`; returns the length and whether it was pmem.
fn copy_file(src: &Path, dst: &Path) -> io::Result<(usize, bool)> {
    let with_path = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", src.display()));
    let mut file = File::open(src).map_err(with_path)?;
    let len = usize::try_from(file.metadata().map_err(with_path)?.len())
        .map_err(|_| with_path(io::ErrorKind::FileTooLarge.into()))?;
    if len == 0 {
        return Err(with_path(io::Error::other("empty")));
    }
    // SAFETY: DST is ours while we copy; as with any shared file mapping, another program
    // truncating it at the same time would be a bug of that program.
    let mut map = unsafe {
        MapOptions::new()
            .create(true)
            .len(len)
            .mode(0o644)
            .map(dst)?
    };
    // On pmem, non-temporal stores bypass the cache and one drain at the end covers every
    // chunk. Elsewhere the page cache holds the bytes: plain stores, then msync.
    let flags = if map.is_pmem() {
        Flags::NONTEMPORAL | Flags::NODRAIN
    } else {
        Flags::NOFLUSH
    };
    let mut buf = vec![0u8; CHUNK.min(len)];
    for dst_chunk in map.chunks_mut(CHUNK) {
        let piece = &mut buf[..dst_chunk.len()];
        file.read_exact(piece).map_err(with_path)?;
        libpmem::copy(dst_chunk, piece, flags);
    }
    if map.is_pmem() {
        libpmem::drain();
    } else {
        map.msync(..)?;
    }
    let is_pmem = map.is_pmem();
    map.unmap()?;
    Ok((len, is_pmem))
}
