// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "flowlane": each command's attribute tree is
 * written in include/uapi/linux/flowlane.h. Policies reject malformed
 * input before a handler runs; handlers check semantics and say why they
 * refuse in extack.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <uapi/linux/flowlane.h>

#include "flowlane.h"
#include "compat.h"

static struct genl_family flowlane_genl_family;

/* Commands that take no attribute. With maxattr 0 genetlink would not
 * parse the request at all, silently ignoring whatever was sent; one
 * rejected slot makes strict validation run: type 1 is refused with this
 * message, any other type as "Unknown attribute type".
 */
static const struct nla_policy flowlane_no_attrs_policy[2] = {
	[1] = { .type = NLA_REJECT,
		.reject_message = "this command takes no attributes" },
};

static const struct nla_policy flowlane_dev_policy[FLOWLANE_A_DEV_MAX + 1] = {
	[FLOWLANE_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[FLOWLANE_A_DEV_NAME]	 = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	/* "prefix*": the '*' counts, as in nftables' wildcard names */
	[FLOWLANE_A_DEV_PATTERN] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
};

static struct netlink_range_validation flowlane_timeout_range = {
	.max = 86400,	/* a day; the kernel's flowtable timeout bounds it anyway */
};

static const struct nla_policy flowlane_tag_policy[FLOWLANE_A_TAG_MAX + 1] = {
	[FLOWLANE_A_TAG_NAME]	   = { .type = NLA_NUL_STRING,
				       .len = FLOWLANE_TAG_NAME_LEN - 1 },
	[FLOWLANE_A_TAG_ID]	   = NLA_POLICY_MIN(NLA_U16, 1),
	[FLOWLANE_A_TAG_OFFLOAD]   = NLA_POLICY_MAX(NLA_U8, 1),
	[FLOWLANE_A_TAG_THRESHOLD] = { .type = NLA_U32 },
	[FLOWLANE_A_TAG_MAX_FLOWS] = { .type = NLA_U32 },
	[FLOWLANE_A_TAG_TIMEOUT]   = NLA_POLICY_FULL_RANGE(NLA_U32, &flowlane_timeout_range),
	[FLOWLANE_A_TAG_MASK]	   = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy flowlane_flush_policy[FLOWLANE_A_FLUSH_MAX + 1] = {
	[FLOWLANE_A_FLUSH_TAG]	= NLA_POLICY_MIN(NLA_U16, 1),
	[FLOWLANE_A_FLUSH_ADDR]	= NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
};

static const struct nla_policy flowlane_flow_get_policy[FLOWLANE_A_FLOW_MAX + 1] = {
	[FLOWLANE_A_FLOW_ID]	 = NLA_POLICY_MIN(NLA_U64, 1),
	[FLOWLANE_A_FLOW_FAMILY] = { .type = NLA_U8 },
	[FLOWLANE_A_FLOW_PROTO]	 = { .type = NLA_U8 },
	[FLOWLANE_A_FLOW_TAG]	 = { .type = NLA_U16 },
	[FLOWLANE_A_FLOW_ADDR]	 = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
};

static int flowlane_put_u64(struct sk_buff *skb, int type, u64 v, int pad)
{
	return nla_put_u64_64bit(skb, type, v, pad);
}

/* ---- status ---------------------------------------------------------- */

static int flowlane_put_status(struct sk_buff *skb,
			       const struct flowlane_counters *t)
{
	if (nla_put_string(skb, FLOWLANE_A_STATUS_VERSION, FLOWLANE_VERSION) ||
	    flowlane_put_u64(skb, FLOWLANE_A_STATUS_FLOWS, t->flows,
			     FLOWLANE_A_STATUS_PAD) ||
	    flowlane_put_u64(skb, FLOWLANE_A_STATUS_OFFLOADS_TOTAL,
			     t->offloads_total, FLOWLANE_A_STATUS_PAD) ||
	    flowlane_put_u64(skb, FLOWLANE_A_STATUS_FASTPATH_PACKETS,
			     t->fastpath_packets, FLOWLANE_A_STATUS_PAD) ||
	    flowlane_put_u64(skb, FLOWLANE_A_STATUS_FASTPATH_BYTES,
			     t->fastpath_bytes, FLOWLANE_A_STATUS_PAD) ||
	    flowlane_put_u64(skb, FLOWLANE_A_STATUS_SWEEP_SLICE_MAX_NS,
			     t->sweep_slice_max_ns, FLOWLANE_A_STATUS_PAD))
		return -EMSGSIZE;
	return 0;
}

/* A reply to a do request, filled by @fill. */
static int flowlane_reply(struct genl_info *info, u8 cmd,
			  int (*fill)(struct sk_buff *, const void *),
			  const void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &flowlane_genl_family, 0, cmd);
	if (!hdr || fill(msg, arg))
		goto err_put;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_put:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int flowlane_fill_status(struct sk_buff *skb, const void *arg)
{
	return flowlane_put_status(skb, arg);
}

static int flowlane_status_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_counters t;

	flowlane_net_read(flowlane_pernet(genl_info_net(info)), &t);
	return flowlane_reply(info, FLOWLANE_CMD_STATUS_GET,
			      flowlane_fill_status, &t);
}

/* ---- devices --------------------------------------------------------- */

/* "prefix*" or the name, as the operator wrote it. */
static int flowlane_put_pattern_name(struct sk_buff *skb,
				     const struct flowlane_pattern *p)
{
	char name[IFNAMSIZ];

	snprintf(name, sizeof(name), "%.*s%s", p->len, p->prefix,
		 p->wildcard ? "*" : "");
	return nla_put_string(skb, FLOWLANE_A_DEV_PATTERN, name);
}

/* RTNL held. */
static struct net_device *flowlane_genl_dev(struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct nlattr **a = info->attrs;
	struct net_device *dev = NULL;

	if (a[FLOWLANE_A_DEV_IFINDEX]) {
		dev = __dev_get_by_index(net, nla_get_u32(a[FLOWLANE_A_DEV_IFINDEX]));
		if (!dev)
			NL_SET_ERR_MSG_ATTR(info->extack, a[FLOWLANE_A_DEV_IFINDEX],
					    "no device with this ifindex");
	} else if (a[FLOWLANE_A_DEV_NAME]) {
		dev = __dev_get_by_name(net, nla_data(a[FLOWLANE_A_DEV_NAME]));
		if (!dev)
			NL_SET_ERR_MSG_ATTR(info->extack, a[FLOWLANE_A_DEV_NAME],
					    "no device with this name");
	} else {
		NL_SET_ERR_MSG(info->extack, "device ifindex or name required");
	}
	return dev;
}

/* RTNL held: add or delete the pattern of the request. */
static int flowlane_dev_pattern(struct flowlane_net *fn, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	const char *pattern = nla_data(a[FLOWLANE_A_DEV_PATTERN]);

	if (a[FLOWLANE_A_DEV_IFINDEX] || a[FLOWLANE_A_DEV_NAME]) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[FLOWLANE_A_DEV_PATTERN],
				    "a device or a pattern, not both");
		return -EINVAL;
	}
	if (info->genlhdr->cmd == FLOWLANE_CMD_DEV_ADD)
		return flowlane_pat_add(fn, pattern, info->extack);
	return flowlane_pat_del(fn, pattern, info->extack);
}

