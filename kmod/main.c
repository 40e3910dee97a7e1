// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane: per-tenant policy and statistics for the netfilter flowtable
 * software fast path. Module entry and exit.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "flowlane.h"

static int __init flowlane_mod_init(void)
{
	int err;

	err = flowlane_net_init();
	if (err)
		goto err_net;
	err = flowlane_sysfs_init();
	if (err)
		goto err_sysfs;
	/* Last: once the family is registered userspace can reach us. */
	err = flowlane_genl_init();
	if (err)
		goto err_genl;

	pr_info("version " FLOWLANE_VERSION " loaded\n");
	return 0;

err_genl:
	flowlane_sysfs_exit();
err_sysfs:
	flowlane_net_exit();
err_net:
	return err;
}

static void __exit flowlane_mod_exit(void)
{
	flowlane_genl_exit();
	flowlane_sysfs_exit();
	flowlane_net_exit();
	pr_info("unloaded\n");
}

module_init(flowlane_mod_init);
module_exit(flowlane_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-tenant policy and statistics for the netfilter flowtable fast path");
MODULE_AUTHOR("The flowlane developers");
MODULE_VERSION(FLOWLANE_VERSION);
