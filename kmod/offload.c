// SPDX-License-Identifier: GPL-2.0
/*
 * The offload decision, in an NF_INET_FORWARD hook (IPv4 and IPv6) at
 * priority NF_IP_PRI_LAST - 1: it runs after every forward chain of any
 * priority (iptables/nftables filter at 0, security at 50, user chains
 * anywhere) has accepted the packet and after any rule has set the ct mark
 * that carries the tag, so offloading never skips a forward-chain verdict
 * the slow path would have applied.
 *
 * Refused like the stock `flow add`: unconfirmed conntrack entries, TCP not
 * established or with FIN/RST, helpers, sequence adjustment, NAT clash,
 * a packet that came out of an IPsec tunnel (secpath), IPv4 options.
 * Flows routed into an IPsec tunnel are offloaded, either way. Also
 * refused: devices that are not flowlane's (no fast path there), IPv4
 * flows routed by an IP tunnel device the core has no way through (ipip,
 * ip6tnl, sit, gre; 7.3's core has one for ipip and ip6ip6), conntrack
 * entries without accounting (created before flowlane managed the
 * namespace), and whatever the flow's policy says.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/tcp.h>
#include <net/dst.h>
#include <net/neighbour.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/ip6_route.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_extend.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_l4proto.h>
#include <net/xfrm.h>

#include "flowlane.h"
#include "compat.h"

#define FLOWLANE_FORWARD_PRIORITY	(NF_IP_PRI_LAST - 1)

/* The TCP header of a forwarded packet, or NULL. */
static const struct tcphdr *flowlane_tcph(struct sk_buff *skb, u8 pf,
					  struct tcphdr *buf)
{
	unsigned int thoff;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	if (pf == NFPROTO_IPV4) {
		thoff = ip_hdrlen(skb);
	} else {
		nexthdr = ipv6_hdr(skb)->nexthdr;
		off = ipv6_skip_exthdr(skb, sizeof(struct ipv6hdr), &nexthdr,
				       &frag_off);
		if (off < 0 || nexthdr != IPPROTO_TCP)
			return NULL;
		thoff = off;
	}
	return skb_header_pointer(skb, thoff, sizeof(*buf), buf);
}

static bool flowlane_finrst(struct sk_buff *skb, u8 pf, const struct nf_conn *ct)
{
	const struct tcphdr *th;
	struct tcphdr buf;

	if (nf_ct_protonum(ct) != IPPROTO_TCP)
		return false;
	th = flowlane_tcph(skb, pf, &buf);
	return th && (th->fin || th->rst);
}

/* Whether the core's fast path could carry this packet, which shows what
 * the flow's packets are like: it refuses fragments (it sees each fragment
 * at ingress; here conntrack has reassembled them), an IPv6 header followed
 * by anything but TCP, UDP or GRE (extension headers), and a packet longer than
 * the route's MTU (it leaves fragmenting to the slow path). Offloaded, such
 * a flow would only cost each of its packets the fast path's lookup and
 * flowlane's slow-path accounting, and be re-offloaded after every timeout.
 */
static bool flowlane_core_can_carry(const struct sk_buff *skb, u8 pf)
{
	const struct dst_entry *dst = skb_dst(skb);
	unsigned int mtu;

	if (pf == NFPROTO_IPV4) {
		if (IPCB(skb)->frag_max_size)
			return false;
		mtu = ip_dst_mtu_maybe_forward(dst, true);
	} else {
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;

		if (IP6CB(skb)->frag_max_size ||
		    (nexthdr != IPPROTO_TCP && nexthdr != IPPROTO_UDP &&
		     nexthdr != IPPROTO_GRE))
			return false;
		mtu = ip6_dst_mtu_maybe_forward(dst, true);
	}
	if (skb_is_gso(skb))
		return skb_gso_validate_network_len(skb, mtu);
	return skb->len <= mtu;
}

/* GRE as nft_flow_offload takes it: version 0 (the core's fast path parses
 * no other; conntrack keys only PPTP's version 1, by call id, so a key in
 * either tuple means version 1), without NAT (stock refuses it; its fast
 * path would rewrite the addresses, seen working with a mutant, but nothing
 * upstream vouches for it).
 */
static bool flowlane_gre_eligible(const struct nf_conn *ct)
{
#ifdef CONFIG_NF_CT_PROTO_GRE
	const struct nf_conntrack_tuple *t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	return !(ct->status & IPS_NAT_MASK) &&
	       !t->src.u.gre.key && !t->dst.u.gre.key;
#else
	return false;
#endif
}

