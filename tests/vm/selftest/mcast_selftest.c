// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module, never packaged: it lets tests/vm/selftest.sh prove that
 * the VM harness turns kernel reports red. insmod with warn=1 logs a kernel
 * WARNING; with leak=1 it loses LOST_ALLOCATIONS allocations of 1 KiB for
 * kmemleak to find. Several, because kmemleak is conservative: a stale copy of
 * a pointer (a register spilled to a stack that is later reused) hides that
 * one allocation, as it did once in CI; it cannot hide them all.
 */
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>

static bool warn;
module_param(warn, bool, 0);
MODULE_PARM_DESC(warn, "log a WARNING on load");
static bool leak;
module_param(leak, bool, 0);
MODULE_PARM_DESC(leak, "leak one allocation on load");

#define LOST_ALLOCATIONS 8

static int __init mcast_selftest_init(void)
{
	void *lost;
	int i;

	WARN(warn, "mcast_selftest: a deliberate warning\n");
	for (i = 0; leak && i < LOST_ALLOCATIONS; i++) {
		lost = kmalloc(1024, GFP_KERNEL);
		if (!lost)
			return -ENOMEM;
		OPTIMIZER_HIDE_VAR(lost);	/* the allocation must happen */
	}
	return 0;
}

static void __exit mcast_selftest_exit(void)
{
}

module_init(mcast_selftest_init);
module_exit(mcast_selftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rust_mcast VM harness self-test: a deliberate warning or leak");
