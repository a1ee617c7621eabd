//! Valgrind's client request: the ppc64le "special instruction" sequence (valgrind.h,
//! PLAT_ppc64le_linux).

/// One client request over the six words of `args` (request code, then its arguments);
/// returns `default` when not under Valgrind or when the running tool does not handle it.
///
/// # Safety
/// A request that writes memory must be given memory the caller owns.
#[inline(always)]
pub unsafe fn client_request(default: usize, args: &[usize; 6]) -> usize {
    let result: usize;
    // SAFETY: On a CPU the sequence does nothing: r0 is rotated left by 3+13+61+51 = 128 bits
    // (back to its value), and `or 1,1,1` moves r1 to itself (a thread-priority hint at
    // most), so r3 keeps `default`; neither touches CR or XER. Valgrind recognises it, reads
    // the six words r4 points to (`args`, borrowed across the asm) and puts the result in r3.
    // Not `nomem`: a request may write the caller's memory.
    unsafe {
        std::arch::asm!(
            "rotldi 0, 0, 3",
            "rotldi 0, 0, 13",
            "rotldi 0, 0, 61",
            "rotldi 0, 0, 51",
            "or 1, 1, 1",
            inout("r3") default => result,
            in("r4") args.as_ptr(),
            options(nostack, preserves_flags),
        );
    }
    result
}