/* What nft_flow_offload_eval() refuses, minus the device and policy checks,
 * plus the packets the core would punt.
 */
static bool flowlane_eligible(struct sk_buff *skb, u8 pf, struct nf_conn *ct)
{
	const struct tcphdr *th;
	struct tcphdr buf;

	if (skb_sec_path(skb))
		return false;
	if (pf == NFPROTO_IPV4 && unlikely(IPCB(skb)->opt.optlen))
		return false;
	if (!flowlane_core_can_carry(skb, pf))
		return false;
	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		th = flowlane_tcph(skb, pf, &buf);
		if (!th || th->fin || th->rst ||
		    !nf_conntrack_tcp_established(ct))
			return false;
		break;
	case IPPROTO_UDP:
		break;
	case IPPROTO_GRE:
		if (!flowlane_gre_eligible(ct))
			return false;
		break;
	default:
		return false;
	}
	if (nf_ct_ext_exist(ct, NF_CT_EXT_HELPER) ||
	    ct->status & (IPS_SEQ_ADJUST | IPS_NAT_CLASH))
		return false;
	return nf_ct_is_confirmed(ct);
}

/* The next hop's MAC address, if @dst's device is Ethernet and the
 * neighbour for the packets' destination is resolved.
 */
static bool flowlane_neigh_ha(const struct dst_entry *dst, const void *daddr,
			      u8 *ha)
{
	struct net_device *dev = dst->dev;
	struct neighbour *n;
	u8 nud_state;

	if ((dev->flags & IFF_LOOPBACK) || dev->type != ARPHRD_ETHER ||
	    dev->addr_len != ETH_ALEN || !is_valid_ether_addr(dev->dev_addr))
		return false;
	n = dst_neigh_lookup(dst, daddr);
	if (!n)
		return false;
	read_lock_bh(&n->lock);
	nud_state = n->nud_state;
	ether_addr_copy(ha, n->ha);
	read_unlock_bh(&n->lock);
	neigh_release(n);
	return nud_state & NUD_VALID;
}

/* One direction's way to its next hop, resolved below the routed device as
 * the stock `flow add` does it: the device the frames leave by and the
 * replies arrive on (@lower), the VLAN tags they carry there, and the MAC
 * addresses of the Ethernet header.
 */
struct flowlane_hop {
	const struct net_device *lower;
	const struct net_device *encap_dev;	/* the first VLAN or PPPoE device */
	struct {
		u16 id;
		__be16 proto;
	} encap[NF_FLOW_TABLE_ENCAP_MAX];
	u8 num_encaps;
	u8 ingress_vlans;	/* tags the port's hardware strips */
	bool bridge_tags;	/* a bridge tags the frames on its port */
	bool pppoe;		/* a PPPoE session on the way */
	u8 h_source[ETH_ALEN];
	u8 h_dest[ETH_ALEN];
};

static bool flowlane_hop_push(struct flowlane_hop *hop, u16 id, __be16 proto)
{
	if (hop->num_encaps >= NF_FLOW_TABLE_ENCAP_MAX)
		return false;
	hop->encap[hop->num_encaps].id = id;
	hop->encap[hop->num_encaps].proto = proto;
	hop->num_encaps++;
	return true;
}

/* A bridge on the way: the port it forwards to is next in the stack; its
 * VLAN filtering may add, remove or keep a tag.
 */
static bool flowlane_hop_bridge(struct flowlane_hop *hop,
				const struct net_device_path *path)
{
	switch (path->bridge.vlan_mode) {
	case DEV_PATH_BR_VLAN_KEEP:
		return true;
	case DEV_PATH_BR_VLAN_TAG:
		hop->bridge_tags = true;
		return flowlane_hop_push(hop, path->bridge.vlan_id,
					 path->bridge.vlan_proto);
	case DEV_PATH_BR_VLAN_UNTAG:
		if (!hop->num_encaps)
			return false;
		hop->num_encaps--;
		return true;
	case DEV_PATH_BR_VLAN_UNTAG_HW:
		if (!hop->num_encaps)
			return false;
		hop->ingress_vlans |= BIT(hop->num_encaps - 1);
		return true;
	}
	return false;
}

/* A VLAN or PPPoE hop: one more header the frames carry below it. A PPPoE
 * session's peer is the Ethernet destination (the routed PPP device has no
 * neighbour to ask).
 */