static int flowlane_dev_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	struct net_device *dev;
	int err = -ENODEV;

	rtnl_lock();
	if (info->attrs[FLOWLANE_A_DEV_PATTERN]) {
		err = flowlane_dev_pattern(fn, info);
		goto out;
	}
	dev = flowlane_genl_dev(info);
	if (!dev)
		goto out;
	if (info->genlhdr->cmd == FLOWLANE_CMD_DEV_ADD)
		err = flowlane_ft_dev_add(fn, dev, info->extack);
	else
		err = flowlane_ft_dev_del(fn, dev, info->extack);
out:
	rtnl_unlock();
	return err;
}

/* RTNL held. */
static int flowlane_put_dev(struct sk_buff *skb, struct flowlane_net *fn,
			    const struct flowlane_dev *d)
{
	const struct flowlane_pattern *p;

	if (nla_put_u32(skb, FLOWLANE_A_DEV_IFINDEX, d->dev->ifindex) ||
	    nla_put_string(skb, FLOWLANE_A_DEV_NAME, d->dev->name) ||
	    nla_put_u8(skb, FLOWLANE_A_DEV_EXPLICIT, d->explicit))
		return -EMSGSIZE;
	p = d->by_pattern ? flowlane_pat_match(fn, d->dev->name) : NULL;
	return p ? flowlane_put_pattern_name(skb, p) : 0;
}

/* RTNL held. */
static int flowlane_put_pattern(struct sk_buff *skb,
				const struct flowlane_pattern *p)
{
	if (flowlane_put_pattern_name(skb, p) ||
	    flowlane_put_u64(skb, FLOWLANE_A_DEV_HOOK_FAILURES,
			     p->hook_failures, FLOWLANE_A_DEV_PAD))
		return -EMSGSIZE;
	return 0;
}

/* One message of the dump: device @d, or else pattern @p. */
static int flowlane_dev_dump_one(struct sk_buff *skb, struct netlink_callback *cb,
				 struct flowlane_net *fn,
				 const struct flowlane_dev *d,
				 const struct flowlane_pattern *p)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &flowlane_genl_family, NLM_F_MULTI, FLOWLANE_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (d ? flowlane_put_dev(skb, fn, d) : flowlane_put_pattern(skb, p)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The devices, then the patterns; cb->args[0] counts messages sent. */
static int flowlane_dev_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct flowlane_net *fn = flowlane_pernet(sock_net(skb->sk));
	struct flowlane_pattern *p;
	struct flowlane_dev *d;
	long i = 0;

	rtnl_lock();
	list_for_each_entry(d, &fn->devs, list) {
		if (i++ < cb->args[0])
			continue;
		if (flowlane_dev_dump_one(skb, cb, fn, d, NULL))
			goto out;
		cb->args[0] = i;
	}
	list_for_each_entry(p, &fn->patterns, list) {
		if (i++ < cb->args[0])
			continue;
		if (flowlane_dev_dump_one(skb, cb, fn, NULL, p))
			goto out;
		cb->args[0] = i;
	}
out:
	rtnl_unlock();
	return skb->len;
}

