//! Valgrind's client request: the arm64 "special instruction" sequence (valgrind.h).

/// One client request over the six words of `args` (request code, then its arguments);
/// returns `default` when not under Valgrind or when the running tool does not handle it.
///
/// # Safety
/// A request that writes memory must be given memory the caller owns.
#[inline(always)]
pub unsafe fn client_request(default: usize, args: &[usize; 6]) -> usize {
    let result: usize;
    // SAFETY: On a CPU the sequence does nothing: x12 is rotated by 3+13+51+61 = 128 bits
    // (back to its value) and `orr x10, x10, x10` is a move to itself, so x3 keeps `default`.
    // Valgrind recognises it, reads the six words x4 points to (`args`, borrowed across the
    // asm) and puts the result in x3. Not `nomem`: a request may write the caller's memory.
    unsafe {
        std::arch::asm!(
            "ror x12, x12, #3",
            "ror x12, x12, #13",
            "ror x12, x12, #51",
            "ror x12, x12, #61",
            "orr x10, x10, x10",
            inout("x3") default => result,
            in("x4") args.as_ptr(),
            options(nostack, preserves_flags),
        );
    }
    result
}