static bool flowlane_hop_encap(struct flowlane_hop *hop,
			       const struct net_device_path *path)
{
	if (!hop->encap_dev)
		hop->encap_dev = path->dev;
	if (path->type == DEV_PATH_PPPOE) {
		hop->pppoe = true;
		ether_addr_copy(hop->h_dest, path->encap.h_dest);
	}
	return flowlane_hop_push(hop, path->encap.id, path->encap.proto);
}

/* Ethernet, VLAN, PPPoE and bridge hops. DSA and whatever else
 * dev_fill_forward_path() may find keep the neighbour path on the routed
 * device (untested); an IP tunnel device's way is flowlane_route_tunnel()'s.
 */
static bool flowlane_hop_walk(const struct net_device_path_stack *stack,
			      struct flowlane_hop *hop)
{
	const struct net_device_path *path;
	int i;

	for (i = 0; i < stack->num_paths; i++) {
		path = &stack->path[i];
		if (is_zero_ether_addr(hop->h_source))
			ether_addr_copy(hop->h_source, path->dev->dev_addr);
		switch (path->type) {
		case DEV_PATH_ETHERNET:
			hop->lower = path->dev;
			break;
		case DEV_PATH_VLAN:
		case DEV_PATH_PPPOE:
			if (!flowlane_hop_encap(hop, path))
				return false;
			break;
		case DEV_PATH_BRIDGE:
			if (!flowlane_hop_bridge(hop, path))
				return false;
			break;
		default:
			return false;
		}
	}
	/* The stack ends at a device without a forward path of its own. */
	return hop->lower && hop->lower == stack->path[stack->num_paths - 1].dev;
}

static bool flowlane_hop_resolve(const struct dst_entry *dst,
				 const void *daddr, u8 pf,
				 struct flowlane_hop *hop)
{
	__be16 ether_type = htons(pf == NFPROTO_IPV4 ? ETH_P_IP : ETH_P_IPV6);
	struct net_device_path_stack stack;
	bool ok;

	/* A PPP device's way names its peer itself (a PPPoE session). */
	if (dst->dev->type != ARPHRD_PPP &&
	    !flowlane_neigh_ha(dst, daddr, hop->h_dest))
		return false;
	if (flowlane_forward_path(dst->dev, hop->h_dest, ether_type, &stack))
		return false;
	ok = flowlane_hop_walk(&stack, hop);
	flowlane_forward_path_release(&stack);
	return ok;
}

/* Direct transmit for @dir (the fast path writes the Ethernet header
 * itself, no neighbour lookup per packet), if the way to the next hop is
 * resolved and ends on a device flowlane hooks: the other direction's
 * packets then arrive there and the core's hook on it, which pops their
 * VLAN tags, takes them before the bridge or VLAN receive path. A way that
 * ends below on a device flowlane does not hook keeps the neighbour path
 * on the routed device, which then takes the packets after that path.
 */
static void flowlane_route_direct(struct flowlane_net *fn,
				  struct nf_flow_route *route,
				  const struct dst_entry *dst,
				  const struct nf_conn *ct,
				  enum ip_conntrack_dir dir, u8 pf)
{
	const struct net_device *xmit_dev;
	struct flowlane_hop hop = {};
	int i;

	/* Packets of @dir go to the reply tuple's source (after NAT). */
	if (!flowlane_hop_resolve(dst, &ct->tuplehash[!dir].tuple.src.u3, pf,
				  &hop))
		return;
	if (hop.lower != dst->dev && !flowlane_ft_has_dev(fn, hop.lower))
		return;
	xmit_dev = flowlane_direct_dev(hop.lower, hop.encap_dev,
				       hop.bridge_tags);
	if (!xmit_dev)
		return;
	route->tuple[!dir].in.ifindex = hop.lower->ifindex;
	for (i = 0; i < hop.num_encaps; i++) {
		route->tuple[!dir].in.encap[i].id = hop.encap[i].id;
		route->tuple[!dir].in.encap[i].proto = hop.encap[i].proto;
	}
	route->tuple[!dir].in.num_encaps = hop.num_encaps;
	route->tuple[!dir].in.ingress_vlans = hop.ingress_vlans;
	ether_addr_copy(route->tuple[dir].out.h_source, hop.h_source);
	ether_addr_copy(route->tuple[dir].out.h_dest, hop.h_dest);
	route->tuple[dir].out.ifindex = xmit_dev->ifindex;
	route->tuple[dir].out.hw_ifindex = hop.lower->ifindex;
	flowlane_route_gso_segment(route, dir, hop.pppoe);
	route->tuple[dir].xmit_type = FLOW_OFFLOAD_XMIT_DIRECT;
}

