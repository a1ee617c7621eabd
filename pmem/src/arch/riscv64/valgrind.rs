//! Valgrind's client request: the riscv64 "special instruction" sequence (valgrind.h,
//! PLAT_riscv64_linux, Valgrind 3.25+).

/// One client request over the six words of `args` (request code, then its arguments);
/// returns `default` when not under Valgrind or when the running tool does not handle it.
///
/// # Safety
/// A request that writes memory must be given memory the caller owns.
#[inline(always)]
pub unsafe fn client_request(default: usize, args: &[usize; 6]) -> usize {
    let result: usize;
    // SAFETY: On a CPU the sequence does nothing: the shifts write the zero register and
    // `or a0, a0, a0` leaves a0 as it is, so a3 keeps `default`. Valgrind recognises the
    // uncompressed 4-byte encodings (hence `norvc`), reads the six words a4 points to (`args`,
    // borrowed across the asm) and puts the result in a3. Not `nomem`: a request may write
    // the caller's memory.
    unsafe {
        std::arch::asm!(
            ".option push",
            ".option norvc",
            "srli zero, zero, 3",
            "srli zero, zero, 13",
            "srli zero, zero, 51",
            "srli zero, zero, 61",
            "or a0, a0, a0",
            ".option pop",
            inout("a3") default => result,
            in("a4") args.as_ptr(),
            options(nostack, preserves_flags),
        );
    }
    result
}
