//! libpmem's log: PMDK 2.x's thresholds and logging function, for Rust programs too.
//!
//! Two independent outlets:
//! * the logging function, reached by messages at least as severe as the
//!   [`Main`](Threshold::Main) threshold (default [`Warning`](Level::Warning)). The default
//!   function writes to syslog, and to stderr for messages at least as severe as the
//!   [`Aux`](Threshold::Aux) threshold (default [`Hark`](Level::Hark), which never goes to
//!   stderr). [`set_function`] installs a Rust function instead; `libpmem.so.1` installs C
//!   ones (`pmem_log_set_function`). One function is installed at a time: the last set wins.
//! * the environment sink: with `PMEM_LOG_LEVEL=n` (1 errors, 2 warnings and notices, 3 info,
//!   4 debug; larger values log everything, as 4) lines go to `PMEM_LOG_FILE` (a trailing `-`
//!   appends the pid) or stderr, each tagged `<n>` with the lowest level that shows it, as in
//!   PMDK's debug build (its release build has no such sink).
//!
//! ```
//! use libpmem::log::{self, Level, Record, Threshold};
//!
//! fn to_stderr(record: &Record<'_>) {
//!     eprintln!("libpmem: {record}");
//! }
//!
//! log::set_threshold(Threshold::Main, Level::Notice);
//! log::set_function(Some(to_stderr));
//! assert_eq!(log::threshold(Threshold::Main), Level::Notice);
//! log::set_function(None); // back to syslog
//! ```
//!
//! The library's own messages come from `pmem_log!`; the C library's logging function is a
//! Rust one here that forwards to C (`libpmem.so.1`'s `clog.rs`).

use std::ffi::CString;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::forksafe::{ForkOrder, RwLock};

/// The PMDK libpmem release whose behaviour this crate implements (the log's greeting says so).
const PMDK_VERSION: &str = "1.12.1";

/// Message severity, most severe first; the values are PMDK's `enum pmem_log_level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Always shown by the logging function, never by stderr (the greeting line).
    Hark = 0,
    /// The library cannot go on.
    Fatal = 1,
    /// A call failed.
    Error = 2,
    /// Something is probably wrong.
    Warning = 3,
    /// A normal but significant event (the dispatch decision).
    Notice = 4,
    /// What the library did.
    Info = 5,
    /// Details for developers.
    Debug = 6,
}

impl Level {
    /// Every level, most severe first (at its own value's index).
    const ALL: [Level; 7] = [
        Level::Hark,
        Level::Fatal,
        Level::Error,
        Level::Warning,
        Level::Notice,
        Level::Info,
        Level::Debug,
    ];

    fn name(self) -> &'static str {
        match self {
            Level::Hark => "*HARK*",
            Level::Fatal => "*FATAL*",
            Level::Error => "*ERROR*",
            Level::Warning => "*WARNING*",
            Level::Notice => "*NOTICE*",
            Level::Info => "*INFO*",
            Level::Debug => "*DEBUG*",
        }
    }

    /// The lowest `PMEM_LOG_LEVEL` that shows a message of this severity.
    fn env_level(self) -> u8 {
        match self {
            Level::Hark | Level::Fatal | Level::Error => 1,
            Level::Warning | Level::Notice => 2,
            Level::Info => 3,
            Level::Debug => 4,
        }
    }

    fn syslog_priority(self) -> libc::c_int {
        match self {
            Level::Hark => libc::LOG_NOTICE,
            Level::Fatal => libc::LOG_CRIT,
            Level::Error => libc::LOG_ERR,
            Level::Warning => libc::LOG_WARNING,
            Level::Notice => libc::LOG_NOTICE,
            Level::Info => libc::LOG_INFO,
            Level::Debug => libc::LOG_DEBUG,
        }
    }
}

/// Which threshold (`enum pmem_log_threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// Messages less severe than this never reach the logging function.
    Main = 0,
    /// The default logging function also writes to stderr up to this level.
    Aux = 1,
}