/* A device that wraps the flow's packets in an outer IP header. An IPv4
 * flow's neighbour path through one failed in flowlane_engine_paths.sh:
 * through ipip 1 of 20 packets went fast (6.1, and 7.3 before
 * flowlane_route_tunnel()), through gre the flow was offloaded and gone
 * again before its 20 echoed packets ended (7.3). Not verified, a likely
 * cause: at each packet the tunnel's transmit updates the inner route's
 * path MTU, and IPv4 records an exception even at an equal MTU (IPv6 only
 * at a smaller one), which makes the flow's route stale. IPv6 flows
 * through sit and ip6tnl devices took the neighbour path 19 of 20 packets
 * fast. So an IPv4 flow through such a device is offloaded only on the
 * core's own tunnel way.
 */
static bool flowlane_dev_is_ip_tunnel(const struct net_device *dev)
{
	switch (dev->type) {
	case ARPHRD_TUNNEL:	/* ipip, vti */
	case ARPHRD_TUNNEL6:	/* ip6tnl */
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
		return true;
	}
	return false;
}

#ifdef FLOWLANE_HAVE_PATH_TUN
/* An ipip or ip6tnl (ip6ip6) device as the routed device, on a core that
 * pushes and pops the outer header itself (kmod/probes/path_tun.c): the
 * flow's packets leave and arrive on the underlay device, past the tunnel
 * device, as the stock `flow add` sends them, if flowlane hooks that
 * device (its hook takes the replies' outer packets). The route becomes
 * the tunnel's underlay route (neighbour path), and the other direction
 * matches the outer addresses, reversed. Returns true if it did.
 */
static bool flowlane_route_tunnel(struct flowlane_net *fn,
				  struct nf_flow_route *route,
				  const struct net_device *dev,
				  enum ip_conntrack_dir dir, u8 pf)
{
	__be16 ether_type = htons(pf == NFPROTO_IPV4 ? ETH_P_IP : ETH_P_IPV6);
	static const u8 no_ha[ETH_ALEN];
	const struct net_device_path *tun, *lower;
	struct net_device_path_stack stack;
	bool ok = false;

	if (flowlane_forward_path(dev, no_ha, ether_type, &stack))
		return false;
	tun = &stack.path[0];
	lower = &stack.path[stack.num_paths - 1];
	if (stack.num_paths == 2 && tun->type == DEV_PATH_TUN &&
	    lower->type == DEV_PATH_ETHERNET &&
	    flowlane_ft_has_dev(fn, lower->dev)) {
		route->tuple[!dir].in.ifindex = lower->dev->ifindex;
		route->tuple[!dir].in.tun.src_v6 = tun->tun.dst_v6;
		route->tuple[!dir].in.tun.dst_v6 = tun->tun.src_v6;
		route->tuple[!dir].in.tun.inner_proto = tun->tun.inner_proto;
		route->tuple[!dir].in.num_tuns = 1;
		dst_hold(tun->tun.dst);
		dst_release(route->tuple[dir].dst);
		route->tuple[dir].dst = tun->tun.dst;
		route->tuple[dir].out.ifindex = lower->dev->ifindex;
		ok = true;
	}
	flowlane_forward_path_release(&stack);
	return ok;
}
#else
static bool flowlane_route_tunnel(struct flowlane_net *fn,
				  struct nf_flow_route *route,
				  const struct net_device *dev,
				  enum ip_conntrack_dir dir, u8 pf)
{
	return false;
}
#endif

/* Stores @dst as @dir's route (the caller's reference) and fills in how
 * the fast path transmits. Fails for an IPv4 flow through an IP tunnel
 * device the core has no way through (flowlane_dev_is_ip_tunnel()): such
 * a flow stays on the slow path.
 */
