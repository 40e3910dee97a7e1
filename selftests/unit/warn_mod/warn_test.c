// SPDX-License-Identifier: GPL-2.0
/* A deliberately broken module for the harness self-test: it warns on load. */
#include <linux/module.h>

static int __init warn_test_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit warn_test_exit(void)
{
}

module_init(warn_test_init);
module_exit(warn_test_exit);
MODULE_LICENSE("GPL");
