//! `libpmem.so.1` and `libpmem.a`: PMDK's libpmem C API over the `libpmem` Rust crate.
//!
//! `ffi` is the whole C surface: it checks what only C can get wrong, calls the core, and
//! turns its errors into PMDK's return values, errno and `pmem_errormsg` (`errormsg`).
//! `consts` are the header's constants; cbindgen reads this crate only.

pub mod consts;
mod errormsg;
pub mod ffi;

pub use consts::*;
pub use ffi::*;

/// Load-time initialisation, as PMDK's constructor: resolved before `main`, the first calls
/// pay nothing for it.
extern "C" fn libpmem_init() {
    libpmem::capi::init()
}

#[used]
#[link_section = ".init_array"]
static LIBPMEM_INIT: extern "C" fn() = libpmem_init;

#[cfg(test)]
mod tests {
    use super::*;
    use libpmem::{raw, Flags};

    #[test]
    fn header_constants_are_the_engines() {
        let pairs = [
            (PMEM_F_MEM_NODRAIN, Flags::NODRAIN),
            (PMEM_F_MEM_NONTEMPORAL, Flags::NONTEMPORAL),
            (PMEM_F_MEM_TEMPORAL, Flags::TEMPORAL),
            (PMEM_F_MEM_WC, Flags::WC),
            (PMEM_F_MEM_WB, Flags::WB),
            (PMEM_F_MEM_NOFLUSH, Flags::NOFLUSH),
        ];
        for (c, rust) in pairs {
            assert_eq!(c, rust.bits());
        }
        assert_eq!(PMEM_F_MEM_VALID_FLAGS, Flags::all().bits());
        assert_eq!(PMEM_FILE_CREATE, raw::FILE_CREATE);
        assert_eq!(PMEM_FILE_EXCL, raw::FILE_EXCL);
        assert_eq!(PMEM_FILE_SPARSE, raw::FILE_SPARSE);
        assert_eq!(PMEM_FILE_TMPFILE, raw::FILE_TMPFILE);
    }
}
