//! The `PMEM_*` environment variables, parsed strictly and read once: at load, except
//! `PMEM_IS_PMEM_FORCE`, which PMDK reads at the first `pmem_is_pmem` (see `is_pmem_force`).
//!
//! PMDK parses most of them with `atoi`, so garbage such as `PMEM_MOVNT_THRESHOLD=abc` silently
//! becomes 0. Here a value that does not parse is ignored (the default stays), never fatal.

use std::ffi::{CStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::sync::OnceLock;

use crate::arch::CpuClass;

/// Every knob the environment can turn, as parsed values (`None`: unset or unparsable).
/// `PMEM_MOVDIR64B` turns nothing here (no MOVDIR64B), so it is not read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Config {
    /// PMEM_NO_CLWB=1.
    pub no_clwb: bool,
    /// PMEM_NO_CLFLUSHOPT=1.
    pub no_clflushopt: bool,
    /// PMEM_NO_FLUSH: Some(true) = skip cache flushes, Some(false) = always flush.
    pub no_flush: Option<bool>,
    /// PMEM_NO_GENERIC_MEMCPY=1: where there are no ISA kernels, the library memmove/memset
    /// instead of the 8-byte-store generic kernels (x86-64's ISA kernels are always used).
    pub no_generic_memcpy: bool,
    /// PMEM_NO_MOVNT=1: never use non-temporal stores.
    pub no_movnt: bool,
    /// PMEM_MOVNT_THRESHOLD: copies at least this long use non-temporal stores.
    pub movnt_threshold: Option<usize>,
    /// PMEM_AVX=0 forbids AVX/AVX2 kernels.
    pub avx: Option<bool>,
    /// PMEM_AVX512F=0 forbids AVX-512 kernels.
    pub avx512f: Option<bool>,
    /// PMEM_CPU_CLASS: follow this CPU class's strategy instead of the detected one's.
    pub cpu_class: Option<CpuClass>,
    /// PMEM_WC_WORKAROUND: whether WC (non-temporal) stores need a trailing fence on their own.
    pub wc_workaround: Option<bool>,
    /// PMEM_MMAP_HINT (hex): place mappings at or above this address, no randomness.
    pub mmap_hint: Option<usize>,
    /// PMEM_LOG_LEVEL, capped at 4 (the most verbose level there is here).
    pub log_level: Option<u8>,
    /// PMEM_LOG_FILE (read with secure_getenv).
    pub log_file: Option<OsString>,
}

/// Reads a variable through `getenv`, or `secure_getenv` for ones that name files.
fn read_var(name: &CStr, secure: bool) -> Option<String> {
    read_var_os(name, secure).and_then(|v| v.into_string().ok())
}

extern "C" {
    // glibc's getenv that returns NULL in setuid/setgid programs (not bound by the libc crate).
    fn secure_getenv(name: *const libc::c_char) -> *mut libc::c_char;
}

fn read_var_os(name: &CStr, secure: bool) -> Option<OsString> {
    // SAFETY: name is NUL-terminated; the returned pointer, if not NULL, points at a
    // NUL-terminated string in the environment that we copy at once.
    let ptr = unsafe {
        if secure {
            secure_getenv(name.as_ptr())
        } else {
            libc::getenv(name.as_ptr())
        }
    };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: see above.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes().to_vec();
    Some(OsString::from_vec(bytes))
}

/// PMREORDER_EMIT_LOG, read as PMDK reads it (`atoi`, nonzero is on), since pmreorder's
/// scripts set it for PMDK: whether pmemcheck's store log gets pmreorder's markers.
pub fn pmreorder_emit_log() -> bool {
    read_var(c"PMREORDER_EMIT_LOG", false).is_some_and(|v| atoi(&v) != 0)
}