/* ---- tags and policies ----------------------------------------------- */

static int flowlane_put_policy(struct sk_buff *skb,
			       const struct flowlane_policy *p)
{
	if (nla_put_u8(skb, FLOWLANE_A_TAG_OFFLOAD, p->offload) ||
	    nla_put_u32(skb, FLOWLANE_A_TAG_THRESHOLD, p->threshold) ||
	    nla_put_u32(skb, FLOWLANE_A_TAG_MAX_FLOWS, p->max_flows) ||
	    nla_put_u32(skb, FLOWLANE_A_TAG_TIMEOUT, p->timeout))
		return -EMSGSIZE;
	return 0;
}

static int flowlane_put_counters(struct sk_buff *skb,
				 const struct flowlane_counters *c)
{
	static const u8 td_attr[FLOWLANE_TEARDOWN_MAX + 1] = {
		[FLOWLANE_TEARDOWN_FINRST]    = FLOWLANE_A_TAG_TEARDOWN_FINRST,
		[FLOWLANE_TEARDOWN_IDLE]      = FLOWLANE_A_TAG_TEARDOWN_IDLE,
		[FLOWLANE_TEARDOWN_FLUSH]     = FLOWLANE_A_TAG_TEARDOWN_FLUSH,
		[FLOWLANE_TEARDOWN_POLICY]    = FLOWLANE_A_TAG_TEARDOWN_POLICY,
		[FLOWLANE_TEARDOWN_DEVICE]    = FLOWLANE_A_TAG_TEARDOWN_DEVICE,
		[FLOWLANE_TEARDOWN_CONNTRACK] = FLOWLANE_A_TAG_TEARDOWN_CONNTRACK,
		[FLOWLANE_TEARDOWN_ROUTE]     = FLOWLANE_A_TAG_TEARDOWN_ROUTE,
	};
	const int pad = FLOWLANE_A_TAG_PAD;
	int i;

	if (flowlane_put_u64(skb, FLOWLANE_A_TAG_FLOWS, c->flows, pad) ||
	    flowlane_put_u64(skb, FLOWLANE_A_TAG_OFFLOADS_TOTAL,
			     c->offloads_total, pad) ||
	    flowlane_put_u64(skb, FLOWLANE_A_TAG_REFUSED_CAP, c->refused_cap, pad) ||
	    flowlane_put_u64(skb, FLOWLANE_A_TAG_FASTPATH_PACKETS,
			     c->fastpath_packets, pad) ||
	    flowlane_put_u64(skb, FLOWLANE_A_TAG_FASTPATH_BYTES,
			     c->fastpath_bytes, pad))
		return -EMSGSIZE;
	for (i = FLOWLANE_TEARDOWN_FINRST; i <= FLOWLANE_TEARDOWN_MAX; i++)
		if (flowlane_put_u64(skb, td_attr[i], c->teardowns[i], pad))
			return -EMSGSIZE;
	return 0;
}

/* cfg_mutex held (policy stable). */
static int flowlane_put_tag(struct sk_buff *skb, const void *arg)
{
	const struct flowlane_tag *tag = arg;
	struct flowlane_counters c;

	spin_lock_bh(&tag->fn->lock);
	c = tag->cnt;
	spin_unlock_bh(&tag->fn->lock);
	c.refused_cap = flowlane_sum_percpu(tag->refused);
	if (nla_put_string(skb, FLOWLANE_A_TAG_NAME, tag->name) ||
	    nla_put_u16(skb, FLOWLANE_A_TAG_ID, tag->id) ||
	    flowlane_put_policy(skb, &tag->policy))
		return -EMSGSIZE;
	return flowlane_put_counters(skb, &c);
}

/* Applies the policy attributes present in @a onto @p. */
static void flowlane_parse_policy(struct nlattr **a, struct flowlane_policy *p)
{
	if (a[FLOWLANE_A_TAG_OFFLOAD])
		WRITE_ONCE(p->offload, nla_get_u8(a[FLOWLANE_A_TAG_OFFLOAD]));
	if (a[FLOWLANE_A_TAG_THRESHOLD])
		WRITE_ONCE(p->threshold, nla_get_u32(a[FLOWLANE_A_TAG_THRESHOLD]));
	if (a[FLOWLANE_A_TAG_MAX_FLOWS])
		WRITE_ONCE(p->max_flows, nla_get_u32(a[FLOWLANE_A_TAG_MAX_FLOWS]));
	if (a[FLOWLANE_A_TAG_TIMEOUT])
		WRITE_ONCE(p->timeout, nla_get_u32(a[FLOWLANE_A_TAG_TIMEOUT]));
}

/* Tag names become sysfs directory names: [A-Za-z0-9_.-], not "." or "..". */
static bool flowlane_tag_name_ok(const char *name)
{
	const char *c;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (c = name; *c; c++)
		if (!isalnum(*c) && *c != '_' && *c != '-' && *c != '.')
			return false;
	return true;
}

