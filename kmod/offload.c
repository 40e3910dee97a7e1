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
 * refused: devices that are not flowlane's (no fast path there), conntrack
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

/* The next hop's MAC address, if @dev is plain Ethernet and the neighbour
 * for the packets' destination is resolved: then the fast path can write
 * the Ethernet header itself and transmit on @dev (XMIT_DIRECT), as the
 * stock `flow add` does, instead of a neighbour lookup per packet.
 */
static bool flowlane_next_hop(const struct dst_entry *dst, const void *daddr,
			      u8 *ha)
{
	struct net_device_path_stack stack;
	struct net_device *dev = dst->dev;
	struct neighbour *n;
	bool direct;
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
	if (!(nud_state & NUD_VALID))
		return false;
	/* VLANs, bridges, PPPoE, tunnels: more than one hop in the stack, or
	 * another kind; they keep the neighbour path.
	 */
	if (flowlane_forward_path(dev, ha, &stack))
		return false;
	direct = stack.num_paths == 1 &&
		 stack.path[0].type == DEV_PATH_ETHERNET &&
		 stack.path[0].dev == dev;
	flowlane_forward_path_release(&stack);
	return direct;
}

static void flowlane_route_fill(struct nf_flow_route *route,
				struct dst_entry *dst, const struct nf_conn *ct,
				enum ip_conntrack_dir dir)
{
	u8 ha[ETH_ALEN];

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
		return;
	}
	/* Packets of @dir go to the reply tuple's source (after NAT). */
	if (!flowlane_next_hop(dst, &ct->tuplehash[!dir].tuple.src.u3, ha))
		return;
	memcpy(route->tuple[dir].out.h_source, dst->dev->dev_addr, ETH_ALEN);
	memcpy(route->tuple[dir].out.h_dest, ha, ETH_ALEN);
	route->tuple[dir].out.hw_ifindex = dst->dev->ifindex;
	route->tuple[dir].xmit_type = FLOW_OFFLOAD_XMIT_DIRECT;
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

/* Whether the routing table sends the reply back by the device the flow
 * came in by. The reply's fast path does, whatever the table says: its
 * route is looked up with that device forced (as the stock flowtable
 * does). With asymmetric routing the fast path would send replies where
 * the table does not: such a flow stays on the slow path.
 */
static bool flowlane_route_symmetric(const struct nf_hook_state *state,
				     const struct flowi *fl)
{
	struct dst_entry *dst = NULL;
	struct flowi any = *fl;
	bool same;

	if (state->pf == NFPROTO_IPV4)
		any.u.ip4.flowi4_oif = 0;
	else
		any.u.ip6.flowi6_oif = 0;
	nf_route(state->net, &dst, &any, false, state->pf);
	if (!dst)
		return false;
	same = dst->dev == state->in;
	dst_release(dst);
	return same;
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
static int flowlane_route(const struct nf_hook_state *state,
			  struct sk_buff *skb, const struct nf_conn *ct,
			  enum ip_conntrack_dir dir, struct nf_flow_route *route)
{
	struct dst_entry *this_dst = skb_dst(skb);
	struct dst_entry *other_dst = NULL;
	struct flowi fl;

	flowlane_flowi(&fl, state, skb, ct, dir);
	if (!flowlane_route_symmetric(state, &fl))
		return -EOPNOTSUPP;
	if (!dst_hold_safe(this_dst))
		return -ENOENT;
	nf_route(state->net, &other_dst, &fl, false, state->pf);
	if (!other_dst) {
		dst_release(this_dst);
		return -ENOENT;
	}
	/* No state for a policy yet, or a policy that blocks: slow path. */
	other_dst = flowlane_xfrm_route(state->net, other_dst, &fl, ct, dir,
					state->pf);
	if (IS_ERR(other_dst)) {
		dst_release(this_dst);
		return PTR_ERR(other_dst);
	}
	flowlane_route_fill(route, this_dst, ct, dir);
	flowlane_route_fill(route, other_dst, ct, !dir);
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

	if (flowlane_route(state, skb, ct, dir, &route) < 0)
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
