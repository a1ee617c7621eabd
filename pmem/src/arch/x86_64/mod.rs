//! x86-64: CPU feature detection, cache-line flushes and fences, and the copy kernels, one
//! module per instruction set, all of one shape (`kernels::vector_kernels!`), and the set that
//! stores as PMDK's kernels do, for pmemcheck (`pmemcheck`).
//!
//! Every kernel is an `unsafe fn` over raw pointers; the dispatch table stores a kernel only
//! after checking that the running CPU has the instructions it uses.

pub mod avx2;
pub mod avx512;
pub mod cpu;
pub mod flush;
pub mod kernels;
pub mod pmemcheck;
pub mod small;
pub mod sse2;