static int flowlane_refuse_mask(struct genl_info *info)
{
	if (!info->attrs[FLOWLANE_A_TAG_MASK])
		return 0;
	NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[FLOWLANE_A_TAG_MASK],
			    "the tag mask is a namespace setting (POLICY_SET)");
	return -EINVAL;
}

/* cfg_mutex held: the tag named in the request, or NULL with extack set. */
static struct flowlane_tag *flowlane_genl_tag(struct flowlane_net *fn,
					      struct genl_info *info)
{
	struct nlattr *na = info->attrs[FLOWLANE_A_TAG_NAME];
	struct flowlane_tag *tag;

	if (!na) {
		NL_SET_ERR_MSG(info->extack, "tag name required");
		return NULL;
	}
	tag = flowlane_tag_by_name(fn, nla_data(na));
	if (!tag)
		NL_SET_ERR_MSG_ATTR(info->extack, na, "no tag with this name");
	return tag;
}

static int flowlane_tag_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	struct flowlane_policy p = { .offload = true };
	struct nlattr **a = info->attrs;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, FLOWLANE_A_TAG_NAME) ||
	    GENL_REQ_ATTR_CHECK(info, FLOWLANE_A_TAG_ID))
		return -EINVAL;
	if (!flowlane_tag_name_ok(nla_data(a[FLOWLANE_A_TAG_NAME]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[FLOWLANE_A_TAG_NAME],
				    "tag name: letters, digits, '_', '-', '.'");
		return -EINVAL;
	}
	err = flowlane_refuse_mask(info);
	if (err)
		return err;
	flowlane_parse_policy(a, &p);
	mutex_lock(&fn->cfg_mutex);
	err = flowlane_tag_new(fn, nla_data(a[FLOWLANE_A_TAG_NAME]),
			       nla_get_u16(a[FLOWLANE_A_TAG_ID]), &p, info->extack);
	mutex_unlock(&fn->cfg_mutex);
	return err;
}

static int flowlane_tag_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	struct flowlane_tag *tag;
	int err;

	err = flowlane_refuse_mask(info);
	if (err)
		return err;
	if (info->attrs[FLOWLANE_A_TAG_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[FLOWLANE_A_TAG_ID],
				    "a tag's id cannot change; delete and add it");
		return -EINVAL;
	}
	mutex_lock(&fn->cfg_mutex);
	tag = flowlane_genl_tag(fn, info);
	if (tag) {
		flowlane_parse_policy(info->attrs, &tag->policy);
		flowlane_policy_changed(fn);
	}
	mutex_unlock(&fn->cfg_mutex);
	return tag ? 0 : -ENOENT;
}

static int flowlane_tag_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	struct flowlane_tag *tag;

	mutex_lock(&fn->cfg_mutex);
	tag = flowlane_genl_tag(fn, info);
	if (tag)
		flowlane_tag_del(fn, tag);
	mutex_unlock(&fn->cfg_mutex);
	return tag ? 0 : -ENOENT;
}

static int flowlane_tag_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	struct flowlane_tag *tag;
	int err = -ENOENT;

	mutex_lock(&fn->cfg_mutex);
	tag = flowlane_genl_tag(fn, info);
	if (tag)
		err = flowlane_reply(info, FLOWLANE_CMD_TAG_GET,
				     flowlane_put_tag, tag);
	mutex_unlock(&fn->cfg_mutex);
	return err;
}

static int flowlane_tag_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct flowlane_net *fn = flowlane_pernet(sock_net(skb->sk));
	struct flowlane_tag *tag;
	long i = 0;
	void *hdr;

	mutex_lock(&fn->cfg_mutex);
	list_for_each_entry(tag, &fn->tags, list) {
		if (i++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &flowlane_genl_family,
				  NLM_F_MULTI, FLOWLANE_CMD_TAG_GET);
		if (!hdr)
			break;
		if (flowlane_put_tag(skb, tag)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = i;
	}
	mutex_unlock(&fn->cfg_mutex);
	return skb->len;
}

static int flowlane_fill_policy(struct sk_buff *skb, const void *arg)
{
	const struct flowlane_net *fn = arg;

	if (nla_put_u32(skb, FLOWLANE_A_TAG_MASK, fn->tag_mask))
		return -EMSGSIZE;
	return flowlane_put_policy(skb, &fn->def);
}

static int flowlane_policy_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	int err;

	mutex_lock(&fn->cfg_mutex);
	err = flowlane_reply(info, FLOWLANE_CMD_POLICY_GET,
			     flowlane_fill_policy, fn);
	mutex_unlock(&fn->cfg_mutex);
	return err;
}

static int flowlane_policy_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	struct nlattr **a = info->attrs;

	if (a[FLOWLANE_A_TAG_NAME]) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[FLOWLANE_A_TAG_NAME],
				    "the default policy has no name");
		return -EINVAL;
	}
	if (a[FLOWLANE_A_TAG_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[FLOWLANE_A_TAG_ID],
				    "the default policy has no id");
		return -EINVAL;
	}
	mutex_lock(&fn->cfg_mutex);
	flowlane_parse_policy(a, &fn->def);
	if (a[FLOWLANE_A_TAG_MASK])
		WRITE_ONCE(fn->tag_mask, nla_get_u32(a[FLOWLANE_A_TAG_MASK]));
	flowlane_policy_changed(fn);
	mutex_unlock(&fn->cfg_mutex);
	return 0;
}

