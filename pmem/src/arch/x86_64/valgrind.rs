//! Valgrind's client request: the amd64 "special instruction" sequence (valgrind.h).

/// One client request over the six words of `args` (request code, then its arguments);
/// returns `default` when not under Valgrind or when the running tool does not handle it.
///
/// # Safety
/// A request that writes memory must be given memory the caller owns.
#[inline(always)]
pub unsafe fn client_request(default: usize, args: &[usize; 6]) -> usize {
    let result: usize;
    // SAFETY: On a CPU the sequence does nothing: rdi is rotated by 3+13+61+51 = 128 bits
    // (back to its value) and rbx is exchanged with itself, so no register but the flags
    // changes, and rdx keeps `default`. Valgrind recognises the sequence, reads the six words
    // rax points to (`args`, borrowed across the asm) and puts the result in rdx. A request may
    // write memory the caller passed; the asm is not `nomem`, so the compiler assumes memory
    // may be read or written.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") default => result,
            in("rax") args.as_ptr(),
            options(nostack),
        );
    }
    result
}