impl Threshold {
    fn cell(self) -> &'static AtomicU8 {
        match self {
            Threshold::Main => &MAIN_THRESHOLD,
            Threshold::Aux => &AUX_THRESHOLD,
        }
    }
}

/// One message, as a Rust logging function receives it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    level: Level,
    file: &'a str,
    line: u32,
    function: &'a str,
    message: &'a str,
}

impl<'a> Record<'a> {
    /// The severity.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The source file that logged it.
    pub fn file(&self) -> &'a str {
        self.file
    }

    /// The line in [`file`](Record::file).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The function (or module) that logged it.
    pub fn function(&self) -> &'a str {
        self.function
    }

    /// The text.
    pub fn message(&self) -> &'a str {
        self.message
    }
}

/// As the default function words it for syslog: `*WARNING* [file:line function]: message`.
impl fmt::Display for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (level, file, line) = (self.level.name(), self.file, self.line);
        write!(
            f,
            "{level} [{file}:{line} {}]: {}",
            self.function, self.message
        )
    }
}

/// A logging function (see [`set_function`]). A plain `fn`, so installing and calling it needs
/// no lock and no allocation; it may run on any thread, concurrently.
pub type LogFunction = fn(&Record<'_>);

static MAIN_THRESHOLD: AtomicU8 = AtomicU8::new(Level::Warning as u8);
static AUX_THRESHOLD: AtomicU8 = AtomicU8::new(Level::Hark as u8);
/// The installed function's address (0: the default one). One word, so a reader never sees
/// half an installation.
static FUNCTION: AtomicUsize = AtomicUsize::new(0);

/// Sets a threshold, as pmem_log_set_threshold(3).
pub fn set_threshold(which: Threshold, level: Level) {
    which.cell().store(level as u8, Ordering::Relaxed);
}

/// A threshold's current level, as pmem_log_get_threshold(3).
pub fn threshold(which: Threshold) -> Level {
    Level::ALL[usize::from(which.cell().load(Ordering::Relaxed))]
}

/// Installs a Rust logging function (`None`: the default one, syslog and stderr) in place of
/// whichever was installed, and greets it with a `Hark` message, as PMDK does.
///
/// It receives the messages at least as severe as the [`Main`](Threshold::Main) threshold;
/// errno is saved around the call, as the C library's callers expect it kept.
pub fn set_function(function: Option<LogFunction>) {
    install(function, "libpmem::log::set_function");
}

/// `set_function`, greeting as `caller` (pmem_log_set_function installs the C library's
/// forwarder to a C function this way).
pub(crate) fn install(function: Option<LogFunction>, caller: &str) {
    FUNCTION.store(function.map_or(0, |f| f as usize), Ordering::Release);
    log(
        Level::Hark,
        file!(),
        line!(),
        caller,
        format_args!("libpmem (Rust) version {PMDK_VERSION}"),
    );
}

/// The installed function, unless it is the default one.
fn installed() -> Option<LogFunction> {
    match FUNCTION.load(Ordering::Acquire) {
        0 => None,
        // SAFETY: any other value was stored from a valid `LogFunction` by `install`.
        raw => Some(unsafe { std::mem::transmute::<usize, LogFunction>(raw) }),
    }
}

/// Where `PMEM_LOG_LEVEL` output goes, opened once.
struct EnvSink {
    /// PMEM_LOG_LEVEL, capped at 4 (0: no sink).
    max: u8,
    file: Option<File>,
}

impl EnvSink {
    fn shows(&self, level: Level) -> bool {
        level.env_level() <= self.max
    }
}

static ENV_SINK: OnceLock<EnvSink> = OnceLock::new();

fn env_sink() -> &'static EnvSink {
    ENV_SINK.get_or_init(|| {
        let cfg = crate::config::get();
        let max = cfg.log_level.unwrap_or(0);
        let file = match &cfg.log_file {
            Some(name) if max > 0 => {
                let mut path = name.as_bytes().to_vec();
                if path.last() == Some(&b'-') {
                    path.extend_from_slice(std::process::id().to_string().as_bytes());
                }
                OpenOptions::new()
                    .append(true)
                    .create(true)
                    .mode(0o644)
                    .open(std::ffi::OsStr::from_bytes(&path))
                    .ok()
            }
            _ => None,
        };
        EnvSink { max, file }
    })
}