static int flowlane_fill_stats(struct sk_buff *skb, const void *arg)
{
	return flowlane_put_counters(skb, arg);
}

static int flowlane_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_counters c;

	flowlane_net_read(flowlane_pernet(genl_info_net(info)), &c);
	return flowlane_reply(info, FLOWLANE_CMD_STATS_GET,
			      flowlane_fill_stats, &c);
}

/* ---- flows ----------------------------------------------------------- */

static int flowlane_put_addr(struct sk_buff *skb, int type,
			     const union nf_inet_addr *a, u8 family)
{
	if (family == NFPROTO_IPV4)
		return nla_put_in_addr(skb, type, a->ip);
	return nla_put_in6_addr(skb, type, &a->in6);
}

static int flowlane_put_tuple(struct sk_buff *skb,
			      const struct nf_conntrack_tuple *t, int base)
{
	/* base: FLOWLANE_A_FLOW_ORIG_SRC or _REPLY_SRC; DST, SPORT, DPORT follow */
	u8 family = t->src.l3num;

	if (flowlane_put_addr(skb, base, &t->src.u3, family) ||
	    flowlane_put_addr(skb, base + 1, &t->dst.u3, family) ||
	    nla_put_u16(skb, base + 2, ntohs(t->src.u.all)) ||
	    nla_put_u16(skb, base + 3, ntohs(t->dst.u.all)))
		return -EMSGSIZE;
	return 0;
}

/* fn->lock held. */
static int flowlane_put_flow(struct sk_buff *skb, struct flowlane_net *fn,
			     const struct flowlane_flow *e)
{
	const struct nf_conn_acct *acct = nf_conn_acct_find(e->ct);
	const struct nf_conn *ct = e->ct;
	const int pad = FLOWLANE_A_FLOW_PAD;
	u32 now = flowlane_now();
	u8 state;
	int dir;

	state = test_bit(IPS_OFFLOAD_BIT, &ct->status) && !e->reason ?
		FLOWLANE_FLOW_STATE_OFFLOADED : FLOWLANE_FLOW_STATE_TEARDOWN;
	if (flowlane_put_u64(skb, FLOWLANE_A_FLOW_ID, e->id, pad) ||
	    nla_put_u8(skb, FLOWLANE_A_FLOW_FAMILY, nf_ct_l3num(ct) == NFPROTO_IPV4 ?
		       AF_INET : AF_INET6) ||
	    nla_put_u8(skb, FLOWLANE_A_FLOW_PROTO, nf_ct_protonum(ct)) ||
	    flowlane_put_tuple(skb, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple,
			       FLOWLANE_A_FLOW_ORIG_SRC) ||
	    flowlane_put_tuple(skb, &ct->tuplehash[IP_CT_DIR_REPLY].tuple,
			       FLOWLANE_A_FLOW_REPLY_SRC) ||
	    nla_put_u16(skb, FLOWLANE_A_FLOW_TAG, e->tag_id) ||
	    nla_put_u32(skb, FLOWLANE_A_FLOW_IIF, e->iif) ||
	    nla_put_u32(skb, FLOWLANE_A_FLOW_OIF, e->oif) ||
	    nla_put_u8(skb, FLOWLANE_A_FLOW_STATE, state) ||
	    nla_put_u32(skb, FLOWLANE_A_FLOW_AGE, now - e->offload_time) ||
	    nla_put_u32(skb, FLOWLANE_A_FLOW_IDLE, now - e->last_seen))
		return -EMSGSIZE;
	for (dir = 0; dir < 2; dir++) {
		/* ORIG_SLOW_PACKETS, _SLOW_BYTES, _FAST_PACKETS, _FAST_BYTES,
		 * then the same four for REPLY.
		 */
		int base = FLOWLANE_A_FLOW_ORIG_SLOW_PACKETS + 4 * dir;
		u64 p = atomic64_read(&acct->counter[dir].packets);
		u64 b = atomic64_read(&acct->counter[dir].bytes);

		/* Conntrack may have counted a packet that the forward hook
		 * has not yet credited to the slow path: fast is then
		 * negative for a moment, and reads 0 rather than 2^64 - 1.
		 */
		p = p > e->slow_packets[dir] ? p - e->slow_packets[dir] : 0;
		b = b > e->slow_bytes[dir] ? b - e->slow_bytes[dir] : 0;
		if (flowlane_put_u64(skb, base, e->slow_packets[dir], pad) ||
		    flowlane_put_u64(skb, base + 1, e->slow_bytes[dir], pad) ||
		    flowlane_put_u64(skb, base + 2, p, pad) ||
		    flowlane_put_u64(skb, base + 3, b, pad))
			return -EMSGSIZE;
	}
	return 0;
}

/* Events (FLOWLANE_CMD_FLOW_*_NTF) go only where someone listens: the
 * check is a bit test, so an offload without a listener costs nothing.
 */