static int flowlane_route_fill(struct flowlane_net *fn,
			       struct nf_flow_route *route,
			       struct dst_entry *dst, const struct nf_conn *ct,
			       enum ip_conntrack_dir dir, u8 pf)
{
	route->tuple[!dir].in.ifindex = dst->dev->ifindex;
	route->tuple[dir].dst = dst;
	route->tuple[dir].xmit_type = FLOW_OFFLOAD_XMIT_NEIGH;
	/* The neighbour path transmits on this device: since the transmit
	 * path's rework (7.x) the core finds it by this index, not by the
	 * route (an index of 0 would drop the packet and tear the flow down).
	 */
	route->tuple[dir].out.ifindex = dst->dev->ifindex;
	/* An IPsec bundle: the fast path hands the packet to dst_output(),
	 * which encrypts it, as the stock `flow add` does.
	 */
	if (dst_xfrm(dst)) {
		route->tuple[dir].xmit_type = FLOW_OFFLOAD_XMIT_XFRM;
		return 0;
	}
	if (flowlane_dev_is_ip_tunnel(dst->dev)) {
		if (flowlane_route_tunnel(fn, route, dst->dev, dir, pf))
			return 0;
		return pf == NFPROTO_IPV4 ? -EOPNOTSUPP : 0;
	}
	flowlane_route_direct(fn, route, dst, ct, dir, pf);
	return 0;
}

static void flowlane_flowi(struct flowi *fl, const struct nf_hook_state *state,
			   struct sk_buff *skb, const struct nf_conn *ct,
			   enum ip_conntrack_dir dir)
{
	const struct dst_entry *this_dst = skb_dst(skb);

	memset(fl, 0, sizeof(*fl));
	if (state->pf == NFPROTO_IPV4) {
		fl->u.ip4.daddr = ct->tuplehash[dir].tuple.src.u3.ip;
		fl->u.ip4.saddr = ct->tuplehash[!dir].tuple.src.u3.ip;
		fl->u.ip4.flowi4_oif = state->in->ifindex;
		fl->u.ip4.flowi4_iif = this_dst->dev->ifindex;
		flowlane_flowi4_set_tos(&fl->u.ip4, ip_hdr(skb)->tos);
		fl->u.ip4.flowi4_mark = skb->mark;
		fl->u.ip4.flowi4_flags = FLOWI_FLAG_ANYSRC;
	} else {
		fl->u.ip6.daddr = ct->tuplehash[dir].tuple.src.u3.in6;
		fl->u.ip6.saddr = ct->tuplehash[!dir].tuple.src.u3.in6;
		fl->u.ip6.flowi6_oif = state->in->ifindex;
		fl->u.ip6.flowi6_iif = this_dst->dev->ifindex;
		fl->u.ip6.flowlabel = ip6_flowinfo(ipv6_hdr(skb));
		fl->u.ip6.flowi6_mark = skb->mark;
		fl->u.ip6.flowi6_flags = FLOWI_FLAG_ANYSRC;
	}
}

/* The other direction's route, looked up as forwarding routes its packets
 * (no output device forced), if the table sends them back by the device
 * the flow came in by: the reply's fast path does, whatever the table
 * says. With asymmetric routing it would send replies where the table does
 * not: such a flow stays on the slow path. The stock flowtable forces that
 * device in its lookup instead, which hides the asymmetry; here one lookup
 * both checks and finds the route.
 */
static struct dst_entry *flowlane_route_back(const struct nf_hook_state *state,
					     const struct flowi *fl)
{
	struct dst_entry *dst = NULL;
	struct flowi any = *fl;

	if (state->pf == NFPROTO_IPV4)
		any.u.ip4.flowi4_oif = 0;
	else
		any.u.ip6.flowi6_oif = 0;
	nf_route(state->net, &dst, &any, false, state->pf);
	if (dst && dst->dev != state->in) {
		dst_release(dst);
		dst = NULL;
	}
	return dst;
}

/* The other direction's route with its IPsec policies applied: nf_route()
 * consults the routing table only (ip_route_output_key() skips the xfrm
 * lookup for a flowi without a protocol), so a flow offloaded at a packet
 * going one way would send the other way's packets in the clear where a
 * policy says to encrypt them. The stock flowtable has that hole; here the
 * policies are looked up with the flow's protocol and ports, as forwarding
 * does (xfrm_decode_session()), and the bundle is the route. Consumes
 * @dst: xfrm_lookup() releases it when it returns anything else.
 */
static struct dst_entry *flowlane_xfrm_route(struct net *net,
					     struct dst_entry *dst,
					     struct flowi *fl,
					     const struct nf_conn *ct,
					     enum ip_conntrack_dir dir, u8 pf)
{
	/* The other direction's ports, as flowlane_flowi() its addresses. */
	__be16 sport = ct->tuplehash[!dir].tuple.src.u.all;
	__be16 dport = ct->tuplehash[dir].tuple.src.u.all;