/// C's `atoi` (glibc's: `strtol` saturating at the `long` range, then truncated to `int`).
pub fn atoi(value: &str) -> i32 {
    let s = value.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for d in digits.bytes().take_while(u8::is_ascii_digit) {
        let d = i64::from(d - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
    }
    v as i32
}

/// "0" or "1" (surrounding blanks allowed); anything else is no answer.
pub fn parse_bool01(value: &str) -> Option<bool> {
    match value.trim() {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

/// A non-negative decimal number that fits usize.
pub fn parse_size(value: &str) -> Option<usize> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// A hexadecimal address, with or without 0x.
pub fn parse_hex_addr(value: &str) -> Option<usize> {
    let v = value.trim();
    let v = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    if v.is_empty() {
        return None;
    }
    usize::from_str_radix(v, 16).ok()
}

/// PMEM_LOG_LEVEL: 0 to 4 as libpmem(7) documents; PMDK takes larger ones (its tests use 15)
/// and logs everything up to them, so they mean 4 here.
pub fn parse_log_level(value: &str) -> Option<u8> {
    let v = value.trim();
    // A number too large for usize is still a level above 4.
    let huge = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    parse_size(v).map(|n| n.min(4) as u8).or(huge.then_some(4))
}

impl Config {
    /// Parses the process environment.
    pub fn from_env() -> Config {
        let flag = |name: &CStr| read_var(name, false).as_deref().and_then(parse_bool01);
        Config {
            no_clwb: flag(c"PMEM_NO_CLWB") == Some(true),
            no_clflushopt: flag(c"PMEM_NO_CLFLUSHOPT") == Some(true),
            no_flush: flag(c"PMEM_NO_FLUSH"),
            no_movnt: flag(c"PMEM_NO_MOVNT") == Some(true),
            no_generic_memcpy: flag(c"PMEM_NO_GENERIC_MEMCPY") == Some(true),
            movnt_threshold: read_var(c"PMEM_MOVNT_THRESHOLD", false)
                .as_deref()
                .and_then(parse_size),
            avx: flag(c"PMEM_AVX"),
            avx512f: flag(c"PMEM_AVX512F"),
            cpu_class: read_var(c"PMEM_CPU_CLASS", false)
                .as_deref()
                .and_then(CpuClass::from_name),
            wc_workaround: flag(c"PMEM_WC_WORKAROUND"),
            mmap_hint: read_var(c"PMEM_MMAP_HINT", false)
                .as_deref()
                .and_then(parse_hex_addr),
            log_level: read_var(c"PMEM_LOG_LEVEL", false)
                .as_deref()
                .and_then(parse_log_level),
            log_file: read_var_os(c"PMEM_LOG_FILE", true).filter(|f| !f.is_empty()),
        }
    }
}

/// PMEM_IS_PMEM_FORCE as the environment has it now: Some(false) = never pmem, Some(true) =
/// always pmem. Not part of `Config`: a program may set it in `main`, before its first call.
pub fn is_pmem_force() -> Option<bool> {
    read_var(c"PMEM_IS_PMEM_FORCE", false)
        .as_deref()
        .and_then(parse_bool01)
}

static CONFIG: OnceLock<Config> = OnceLock::new();

/// The environment as it was at the first call (normally in the load-time constructor).
pub fn get() -> &'static Config {
    CONFIG.get_or_init(Config::from_env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_as_glibc_does() {
        for (s, want) in [
            ("1", 1),
            (" \t+12abc", 12),
            ("-3", -3),
            ("abc", 0),
            ("", 0),
            ("0x1", 0),
            ("4294967296", 0),
            ("4294967297", 1),
            ("99999999999999999999", -1),
        ] {
            assert_eq!(atoi(s), want, "{s:?}");
        }
    }

    #[test]
    fn bool01_accepts_only_0_and_1() {
        assert_eq!(parse_bool01("1"), Some(true));
        assert_eq!(parse_bool01(" 0\n"), Some(false));
        assert_eq!(parse_bool01("yes"), None);
        assert_eq!(parse_bool01("2"), None);
        assert_eq!(parse_bool01(""), None);
    }

    #[test]
    fn sizes_are_strict_decimal() {
        assert_eq!(parse_size("256"), Some(256));
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("12abc"), None);
        assert_eq!(parse_size("99999999999999999999999"), None);
    }

    #[test]
    fn hex_addresses() {
        assert_eq!(parse_hex_addr("0x10000000"), Some(0x1000_0000));
        assert_eq!(parse_hex_addr("7f0000000000"), Some(0x7f00_0000_0000));
        assert_eq!(parse_hex_addr("0x"), None);
        assert_eq!(parse_hex_addr("zz"), None);
    }

    #[test]
    fn log_level_range() {
        assert_eq!(parse_log_level("4"), Some(4));
        assert_eq!(parse_log_level("0"), Some(0));
        assert_eq!(parse_log_level("5"), Some(4));
        assert_eq!(parse_log_level("15"), Some(4));
        assert_eq!(parse_log_level("99999999999999999999999999999"), Some(4));
        assert_eq!(parse_log_level("-1"), None);
        assert_eq!(parse_log_level("x"), None);
    }
}