enum flowlane_mcgrp_ids { FLOWLANE_MCGRP_ID_FLOWS };

/* False before the family is registered and once it is going away (module
 * exit retires flows after that): no event is sent for a family that is
 * not there. Notifiers run with BHs off, so a grace period after clearing
 * it waits for every one that saw it set.
 */
static bool flowlane_genl_live;

#ifdef FLOWLANE_HAVE_MCAST_CAP_NET_ADMIN
static const struct genl_multicast_group flowlane_mcgrps[] = {
	[FLOWLANE_MCGRP_ID_FLOWS] = { .name = FLOWLANE_MCGRP_FLOWS,
				      .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/* Whether anyone in @net listens to flow events (a bit test). */
bool flowlane_genl_listening(struct net *net)
{
	return READ_ONCE(flowlane_genl_live) &&
	       genl_has_listeners(&flowlane_genl_family, net,
				  FLOWLANE_MCGRP_ID_FLOWS);
}

/* fn->lock held, or @e out of every list and table (its teardown: the
 * caller owns it); any context. @reason 0 for an offload, else the
 * teardown reason. A failed allocation loses the event, never the flow.
 */
void flowlane_genl_notify_flow(struct flowlane_net *fn,
			       const struct flowlane_flow *e, u8 reason)
{
	u8 cmd = reason ? FLOWLANE_CMD_FLOW_TEARDOWN_NTF :
			  FLOWLANE_CMD_FLOW_OFFLOAD_NTF;
	struct sk_buff *skb;
	void *hdr;

	if (!flowlane_genl_listening(fn->net))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &flowlane_genl_family, 0, cmd);
	if (!hdr || flowlane_put_flow(skb, fn, e) ||
	    (reason && nla_put_u8(skb, FLOWLANE_A_FLOW_REASON, reason))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&flowlane_genl_family, fn->net, skb, 0,
				FLOWLANE_MCGRP_ID_FLOWS, GFP_ATOMIC);
}
#else
bool flowlane_genl_listening(struct net *net)
{
	return false;
}

void flowlane_genl_notify_flow(struct flowlane_net *fn,
			       const struct flowlane_flow *e, u8 reason)
{
}
#endif

/* What FLOW_GET dumps and FLUSH select; a field left 0 matches all. */
struct flowlane_filter {
	u8 family;			/* NFPROTO_IPV4 or _IPV6 */
	u8 proto;			/* IPPROTO_* */
	bool by_tag;
	u16 tag;
	u8 addr_family;			/* 0: no address filter */
	union nf_inet_addr addr;	/* in either tuple */
};

static bool flowlane_ct_has_addr(const struct nf_conn *ct,
				 const struct flowlane_filter *f)
{
	size_t len = f->addr_family == NFPROTO_IPV4 ? 4 : 16;
	int dir;

	if (nf_ct_l3num(ct) != f->addr_family)
		return false;
	for (dir = 0; dir < IP_CT_DIR_MAX; dir++) {
		const struct nf_conntrack_tuple *t = &ct->tuplehash[dir].tuple;

		if (!memcmp(&t->src.u3, &f->addr, len) ||
		    !memcmp(&t->dst.u3, &f->addr, len))
			return true;
	}
	return false;
}

/* The tag is the one the flow was offloaded with (its mark may have been
 * rewritten, or the mask changed, since): a flow has one tag for its life.
 */
static bool flowlane_flow_matches(const struct flowlane_flow *e,
				  const struct flowlane_filter *f)
{
	const struct nf_conn *ct = e->ct;

	if (f->family && nf_ct_l3num(ct) != f->family)
		return false;
	if (f->proto && nf_ct_protonum(ct) != f->proto)
		return false;
	if (f->by_tag && e->tag_id != f->tag)
		return false;
	return !f->addr_family || flowlane_ct_has_addr(ct, f);
}

/* A flow of the core's table without a record (a race with the sweep that
 * retires it) matches nothing: it is being torn down already.
 */
static bool flowlane_match_filter(struct flowlane_net *fn,
				  const struct flow_offload *flow, const void *arg)
{
	const struct flowlane_flow *e = flowlane_flow_lookup(fn, flow->ct);

	return e && flowlane_flow_matches(e, arg);
}

/* An address attribute (FLUSH_ADDR, FLOW_ADDR) into @f. */
static int flowlane_filter_addr(struct flowlane_filter *f, const struct nlattr *a,
				struct netlink_ext_ack *extack)
{
	if (nla_len(a) != 4 && nla_len(a) != 16) {
		NL_SET_ERR_MSG_ATTR(extack, a, "address must be 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	f->addr_family = nla_len(a) == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
	nla_memcpy(&f->addr, a, sizeof(f->addr));
	return 0;
}

/* The FLOW_GET dump's filters. */
static int flowlane_filter_parse(struct flowlane_filter *f, struct nlattr **a,
				 struct netlink_ext_ack *extack)
{
	memset(f, 0, sizeof(*f));
	if (a[FLOWLANE_A_FLOW_FAMILY]) {
		f->family = nla_get_u8(a[FLOWLANE_A_FLOW_FAMILY]);
		if (f->family != AF_INET && f->family != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(extack, a[FLOWLANE_A_FLOW_FAMILY],
					    "family must be AF_INET (2) or AF_INET6 (10)");
			return -EINVAL;
		}
	}
	if (a[FLOWLANE_A_FLOW_PROTO])
		f->proto = nla_get_u8(a[FLOWLANE_A_FLOW_PROTO]);
	if (a[FLOWLANE_A_FLOW_TAG]) {
		f->by_tag = true;
		f->tag = nla_get_u16(a[FLOWLANE_A_FLOW_TAG]);
	}
	return a[FLOWLANE_A_FLOW_ADDR] ?
	       flowlane_filter_addr(f, a[FLOWLANE_A_FLOW_ADDR], extack) : 0;
}

/* A flow dump keeps its place in fn->flow_list with a cursor (flows.c): it
 * resumes right after the last record it examined whatever came and went
 * meanwhile, so each part costs what it sends, and a flow that lives
 * through the dump is sent exactly once. It ends at the newest flow of its
 * start: flows offloaded meanwhile are not in it, or churn would keep it
 * going.
 */
static int flowlane_flow_dump_start(struct netlink_callback *cb)
{
	struct flowlane_flow *cursor = flowlane_cursor_new();

	if (!cursor)
		return -ENOMEM;
	cb->args[0] = (long)cursor;
	return 0;
}

static int flowlane_flow_dump_done(struct netlink_callback *cb)
{
	struct flowlane_net *fn = flowlane_pernet(sock_net(cb->skb->sk));
	struct flowlane_flow *cursor = (struct flowlane_flow *)cb->args[0];

	spin_lock_bh(&fn->lock);
	flowlane_cursor_free(cursor);
	spin_unlock_bh(&fn->lock);
	return 0;
}

/* Records examined under the lock at a time: a filter that matches little
 * must not hold it (bottom halves off) across the whole table.
 */
#define FLOWLANE_DUMP_SLICE	256

/* One slice of a dump part: false when the message is full or no record
 * is left, the cursor then right after the last record put.
 */
static bool flowlane_flow_dump_slice(struct sk_buff *skb,
				     struct netlink_callback *cb,
				     struct flowlane_net *fn,
				     const struct flowlane_filter *f)
{
	struct flowlane_flow *cursor = (struct flowlane_flow *)cb->args[0];
	struct flowlane_flow *e;
	unsigned int n;
	void *hdr;

	spin_lock_bh(&fn->lock);
	for (n = 0; n < FLOWLANE_DUMP_SLICE; n++) {
		e = flowlane_cursor_next(fn, cursor);
		if (!e)
			break;
		if (!flowlane_flow_matches(e, f))
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &flowlane_genl_family,
				  NLM_F_MULTI, FLOWLANE_CMD_FLOW_GET);
		if (hdr && !flowlane_put_flow(skb, fn, e)) {
			genlmsg_end(skb, hdr);
			continue;
		}
		if (hdr)
			genlmsg_cancel(skb, hdr);
		/* Full: this record opens the next part. */
		list_move_tail(&cursor->list, &e->list);
		break;
	}
	spin_unlock_bh(&fn->lock);
	return n == FLOWLANE_DUMP_SLICE;
}

/* Flows in offload order. The filters are read again at each part (they
 * are the request's, unchanged).
 */
static int flowlane_flow_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct flowlane_net *fn = flowlane_pernet(sock_net(skb->sk));
	struct flowlane_filter f;
	int err;

	err = flowlane_filter_parse(&f, flowlane_dump_attrs(cb), cb->extack);
	if (err)
		return err;
	while (flowlane_flow_dump_slice(skb, cb, fn, &f))
		cond_resched();
	return skb->len;
}

/* One flow by id. The message is allocated first: the lookup and the
 * copy happen under fn->lock, with BHs off.
 */
static int flowlane_flow_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	struct flowlane_flow *e;
	struct sk_buff *msg;
	void *hdr;
	u64 id;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, FLOWLANE_A_FLOW_ID))
		return -EINVAL;
	id = nla_get_u64(info->attrs[FLOWLANE_A_FLOW_ID]);
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &flowlane_genl_family, 0,
				FLOWLANE_CMD_FLOW_GET);
	err = -EMSGSIZE;
	if (!hdr)
		goto err_free;
	spin_lock_bh(&fn->lock);
	e = flowlane_flow_by_id(fn, id);
	err = e ? flowlane_put_flow(msg, fn, e) : -ENOENT;
	spin_unlock_bh(&fn->lock);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[FLOWLANE_A_FLOW_ID],
				    "no offloaded flow with this id");
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

