// SPDX-License-Identifier: GPL-2.0
/* The core pushes a flow's VLAN and PPPoE headers on transmit itself and
 * transmits on the lowest device of the path, the one it hooks (7.x, with
 * the forward path code moved into nf_flow_table_path.c). Detected by
 * struct nf_flow_route's out.needs_gso_segment, which came with that push
 * (GSO packets are segmented before their headers are pushed). Before, it
 * wrote the Ethernet header on out.ifindex and let that device's transmit
 * add the rest.
 */
#include <net/netfilter/nf_flow_table.h>

void flowlane_probe(struct nf_flow_route *route);

void flowlane_probe(struct nf_flow_route *route)
{
	route->tuple[0].out.needs_gso_segment = 1;
}
