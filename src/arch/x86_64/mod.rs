//! x86-64: CPU feature detection, cache-line flushes and fences, non-temporal store kernels.
//!
//! Every kernel here is an `unsafe fn` over raw pointers; the dispatch table stores a kernel
//! only after checking that the running CPU has the instructions it uses.

pub mod cpu;
pub mod flush;
pub mod sse2;