static int flowlane_fill_flush(struct sk_buff *skb, const void *arg)
{
	return nla_put_u32(skb, FLOWLANE_A_FLUSH_COUNT, *(const u32 *)arg);
}

static int flowlane_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_net *fn = flowlane_pernet(genl_info_net(info));
	struct nlattr *ta = info->attrs[FLOWLANE_A_FLUSH_TAG];
	struct nlattr *aa = info->attrs[FLOWLANE_A_FLUSH_ADDR];
	struct flowlane_filter f = {};
	flowlane_match_t m = NULL;
	int err;
	u32 n;

	if (ta && aa) {
		NL_SET_ERR_MSG_ATTR(info->extack, aa, "flush by tag or by address, not both");
		return -EINVAL;
	}
	if (ta) {
		f.by_tag = true;
		f.tag = nla_get_u16(ta);
		m = flowlane_match_filter;
	} else if (aa) {
		err = flowlane_filter_addr(&f, aa, info->extack);
		if (err)
			return err;
		m = flowlane_match_filter;
	}
	mutex_lock(&fn->cfg_mutex);
	n = fn->ft_ready ? flowlane_ft_retire(fn, m, &f, FLOWLANE_TEARDOWN_FLUSH) : 0;
	mutex_unlock(&fn->cfg_mutex);
	return flowlane_reply(info, FLOWLANE_CMD_FLUSH, flowlane_fill_flush, &n);
}

