// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module, never packaged: it lets tests/vm/selftest.sh prove that
 * the VM harness turns kernel reports red. insmod with warn=1 logs a kernel
 * WARNING; with leak=1 it loses a 1 KiB allocation for kmemleak to find.
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

static int __init mcast_selftest_init(void)
{
	void *lost;

	WARN(warn, "mcast_selftest: a deliberate warning\n");
	if (leak) {
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
