//! The public log API: a Rust function receives what passes the threshold, keeps errno, and
//! gives way to the default one. One test, as the log's state is process-wide.

use std::sync::Mutex;

use libpmem::log::{self, Level, Record, Threshold};

type Seen = (Level, String, String, String);
static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

fn record(r: &Record<'_>) {
    // A callee that clobbers errno: the caller's must survive it.
    // SAFETY: __errno_location returns this thread's errno.
    unsafe { *libc::__errno_location() = libc::EBADF };
    let (function, message) = (r.function().to_owned(), r.message().to_owned());
    let entry = (r.level(), function, message, r.to_string());
    SEEN.lock().unwrap().push(entry);
}

fn seen() -> Vec<Seen> {
    std::mem::take(&mut *SEEN.lock().unwrap())
}

/// Removes the file even when an assertion fails.
struct RemoveOnDrop<'a>(&'a std::path::Path);

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

#[test]
fn rust_function_gets_messages_past_the_threshold() {
    log::set_function(Some(record));
    let greeting = seen();
    assert_eq!(greeting.len(), 1, "{greeting:?}");
    assert_eq!(greeting[0].0, Level::Hark);
    assert_eq!(greeting[0].1, "libpmem::log::set_function");
    assert!(greeting[0].2.starts_with("libpmem (Rust) version "));
    assert!(greeting[0].3.starts_with("*HARK* ["), "{}", greeting[0].3);
    assert!(greeting[0]
        .3
        .ends_with(" libpmem::log::set_function]: libpmem (Rust) version 1.12.1"));

    // A mapping logs a Notice: below the default threshold (Warning), above Notice.
    let path = std::env::temp_dir().join(format!("libpmem-log-map-{}", std::process::id()));
    let _remove = RemoveOnDrop(&path);
    let map_once = || {
        // SAFETY: the file is this test's own.
        let m = unsafe {
            libpmem::MapOptions::new()
                .create(true)
                .len(4096)
                .mode(0o600)
                .map(&path)
        };
        m.unwrap().unmap().unwrap();
    };
    map_once();
    assert!(seen().is_empty(), "a Notice is below the default threshold");
    log::set_threshold(Threshold::Main, Level::Notice);
    assert_eq!(log::threshold(Threshold::Main), Level::Notice);
    map_once();
    // The mapping's own syscalls leave errno as they please, but not the callback's EBADF.
    // SAFETY: __errno_location returns this thread's errno.
    assert_ne!(unsafe { *libc::__errno_location() }, libc::EBADF);
    let notices = seen();
    assert!(
        notices
            .iter()
            .any(|(l, _, m, _)| *l == Level::Notice && m.contains("mapped")),
        "{notices:?}"
    );
    assert!(notices.iter().all(|(l, ..)| *l <= Level::Notice));

    log::set_threshold(Threshold::Main, Level::Warning);
    log::set_function(None);
    assert!(seen().is_empty(), "the default function took over");
}