#define FLOWLANE_OP(c, fn_doit, pol, flg)				\
	{ .cmd = (c), .doit = (fn_doit), .policy = (pol),		\
	  .maxattr = ARRAY_SIZE(pol) - 1, .flags = (flg) }
#define FLOWLANE_DUMP(c, fn_dump, pol, flg)				\
	{ .cmd = (c), .dumpit = (fn_dump), .policy = (pol),		\
	  .maxattr = ARRAY_SIZE(pol) - 1, .flags = (flg) }
#define ADMIN GENL_UNS_ADMIN_PERM

static const struct genl_ops flowlane_genl_ops[] = {
	FLOWLANE_OP(FLOWLANE_CMD_STATUS_GET, flowlane_status_get_doit,
		    flowlane_no_attrs_policy, 0),
	FLOWLANE_OP(FLOWLANE_CMD_DEV_ADD, flowlane_dev_doit, flowlane_dev_policy, ADMIN),
	FLOWLANE_OP(FLOWLANE_CMD_DEV_DEL, flowlane_dev_doit, flowlane_dev_policy, ADMIN),
	FLOWLANE_DUMP(FLOWLANE_CMD_DEV_GET, flowlane_dev_dumpit,
		      flowlane_no_attrs_policy, 0),
	FLOWLANE_OP(FLOWLANE_CMD_TAG_NEW, flowlane_tag_new_doit, flowlane_tag_policy, ADMIN),
	FLOWLANE_OP(FLOWLANE_CMD_TAG_SET, flowlane_tag_set_doit, flowlane_tag_policy, ADMIN),
	FLOWLANE_OP(FLOWLANE_CMD_TAG_DEL, flowlane_tag_del_doit, flowlane_tag_policy, ADMIN),
	{
		.cmd	 = FLOWLANE_CMD_TAG_GET,
		.doit	 = flowlane_tag_get_doit,
		.dumpit	 = flowlane_tag_dumpit,
		.policy	 = flowlane_tag_policy,
		.maxattr = FLOWLANE_A_TAG_MAX,
	},
	FLOWLANE_OP(FLOWLANE_CMD_POLICY_GET, flowlane_policy_get_doit,
		    flowlane_no_attrs_policy, 0),
	FLOWLANE_OP(FLOWLANE_CMD_POLICY_SET, flowlane_policy_set_doit,
		    flowlane_tag_policy, ADMIN),
	FLOWLANE_OP(FLOWLANE_CMD_STATS_GET, flowlane_stats_get_doit,
		    flowlane_no_attrs_policy, 0),
	{
		.cmd	 = FLOWLANE_CMD_FLOW_GET,
		.doit	 = flowlane_flow_get_doit,
		.start	 = flowlane_flow_dump_start,
		.dumpit	 = flowlane_flow_dumpit,
		.done	 = flowlane_flow_dump_done,
		.policy	 = flowlane_flow_get_policy,
		.maxattr = FLOWLANE_A_FLOW_MAX,
		.flags	 = ADMIN,
	},
	FLOWLANE_OP(FLOWLANE_CMD_FLUSH, flowlane_flush_doit, flowlane_flush_policy, ADMIN),
};

static struct genl_family flowlane_genl_family __ro_after_init = {
	.name		= FLOWLANE_GENL_NAME,
	.version	= FLOWLANE_GENL_VERSION,
	.module		= THIS_MODULE,
	.netnsok	= true,
	.ops		= flowlane_genl_ops,
	.n_ops		= ARRAY_SIZE(flowlane_genl_ops),
	.resv_start_op	= FLOWLANE_CMD_STATUS_GET,
#ifdef FLOWLANE_HAVE_MCAST_CAP_NET_ADMIN
	.mcgrps		= flowlane_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(flowlane_mcgrps),
#endif
};

int __init flowlane_genl_init(void)
{
	int err = genl_register_family(&flowlane_genl_family);

	if (!err)
		WRITE_ONCE(flowlane_genl_live, true);
	return err;
}

void flowlane_genl_exit(void)
{
	WRITE_ONCE(flowlane_genl_live, false);
	synchronize_rcu();
	genl_unregister_family(&flowlane_genl_family);
}
