/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel differences, decided by compiling the probes of kmod/probes/ against
 * the target kernel's headers (Kbuild sets the FLOWLANE_HAVE_* macros),
 * named by feature; each probe file names the upstream change it tracks.
 */
#ifndef _FLOWLANE_COMPAT_H
#define _FLOWLANE_COMPAT_H

#include <linux/netdevice.h>
#include <net/flow.h>
#include <net/genetlink.h>
#include <net/inet_dscp.h>
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
 * GENL_MCAST_CAP_NET_ADMIN (kmod/probes/mcast_cap_net_admin.c): without it
 * flowlane registers no event group (kmod/genl.c), because any process
 * could join one and watch other tenants' flows.
 */


/* A dump's request attributes (kmod/probes/genl_info_dump.c). */
static inline struct nlattr **flowlane_dump_attrs(struct netlink_callback *cb)
{
#ifdef FLOWLANE_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* The forward path from @dev to the neighbour @ha for packets of
 * @ether_type; a stack filled without error is given back with
 * flowlane_forward_path_release() (kmod/probes/forward_path_ctx.c).
 */
static inline int flowlane_forward_path(const struct net_device *dev,
					const u8 *ha, __be16 ether_type,
					struct net_device_path_stack *stack)
{
#ifdef FLOWLANE_HAVE_FORWARD_PATH_CTX
	struct net_device_path_ctx ctx = {
		.dev = dev,
		.ether_type = ether_type,
	};

	memcpy(ctx.daddr, ha, ETH_ALEN);
	return dev_fill_forward_path(&ctx, stack);
#else
	return dev_fill_forward_path(dev, ha, stack);
#endif
}

static inline void
flowlane_forward_path_release(struct net_device_path_stack *stack)
{
#ifdef FLOWLANE_HAVE_FORWARD_PATH_CTX
	dev_fill_forward_path_release(stack);
#endif
}

/* The IPv4 route key's TOS from a packet's DS field, as the stock
 * flowtable looks the reply route up (kmod/probes/flowi4_dscp.c).
 */
static inline void flowlane_flowi4_set_tos(struct flowi4 *fl4, u8 dsfield)
{
#ifdef FLOWLANE_HAVE_FLOWI4_DSCP
	fl4->flowi4_dscp = inet_dsfield_to_dscp(dsfield);
#else
	fl4->flowi4_tos = RT_TOS(dsfield);
#endif
}

/* Whether the fast path saw a TCP FIN or RST of @flow and left it in place
 * (kmod/probes/flow_closing.c). Kernels without NF_FLOW_CLOSING send such
 * a packet to the slow path after tearing the flow down themselves.
 */
static inline bool flowlane_flow_closing(const struct flow_offload *flow)
{
#ifdef FLOWLANE_HAVE_FLOW_CLOSING
	return test_bit(NF_FLOW_CLOSING, &flow->flags);
#else
	return false;
#endif
}

/* The device direct transmit hands a flow's packets to when the path below
 * the routed device ends at @lower, the device flowlane hooks
 * (kmod/probes/xmit_encap_push.c). A core that pushes VLAN and PPPoE
 * headers itself transmits on @lower. One that does not writes the
 * Ethernet header on the device (none on a PPP device) and lets its
 * transmit add the rest: the first VLAN or PPPoE device on the path,
 * @encap_dev, or with none @lower, where a tag a bridge adds on its port
 * (@bridge_tags) would be missing: NULL, no direct transmit then.
 */
static inline const struct net_device *
flowlane_direct_dev(const struct net_device *lower,
		    const struct net_device *encap_dev, bool bridge_tags)
{
#ifdef FLOWLANE_HAVE_XMIT_ENCAP_PUSH
	return lower;
#else
	if (encap_dev)
		return encap_dev;
	return bridge_tags ? NULL : lower;
#endif
}

/* A core that pushes a PPPoE header itself must segment GSO packets first:
 * the device below cannot segment PPPoE (the stock path sets this for
 * PPPoE hops). A core that transmits on the PPP device has that device's
 * own GSO handling.
 */
static inline void flowlane_route_gso_segment(struct nf_flow_route *route,
					      enum ip_conntrack_dir dir,
					      bool pppoe)
{
#ifdef FLOWLANE_HAVE_XMIT_ENCAP_PUSH
	route->tuple[dir].out.needs_gso_segment = pppoe;
#endif
}

/* skb_gso_validate_network_len()'s header (see probes/net_gso_h.c). */
#ifdef FLOWLANE_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

#endif /* _FLOWLANE_COMPAT_H */