	if (pf == NFPROTO_IPV4) {
		fl->u.ip4.flowi4_proto = nf_ct_protonum(ct);
		fl->u.ip4.fl4_sport = sport;
		fl->u.ip4.fl4_dport = dport;
	} else {
		fl->u.ip6.flowi6_proto = nf_ct_protonum(ct);
		fl->u.ip6.fl6_sport = sport;
		fl->u.ip6.fl6_dport = dport;
	}
	return xfrm_lookup(net, dst, fl, NULL, 0);
}

/* Both directions' routes: this packet's dst (forwarding has applied the
 * IPsec policies to it) and a lookup for the reply. On success @route
 * holds a reference on each dst.
 */
static int flowlane_route(struct flowlane_net *fn,
			  const struct nf_hook_state *state,
			  struct sk_buff *skb, const struct nf_conn *ct,
			  enum ip_conntrack_dir dir, struct nf_flow_route *route)
{
	struct dst_entry *this_dst = skb_dst(skb);
	struct dst_entry *other_dst;
	struct flowi fl;
	int err;

	flowlane_flowi(&fl, state, skb, ct, dir);
	other_dst = flowlane_route_back(state, &fl);
	if (!other_dst)
		return -EOPNOTSUPP;
	if (!dst_hold_safe(this_dst)) {
		dst_release(other_dst);
		return -ENOENT;
	}
	/* No state for a policy yet, or a policy that blocks: slow path. */
	other_dst = flowlane_xfrm_route(state->net, other_dst, &fl, ct, dir,
					state->pf);
	if (IS_ERR(other_dst)) {
		dst_release(this_dst);
		return PTR_ERR(other_dst);
	}
	/* Both filled first: each stores its dst, released here on failure. */
	err = flowlane_route_fill(fn, route, this_dst, ct, dir, state->pf);
	if (flowlane_route_fill(fn, route, other_dst, ct, !dir, state->pf) < 0)
		err = -EOPNOTSUPP;
	if (err) {
		dst_release(route->tuple[dir].dst);
		dst_release(route->tuple[!dir].dst);
		return -EOPNOTSUPP;
	}
	return 0;
}

static void flowlane_ct_tcp_liberal(struct nf_conn *ct)
{
	/* Conntrack will not see every packet: no window tracking. */
	spin_lock_bh(&ct->lock);
	ct->proto.tcp.seen[0].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	ct->proto.tcp.seen[1].flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	spin_unlock_bh(&ct->lock);
}

/* IPS_OFFLOAD is set (ours): build the core's flow and our record. */
static void flowlane_offload(struct flowlane_net *fn, struct sk_buff *skb,
			     const struct nf_hook_state *state,
			     struct nf_conn *ct, enum ip_conntrack_info ctinfo,
			     u16 tag_id, struct flowlane_tag *tag, u32 max_flows)
{
	enum ip_conntrack_dir dir = CTINFO2DIR(ctinfo);
	struct nf_flow_route route = {};
	struct flow_offload *flow;
	u32 iif, oif;

	if (flowlane_route(fn, state, skb, ct, dir, &route) < 0)
		goto err_route;
	flow = flow_offload_alloc(ct);
	if (!flow)
		goto err_alloc;
	if (flowlane_route_init(flow, &route) < 0)
		goto err_flow;
	/* Original direction's devices, whichever direction this packet is. */
	iif = dir == IP_CT_DIR_ORIGINAL ? state->in->ifindex : state->out->ifindex;
	oif = dir == IP_CT_DIR_ORIGINAL ? state->out->ifindex : state->in->ifindex;
	if (flowlane_flow_start(fn, ct, tag_id, tag, max_flows, iif, oif))
		goto err_flow;
	if (nf_ct_protonum(ct) == IPPROTO_TCP)
		flowlane_ct_tcp_liberal(ct);
	if (flow_offload_add(&fn->ft, flow) < 0)
		goto err_add;
	flowlane_flow_announce(fn, ct);
	dst_release(route.tuple[dir].dst);	/* NULL unless the old route_init */
	dst_release(route.tuple[!dir].dst);
	return;

err_add:
	flowlane_flow_cancel(fn, ct);
err_flow:
	flow_offload_free(flow);
err_alloc:
	dst_release(route.tuple[dir].dst);
	dst_release(route.tuple[!dir].dst);
err_route:
	clear_bit(IPS_OFFLOAD_BIT, &ct->status);
}

