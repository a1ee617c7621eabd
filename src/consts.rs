//! The public constants of `libpmem.h`, with PMDK's values and C types.
//!
//! cbindgen turns each into a `#define`; the literal forms are chosen so the C expression has
//! PMDK's type (`(1u << 0)` is unsigned like PMDK's `(1U << 0)`; `PMEM_FILE_*` stay `int`).

use libc::{c_int, c_uint, size_t};

/// Smallest pool part PMDK's pool libraries accept.
pub const PMEM_MIN_PART: size_t = (1024 * 1024 * 2) as size_t;

pub const PMEM_FILE_CREATE: c_int = 1 << 0;
pub const PMEM_FILE_EXCL: c_int = 1 << 1;
pub const PMEM_FILE_SPARSE: c_int = 1 << 2;
pub const PMEM_FILE_TMPFILE: c_int = 1 << 3;

pub const PMEM_F_MEM_NODRAIN: c_uint = 1u32 << 0;
pub const PMEM_F_MEM_NONTEMPORAL: c_uint = 1u32 << 1;
pub const PMEM_F_MEM_TEMPORAL: c_uint = 1u32 << 2;
pub const PMEM_F_MEM_WC: c_uint = 1u32 << 3;
pub const PMEM_F_MEM_WB: c_uint = 1u32 << 4;
pub const PMEM_F_MEM_NOFLUSH: c_uint = 1u32 << 5;
pub const PMEM_F_MEM_VALID_FLAGS: c_uint = PMEM_F_MEM_NODRAIN
    | PMEM_F_MEM_NONTEMPORAL
    | PMEM_F_MEM_TEMPORAL
    | PMEM_F_MEM_WC
    | PMEM_F_MEM_WB
    | PMEM_F_MEM_NOFLUSH;

/// The API version this library provides (PMDK 1.12 and 2.1 both say 1.1).
pub const PMEM_MAJOR_VERSION: c_uint = 1;
pub const PMEM_MINOR_VERSION: c_uint = 1;
