//! Each PMEM_* override, set in a fresh process (the table is resolved once per process),
//! must change the dispatch decision the child reports, and copies must stay right.

use std::process::Command;

/// Runs `child_report` in a new process of this test binary with `env` set; returns its stdout.
fn run_child(env: &[(&str, &str)]) -> Decision {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "dispatch::tests::child_report",
        "--nocapture",
        "--test-threads=1",
    ]);
    cmd.env("PMEM_DISPATCH_CHILD", "1");
    for var in [
        "PMEM_NO_CLWB",
        "PMEM_NO_CLFLUSHOPT",
        "PMEM_NO_FLUSH",
        "PMEM_NO_MOVNT",
        "PMEM_MOVNT_THRESHOLD",
        "PMEM_AVX",
        "PMEM_AVX512F",
        "PMEM_CPU_CLASS",
        "PMEM_LOG_LEVEL",
        "PMEM_LOG_FILE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("copies: ok"),
        "copies wrong under {env:?}: {stdout}"
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("decision: ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("no decision under {env:?}: {stdout}"));
    Decision(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The child's table, field by field.
#[derive(Debug, PartialEq)]
struct Decision(std::collections::BTreeMap<String, String>);

impl Decision {
    fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }
    fn is(&self, key: &str) -> bool {
        match self.get(key) {
            "true" => true,
            "false" => false,
            v => panic!("{key} is {v:?}, not a bool"),
        }
    }
}

/// In the child: log the decision and check every flag path copies correctly.
#[test]
fn child_report() {
    if std::env::var_os("PMEM_DISPATCH_CHILD").is_none() {
        return;
    }
    let d = crate::dispatch::get();
    println!(
        "decision: class={} flush={} deep_flush={} drain_noop={} copy={} cached_copy={} \
         no_movnt={} threshold={} small_streamed={} close_moves_cached={} edges={:?} \
         narrow_from={} prefetch={:?}",
        d.class.name(),
        d.write_back.name(),
        d.deep_write_back.name(),
        d.drain.is_noop(),
        d.kernels.name,
        d.kernels.cached_name,
        d.no_movnt,
        d.movnt_threshold,
        d.stream_small_persists,
        d.cached_moves,
        d.drained_edges,
        d.kernels.narrow_from,
        d.kernels.prefetch,
    );
    let mut ok = true;
    for len in [0usize, 1, 7, 8, 63, 64, 255, 256, 257, 4096, 100_000] {
        for flags in (0..64u32).map(crate::Flags::from_bits_retain) {
            let src: Vec<u8> = (0..len + 64).map(|i| (i * 31 + len) as u8).collect();
            let mut dst = vec![0u8; len + 128];
            unsafe {
                crate::memops::memmove(dst.as_mut_ptr().add(3), src.as_ptr().add(5), len, flags)
            };
            ok &= dst[3..3 + len] == src[5..5 + len];
            unsafe { crate::memops::memset(dst.as_mut_ptr().add(1), 0x5a, len, flags) };
            ok &= dst[1..1 + len].iter().all(|&b| b == 0x5a);
            // Overlapping moves, backward (destination above the source) and forward.
            for (from, to) in [(0, 13), (13, 0)] {
                let mut buf: Vec<u8> = (0..len + 64).map(|i| (i * 7 + len) as u8).collect();
                let mut expect = buf.clone();
                expect.copy_within(from..from + len, to);
                let p = buf.as_mut_ptr();
                unsafe { crate::memops::memmove(p.add(to), p.add(from), len, flags) };
                ok &= buf == expect;
            }
        }
    }
    println!("copies: {}", if ok { "ok" } else { "WRONG" });
}

#[cfg(target_arch = "x86_64")]
fn has_cpu(flag: &str) -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("flags") && l.split_whitespace().any(|w| w == flag))
        })
        .unwrap_or(false)
}

/// The overrides every architecture has.
#[test]
fn common_overrides_change_the_decision() {
    let base = run_child(&[]);
    // Flushing is on unless the CPU has no write-back instruction at all (riscv64 without
    // Zicbom), and then pmem_deep_flush has none either.
    assert!(
        base.get("flush") != "none" || base.get("deep_flush") == "none",
        "{base:?}"
    );
    let d = run_child(&[("PMEM_NO_FLUSH", "1")]);
    assert_eq!(d.get("flush"), "none", "{d:?}");
    assert_eq!(d.get("deep_flush"), base.get("deep_flush"), "{d:?}");
    let d = run_child(&[("PMEM_NO_MOVNT", "1")]);
    assert!(d.is("no_movnt") && !base.is("no_movnt"), "{d:?}");
    let d = run_child(&[("PMEM_MOVNT_THRESHOLD", "1024")]);
    assert_eq!(d.get("threshold"), "1024", "{d:?}");
    // Without ISA kernels, PMDK's generic ones unless the C library's are asked for; x86-64
    // always uses its ISA kernels.
    let d = run_child(&[("PMEM_NO_GENERIC_MEMCPY", "1")]);
    if cfg!(target_arch = "x86_64") {
        assert_eq!(d.get("copy"), base.get("copy"), "{d:?}");
    } else {
        assert_eq!((base.get("copy"), d.get("copy")), ("generic", "libc"));
    }
}

