/*
 * libcross-preload.so: preloaded (through QEMU_SET_ENV=LD_PRELOAD=...) into the ppc64le and
 * riscv64 programs that tests/cross/chroot.sh runs under qemu-user. It handles SIGILL for the
 * cache-maintenance instructions that qemu-user (10.0, 11.1) refuses although real processors run them,
 * and executes them the way a processor without the newer form does:
 *
 *   ppc64le: dcbf with L=3 (dcbflp), L=4 (dcbfps), L=6 (dcbstps), the Power ISA 3.1 forms
 *            Debian's libpmem uses to flush, which qemu rejects even with -cpu power10. Processors
 *            before ISA 3.1 execute them as dcbf (L=0); here a dcbf (L=0) at the same address is
 *            executed instead.
 *   riscv64: cbo.clean, cbo.flush, cbo.inval (Zicbom), which qemu-user rejects whatever -cpu says
 *            (the envcfg bits that let user mode run them are never set). Here: a one-byte load
 *            from the block (so that a bad address still faults) and a fence rw,rw.
 *
 * Any other SIGILL is left alone: the handler puts back the previous disposition and returns, so
 * the instruction faults again as it would have without this library. A program that installs its
 * own SIGILL handler replaces this one. On other architectures (the x86-64 host tools, aarch64)
 * this file compiles to an empty library, so that LD_PRELOAD=/usr/$LIB/libcross-preload.so
 * resolves to a harmless library in every process of the chroot.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#if defined(__powerpc64__) || (defined(__riscv) && __riscv_xlen == 64)

static struct sigaction previous;

static int emulate(ucontext_t *uc)
{
#if defined(__powerpc64__)
	unsigned long *r = (unsigned long *)uc->uc_mcontext.gp_regs; /* r0..r31, [32] = NIP */
	uint32_t insn = *(const uint32_t *)r[32];
	unsigned l = (insn >> 21) & 7, ra = (insn >> 16) & 31, rb = (insn >> 11) & 31;

	if ((insn & 0xfc0007feu) != 0x7c0000acu) /* X-form, primary 31, XO 86: dcbf */
		return 0;
	if (l != 3 && l != 4 && l != 6)
		return 0;
	unsigned long ea = (ra ? r[ra] : 0) + r[rb];
	__asm__ volatile("dcbf 0,%0" : : "r"(ea) : "memory");
	r[32] += 4;
	return 1;
#else
	unsigned long *x = (unsigned long *)uc->uc_mcontext.__gregs; /* [0] = pc, x1..x31 */
	uint32_t insn = *(const uint32_t *)x[0];
	unsigned op = insn >> 20, rs1 = (insn >> 15) & 31;

	/* MISC-MEM major opcode, funct3 = 2 (CBO), rd = 0; funct12 0 inval, 1 clean, 2 flush */
	if ((insn & 0x7fffu) != 0x200fu || op > 2)
		return 0;
	(void)*(volatile const unsigned char *)(rs1 ? x[rs1] : 0);
	__asm__ volatile("fence rw,rw" : : : "memory");
	x[0] += 4;
	return 1;
#endif
}

static void on_sigill(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	if (!emulate(ctx))
		sigaction(SIGILL, &previous, NULL); /* not ours: fault again, as without this library */
}

__attribute__((constructor)) static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigill;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGILL, &sa, &previous);
}

#endif