/* The slow path carries this packet of a flow flowlane has (had) offloaded:
 * credit it to the flow's slow share. Returns false if there is no record.
 */
static bool flowlane_known_flow(struct flowlane_net *fn, struct sk_buff *skb,
				u8 pf, struct nf_conn *ct,
				enum ip_conntrack_info ctinfo)
{
	if (list_empty(&fn->flow_list) || !flowlane_flow_lookup(fn, ct))
		return false;
	flowlane_flow_slow_packet(fn, ct, CTINFO2DIR(ctinfo), skb->len,
				  flowlane_finrst(skb, pf, ct));
	return true;
}

static bool flowlane_threshold_met(const struct nf_conn *ct, u32 threshold)
{
	const struct nf_conn_acct *acct = nf_conn_acct_find(ct);

	/* Conntrack counted this packet already (at prerouting). */
	return atomic64_read(&acct->counter[IP_CT_DIR_ORIGINAL].packets) +
	       atomic64_read(&acct->counter[IP_CT_DIR_REPLY].packets) >=
	       threshold;
}

static bool flowlane_cap_reached(struct flowlane_net *fn,
				 struct flowlane_tag *tag, u32 max_flows)
{
	const u64 *flows = flowlane_cap_flows(fn, tag);

	/* A racy look first; flowlane_flow_start() decides under the lock.
	 * A refused flow's every packet comes here: no lock, per-CPU count.
	 */
	if (!max_flows || READ_ONCE(*flows) < max_flows)
		return false;
	flowlane_count_refused(fn, tag);
	return true;
}

static unsigned int flowlane_offload_hook(void *priv, struct sk_buff *skb,
					  const struct nf_hook_state *state)
{
	struct flowlane_net *fn = priv;
	enum ip_conntrack_info ctinfo;
	struct flowlane_policy p;
	struct flowlane_tag *tag;
	struct nf_conn *ct;
	u16 tag_id;

	ct = nf_ct_get(skb, &ctinfo);
	/* ICMP errors carry their flow's ct as RELATED: not the flow's own
	 * packets, and conntrack accounting does not count them either.
	 */
	if (!ct || ctinfo == IP_CT_RELATED || ctinfo == IP_CT_RELATED_REPLY)
		return NF_ACCEPT;
	if (flowlane_known_flow(fn, skb, state->pf, ct, ctinfo))
		return NF_ACCEPT;
	if (test_bit(IPS_OFFLOAD_BIT, &ct->status) ||
	    !flowlane_eligible(skb, state->pf, ct) ||
	    !nf_conn_acct_find(ct))
		return NF_ACCEPT;
	if (!flowlane_ft_has_dev(fn, state->in) ||
	    !flowlane_ft_has_dev(fn, state->out))
		return NF_ACCEPT;

	tag_id = flowlane_tag_of(fn, ct);
	tag = flowlane_tag_find_rcu(fn, tag_id);
	flowlane_policy_of(fn, tag, &p);
	if (!p.offload || !flowlane_threshold_met(ct, p.threshold))
		return NF_ACCEPT;
	if (flowlane_cap_reached(fn, tag, p.max_flows))
		return NF_ACCEPT;
	if (test_and_set_bit(IPS_OFFLOAD_BIT, &ct->status))
		return NF_ACCEPT;
	flowlane_offload(fn, skb, state, ct, ctinfo, tag_id, tag, p.max_flows);
	return NF_ACCEPT;
}

int flowlane_offload_hooks_on(struct flowlane_net *fn)
{
	static const u8 pfs[2] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	int i;

	for (i = 0; i < 2; i++) {
		fn->fwd_ops[i].hook = flowlane_offload_hook;
		fn->fwd_ops[i].priv = fn;
		fn->fwd_ops[i].pf = pfs[i];
		fn->fwd_ops[i].hooknum = NF_INET_FORWARD;
		fn->fwd_ops[i].priority = FLOWLANE_FORWARD_PRIORITY;
	}
	return nf_register_net_hooks(fn->net, fn->fwd_ops, 2);
}

void flowlane_offload_hooks_off(struct flowlane_net *fn)
{
	nf_unregister_net_hooks(fn->net, fn->fwd_ops, 2);
}
