/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences, decided by probes of the target kernel's headers
 * (Kbuild sets the FLOWLANE_HAVE_* macros), named by feature.
 */
#ifndef _FLOWLANE_COMPAT_H
#define _FLOWLANE_COMPAT_H

#include <net/netfilter/nf_flow_table.h>

/*
 * flow_offload_route_init(): the upstream change that introduced
 * nft_route_dst_fetch() in nf_flow_table_core.c made it return void and take
 * over the route's dst references (it clears route->tuple[dir].dst); it was
 * backported into 6.1.y, so Debian 6.1 kernels carry either form. Before it, the function took its own
 * references and returned an error code. Both forms leave the caller
 * releasing whatever is still in @route, which dst_release(NULL) allows.
 */
static inline int flowlane_route_init(struct flow_offload *flow,
				      struct nf_flow_route *route)
{
#ifdef FLOWLANE_HAVE_ROUTE_INIT_VOID
	flow_offload_route_init(flow, route);
	return 0;
#else
	return flow_offload_route_init(flow, route);
#endif
}

/*
 * GENL_MCAST_CAP_NET_ADMIN: upstream "genetlink: add CAP_NET_ADMIN test for
 * multicast bind" (v6.6), backported into 6.1.y. Kbuild defines
 * FLOWLANE_HAVE_MCAST_CAP_NET_ADMIN when the target's genetlink.h has it;
 * without it flowlane registers no event group (kmod/genl.c), because any
 * process could join one and watch other tenants' flows.
 */

#endif /* _FLOWLANE_COMPAT_H */
