// SPDX-License-Identifier: GPL-2.0
/* Not a feature: the headers flowlane needs, with a function in the probes'
 * form. If this does not compile, no probe's answer can be trusted.
 */
#include <linux/netdevice.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_flow_table.h>

int flowlane_probe(const struct net_device *dev);

int flowlane_probe(const struct net_device *dev)
{
	return dev->ifindex;
}