/// Whether a message at `level` would go anywhere (so callers can skip formatting).
pub(crate) fn enabled(level: Level) -> bool {
    level as u8 <= MAIN_THRESHOLD.load(Ordering::Relaxed) || env_sink().shows(level)
}

/// Sends one message to both outlets.
pub(crate) fn log(level: Level, file: &str, line: u32, func: &str, args: fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let message = fmt::format(args);
    let sink = env_sink();
    if sink.shows(level) {
        let text = format!(
            "<libpmem>: <{}> [{}:{} {}] {}\n",
            level.env_level(),
            file,
            line,
            func,
            message
        );
        // One write per line; a failing log write must not disturb the caller.
        let _ = match &sink.file {
            Some(f) => (&*f).write_all(text.as_bytes()),
            None => {
                write_stderr(&text);
                Ok(())
            }
        };
    }
    if level as u8 > MAIN_THRESHOLD.load(Ordering::Relaxed) {
        return;
    }
    let saved_errno = crate::os::errno();
    match installed() {
        Some(function) => function(&Record {
            level,
            file,
            line,
            function: func,
            message: &message,
        }),
        None => default_function(level, file, line, func, &message),
    }
    crate::os::set_errno(saved_errno);
}

/// One write(2) to fd 2: no std lock that a fork could leave held.
fn write_stderr(text: &str) {
    // SAFETY: the buffer is valid for its length; a short or failed write is acceptable here.
    unsafe { libc::write(2, text.as_ptr() as *const libc::c_void, text.len()) };
}

fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "?")).unwrap_or_default()
}

/// Serialises our calls into glibc's syslog, so that a fork never interrupts one (the fork
/// handlers take it).
static SYSLOG_LOCK: RwLock<()> = RwLock::new((), ForkOrder::Syslog);

/// PMDK's default: syslog always, stderr when at least as severe as AUX (never for HARK).
fn default_function(level: Level, file: &str, line: u32, func: &str, message: &str) {
    let text = format!("{} [{}:{} {}]: {}", level.name(), file, line, func, message);
    let c_text = c_string(&text);
    {
        let _no_fork_inside_syslog = SYSLOG_LOCK.write();
        // SAFETY: the format string and argument are NUL-terminated C strings.
        unsafe { libc::syslog(level.syslog_priority(), c"%s".as_ptr(), c_text.as_ptr()) };
    }
    if level != Level::Hark && level as u8 <= AUX_THRESHOLD.load(Ordering::Relaxed) {
        write_stderr(&format!("{text}\n"));
    }
}

/// Logs through `crate::log::log` with this file, line and module.
macro_rules! pmem_log {
    ($level:ident, $($arg:tt)*) => {
        if $crate::log::enabled($crate::log::Level::$level) {
            $crate::log::log($crate::log::Level::$level, file!(), line!(), module_path!(),
                format_args!($($arg)*))
        }
    };
}
pub(crate) use pmem_log;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_sit_at_their_values() {
        for (i, level) in Level::ALL.into_iter().enumerate() {
            assert_eq!(level as usize, i);
        }
    }

    #[test]
    fn env_levels_grow_with_verbosity() {
        let tags: Vec<u8> = Level::ALL.map(Level::env_level).to_vec();
        assert_eq!(tags, [1, 1, 1, 2, 2, 3, 4]);
        let sink = EnvSink { max: 2, file: None };
        assert!(sink.shows(Level::Error) && sink.shows(Level::Notice));
        assert!(!sink.shows(Level::Info) && !sink.shows(Level::Debug));
        assert!(!EnvSink { max: 0, file: None }.shows(Level::Fatal));
    }
}