/// x86-64's overrides: instructions, vector widths, CPU classes.
#[cfg(target_arch = "x86_64")]
#[test]
fn overrides_change_the_decision() {
    let base = run_child(&[]);
    let with = |extra: (&str, &str)| run_child(&[extra]);
    if has_cpu("clwb") {
        assert_eq!(base.get("flush"), "clwb", "{base:?}");
        let d = with(("PMEM_NO_CLWB", "1"));
        assert_ne!(d.get("flush"), "clwb", "{d:?}");
        assert_ne!(d.get("deep_flush"), "clwb", "{d:?}");
    }
    let d = run_child(&[("PMEM_NO_CLWB", "1"), ("PMEM_NO_CLFLUSHOPT", "1")]);
    assert_eq!(d.get("flush"), "clflush", "{d:?}");
    assert!(d.is("drain_noop"), "{d:?}");
    let d = with(("PMEM_NO_FLUSH", "1"));
    assert_eq!(d.get("flush"), "none", "{d:?}");
    let d = with(("PMEM_NO_MOVNT", "1"));
    assert!(d.is("no_movnt"), "{d:?}");
    assert!(!base.is("no_movnt"), "{base:?}");
    let d = with(("PMEM_MOVNT_THRESHOLD", "1024"));
    assert_eq!(d.get("threshold"), "1024", "{d:?}");
    // The detected class: AMD family 0x17 and later is Zen (family 0x19 with AVX-512: Zen 4),
    // whose strategies stream small persists and cache close moves; an explicit threshold
    // turns both off.
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let amd = cpuinfo.contains("AuthenticAMD") || cpuinfo.contains("HygonGenuine");
    let family: u32 = cpuinfo
        .lines()
        .find(|l| l.starts_with("cpu family"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let zen = amd && family >= 0x17;
    let zen4 = amd && family == 0x19 && has_cpu("avx512f");
    assert_eq!(base.get("class").starts_with("amd-zen"), zen, "{base:?}");
    assert_eq!(base.get("class") == "amd-zen4", zen4, "{base:?}");
    assert_eq!(base.is("small_streamed"), zen, "{base:?}");
    assert_eq!(base.is("close_moves_cached"), zen, "{base:?}");
    assert!(
        !d.is("small_streamed") && !d.is("close_moves_cached"),
        "{d:?}"
    );
    let d = with(("PMEM_MOVNT_THRESHOLD", "garbage"));
    assert_eq!(d, base, "garbage is ignored");
    // PMEM_CPU_CLASS picks a class's strategy whatever the CPU (the child checks the copies).
    let d = with(("PMEM_CPU_CLASS", "amd-zen"));
    assert_eq!(d.get("class"), "amd-zen", "{d:?}");
    assert!(d.is("small_streamed"), "{d:?}");
    assert_eq!(d.get("edges"), "Stream", "{d:?}");
    assert_eq!(d.get("narrow_from"), usize::MAX.to_string(), "{d:?}");
    // Zen 4's row: Zen's, with long copies streamed through AVX2 beside AVX-512 kernels.
    let d = with(("PMEM_CPU_CLASS", "amd-zen4"));
    assert_eq!(d.get("class"), "amd-zen4", "{d:?}");
    assert!(d.is("small_streamed"), "{d:?}");
    assert_eq!(d.get("prefetch"), "AllStreams", "{d:?}");
    let narrow = if has_cpu("avx512f") {
        crate::arch::x86_64::kernels::NARROW_STREAMS_FROM
    } else {
        usize::MAX
    };
    assert_eq!(d.get("narrow_from"), narrow.to_string(), "{d:?}");
    for class in ["intel-server", "other"] {
        let d = with(("PMEM_CPU_CLASS", class));
        assert_eq!(d.get("class"), class, "{d:?}");
        assert!(
            !d.is("small_streamed") && !d.is("close_moves_cached"),
            "{d:?}"
        );
        assert_eq!(d.get("edges"), "Cached", "{d:?}");
    }
    let d = with(("PMEM_CPU_CLASS", "pentium"));
    assert_eq!(d, base, "an unknown class is ignored");
    let d = with(("PMEM_AVX", "0"));
    assert_eq!(d.get("copy"), "sse2", "{d:?}");
    if has_cpu("avx512f") {
        assert_eq!(base.get("copy"), "avx512f", "{base:?}");
        let d = with(("PMEM_AVX512F", "0"));
        assert_eq!(d.get("copy"), "avx2", "{d:?}");
    } else if has_cpu("avx2") {
        assert_eq!(base.get("copy"), "avx2", "{base:?}");
    }
}

/// ppc64le: one write-back and one drain whatever the CPU, one class; the x86 knobs and
/// unknown classes change nothing.
#[cfg(target_arch = "powerpc64")]
#[test]
fn powerpc64_decision_and_overrides() {
    let base = run_child(&[]);
    assert_eq!(base.get("class"), "other", "{base:?}");
    assert_eq!(base.get("flush"), "dcbstps", "{base:?}");
    assert_eq!(base.get("deep_flush"), "dcbstps", "{base:?}");
    assert!(!base.is("drain_noop"), "{base:?}");
    assert_eq!(base.get("copy"), "generic", "{base:?}");
    let x86 = [
        ("PMEM_NO_CLWB", "1"),
        ("PMEM_NO_CLFLUSHOPT", "1"),
        ("PMEM_AVX", "0"),
        ("PMEM_AVX512F", "0"),
    ];
    assert_eq!(run_child(&x86), base, "x86 knobs");
    assert_eq!(run_child(&[("PMEM_CPU_CLASS", "other")]), base);
    assert_eq!(
        run_child(&[("PMEM_CPU_CLASS", "amd-zen")]),
        base,
        "a class of another architecture is ignored"
    );
    let d = run_child(&[("PMEM_NO_FLUSH", "1")]);
    assert_eq!((d.get("flush"), d.get("deep_flush")), ("none", "dcbstps"));
}
