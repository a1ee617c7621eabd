//! A Rust program using this crate exports no `pmem_*` symbol: the C API belongs to
//! `libpmem.so.1`, and a program that links both (or PMDK's) must not see two definitions.

use std::process::Command;

/// The defined symbol names `nm` lists with `args`, or None if nm cannot run.
fn symbols(args: &[&str]) -> Option<Vec<String>> {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("nm").args(args).arg(&exe).output().ok()?;
    assert!(
        out.status.success(),
        "nm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        text.lines()
            .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
            .collect(),
    )
}

#[test]
fn no_pmem_symbol_is_defined() {
    // Uses the API, so its code is linked in.
    let mut buf = [0u8; 64];
    libpmem::fill(&mut buf, 1, libpmem::Flags::empty());
    libpmem::persist(&buf);

    let Some(dynamic) = symbols(&["-D", "--defined-only"]) else {
        println!("note: nm is missing; the exported symbols are not checked");
        return;
    };
    let exported: Vec<_> = dynamic.iter().filter(|s| s.starts_with("pmem_")).collect();
    assert!(exported.is_empty(), "exported: {exported:?}");
    // Not even a local one: every `pmem_*` function is the C library's.
    if let Some(all) = symbols(&["--defined-only"]) {
        let c_names: Vec<_> = all.iter().filter(|s| s.starts_with("pmem_")).collect();
        assert!(c_names.is_empty(), "defined: {c_names:?}");
        assert!(
            all.iter().any(|s| s.contains("libpmem")),
            "nm saw the crate's code"
        );
    }
}
