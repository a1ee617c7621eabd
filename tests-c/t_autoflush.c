/*
 * t_autoflush.c -- prints pmem_has_auto_flush().  run.sh runs it (library
 * under test only) in a private mount namespace with a fake
 * /sys/bus/nd/devices tree and compares with expected/autoflush_*.out:
 * 1 only if every region*'s persistence_domain is "cpu_cache", 0 if there is
 * no region, another value, or a region without the file, -1 on a read error.
 */
#include "t.h"

int
main(void)
{
	line("has_auto_flush", "%d", pmem_has_auto_flush());
	line("has_auto_flush.again", "%d", pmem_has_auto_flush());
	return 0;
}
