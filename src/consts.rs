//! The public constants of `libpmem.h`, with PMDK's values and C types.
//!
//! cbindgen turns each into a `#define`; the literal forms are chosen so the C expression has
//! PMDK's type (`(1u << 0)` is unsigned like PMDK's `(1U << 0)`; `PMEM_FILE_*` stay `int`).
//! The bits are the engine's (`libpmem::Flags`): the assertions below stop a build where the
//! two differ, and `make` stops one where the header differs from `include/libpmem.h`.

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

const _: () = {
    use libpmem::capi::FileFlags;
    use libpmem::Flags;
    assert!(PMEM_FILE_CREATE == FileFlags::CREATE.bits());
    assert!(PMEM_FILE_EXCL == FileFlags::EXCL.bits());
    assert!(PMEM_FILE_SPARSE == FileFlags::SPARSE.bits());
    assert!(PMEM_FILE_TMPFILE == FileFlags::TMPFILE.bits());
    assert!(PMEM_F_MEM_NODRAIN == Flags::NODRAIN.bits());
    assert!(PMEM_F_MEM_NONTEMPORAL == Flags::NONTEMPORAL.bits());
    assert!(PMEM_F_MEM_TEMPORAL == Flags::TEMPORAL.bits());
    assert!(PMEM_F_MEM_WC == Flags::WC.bits());
    assert!(PMEM_F_MEM_WB == Flags::WB.bits());
    assert!(PMEM_F_MEM_NOFLUSH == Flags::NOFLUSH.bits());
    assert!(PMEM_F_MEM_VALID_FLAGS == Flags::all().bits());
};

/// The API version this library provides (PMDK 1.12 and 2.1 both say 1.1).
pub const PMEM_MAJOR_VERSION: c_uint = 1;
pub const PMEM_MINOR_VERSION: c_uint = 1;
