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

	err = flowlane_flow_cache_init();
	if (err)
		goto err_cache;
	err = flowlane_net_init();
	if (err)
		goto err_net;
	/* After the pernet data exists: the notifier reads it. */
	err = flowlane_ft_notifier_init();
	if (err)
		goto err_notifier;
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
	flowlane_ft_notifier_exit();
err_notifier:
	flowlane_net_exit();
err_net:
	flowlane_flow_cache_exit();
err_cache:
	return err;
}

/* Unload with traffic flowing: every namespace's hooks go, the flowtables
 * tear their flows down (conntrack carries them on the slow path), our
 * records are retired, then the cache goes after an RCU barrier.
 */
static void __exit flowlane_mod_exit(void)
{
	flowlane_genl_exit();
	flowlane_sysfs_exit();
	flowlane_net_exit();
	/* After the namespaces: their exit removes every device under RTNL,
	 * so the NETDEV_UNREGISTER replay below finds none of ours.
	 */
	flowlane_ft_notifier_exit();
	flowlane_flow_cache_exit();
	pr_info("unloaded\n");
}

module_init(flowlane_mod_init);
module_exit(flowlane_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Per-tenant policy and statistics for the netfilter flowtable fast path");
MODULE_AUTHOR("The flowlane developers");
MODULE_VERSION(FLOWLANE_VERSION);
