//! `libpmem.so.1` and `libpmem.a`: PMDK's libpmem C API over the `libpmem` Rust crate.
//!
//! `ffi` is the whole C surface: it checks what only C can get wrong, calls the core, and
//! turns its errors into PMDK's return values, errno and `pmem_errormsg` (`errormsg`).
//! `consts` are the header's constants; cbindgen reads this crate only.

mod clog;
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
