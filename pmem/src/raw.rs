//! The operations over raw addresses, as libpmem's C API has them.
//!
//! For memory the safe API cannot describe: a range that another library mapped, or one that
//! is not a Rust slice. `libpmem.so.1` is built on these. Each function that touches memory is
//! `unsafe` and states what the caller guarantees.

pub use crate::memops::{memmove, memset};
pub use crate::persist::{deep_drain, deep_flush, deep_persist, drain, flush, msync, persist};
pub use crate::registry::is_pmem;

/// SFENCE: orders this thread's earlier non-temporal stores before its later accesses, as
/// Rust's memory model requires after a `NODRAIN` [`memmove`] or [`memset`]. Not a drain:
/// it makes nothing durable that was not flushed.
#[inline(always)]
pub fn store_fence() {
    crate::arch::store_fence()
}
