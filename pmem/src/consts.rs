//! PMDK's flag values, as the engine uses them (the C header's copies live in the C layer,
//! which checks that both agree).

pub(crate) const PMEM_FILE_CREATE: i32 = 1 << 0;
pub(crate) const PMEM_FILE_EXCL: i32 = 1 << 1;
pub(crate) const PMEM_FILE_SPARSE: i32 = 1 << 2;
pub(crate) const PMEM_FILE_TMPFILE: i32 = 1 << 3;
/// All `PMEM_FILE_*` bits `pmem_map_file` accepts.
pub(crate) const FILE_ALL_FLAGS: i32 =
    PMEM_FILE_CREATE | PMEM_FILE_EXCL | PMEM_FILE_SPARSE | PMEM_FILE_TMPFILE;

pub(crate) const PMEM_F_MEM_NODRAIN: u32 = crate::Flags::NODRAIN.bits();
pub(crate) const PMEM_F_MEM_NONTEMPORAL: u32 = crate::Flags::NONTEMPORAL.bits();
pub(crate) const PMEM_F_MEM_TEMPORAL: u32 = crate::Flags::TEMPORAL.bits();
pub(crate) const PMEM_F_MEM_WC: u32 = crate::Flags::WC.bits();
pub(crate) const PMEM_F_MEM_WB: u32 = crate::Flags::WB.bits();
pub(crate) const PMEM_F_MEM_NOFLUSH: u32 = crate::Flags::NOFLUSH.bits();

/// The PMDK libpmem release whose behaviour this crate implements (its log says so).
pub(crate) const PMDK_VERSION: &str = "1.12.1";
