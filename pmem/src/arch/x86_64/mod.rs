//! x86-64: CPU feature detection, cache-line flushes and fences, and the copy kernels, one
//! module per instruction set, all of one shape (`kernels::vector_kernels!`), and the set that
//! stores as PMDK's kernels do, for pmemcheck (`pmemcheck`); the CPU classes' strategies and
//! the choice among all of these (`decide`).
//!
//! Every kernel is an `unsafe fn` over raw pointers; the dispatch table stores a kernel only
//! after checking that the running CPU has the instructions it uses.

pub mod avx2;
pub mod avx512;
pub mod cpu;
pub mod decide;
pub mod flush;
pub mod kernels;
pub mod pmemcheck;
pub mod small;
pub mod sse2;
pub mod strategy;
pub mod valgrind;
