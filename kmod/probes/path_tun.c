// SPDX-License-Identifier: GPL-2.0
/* DEV_PATH_TUN: an IP-in-IP tunnel device fills its forward path with the
 * outer addresses and the underlay route, and the core pushes and pops the
 * outer header itself (the route's in.tun, in.num_tuns), so that a flow
 * through the tunnel leaves and arrives on the underlay device. Present in
 * Debian's 7.3, absent from 6.12.
 */
#include <linux/netdevice.h>
#include <net/netfilter/nf_flow_table.h>

void flowlane_probe(struct net_device_path *path, struct nf_flow_route *route);

void flowlane_probe(struct net_device_path *path, struct nf_flow_route *route)
{
	path->type = DEV_PATH_TUN;
	route->tuple[0].in.tun.inner_proto = path->tun.inner_proto;
	route->tuple[0].in.num_tuns = 1;
}
