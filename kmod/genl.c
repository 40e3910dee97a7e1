// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "flowlane" (see include/uapi/linux/flowlane.h
 * and Documentation/netlink/specs/flowlane.yaml).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include <uapi/linux/flowlane.h>

#include "flowlane.h"

static struct genl_family flowlane_genl_family;

/* STATUS_GET takes no attributes: maxattr 0 makes strict validation refuse
 * any attribute with "Unknown attribute type".
 */
static const struct nla_policy flowlane_no_attrs_policy[1] = {};

static int flowlane_put_status(struct sk_buff *skb,
			       const struct flowlane_totals *t)
{
	if (nla_put_string(skb, FLOWLANE_A_STATUS_VERSION, FLOWLANE_VERSION) ||
	    nla_put_u64_64bit(skb, FLOWLANE_A_STATUS_FLOWS, t->flows,
			      FLOWLANE_A_STATUS_PAD) ||
	    nla_put_u64_64bit(skb, FLOWLANE_A_STATUS_OFFLOADS_TOTAL,
			      t->offloads_total, FLOWLANE_A_STATUS_PAD) ||
	    nla_put_u64_64bit(skb, FLOWLANE_A_STATUS_FASTPATH_PACKETS,
			      t->fastpath_packets, FLOWLANE_A_STATUS_PAD) ||
	    nla_put_u64_64bit(skb, FLOWLANE_A_STATUS_FASTPATH_BYTES,
			      t->fastpath_bytes, FLOWLANE_A_STATUS_PAD))
		return -EMSGSIZE;
	return 0;
}

static int flowlane_status_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct flowlane_totals t = {};
	struct sk_buff *msg;
	void *hdr;

	flowlane_net_read_totals(flowlane_pernet(genl_info_net(info)), &t);

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &flowlane_genl_family, 0,
				FLOWLANE_CMD_STATUS_GET);
	if (!hdr)
		goto err_put;
	if (flowlane_put_status(msg, &t))
		goto err_put;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_put:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops flowlane_genl_ops[] = {
	{
		.cmd	= FLOWLANE_CMD_STATUS_GET,
		.doit	= flowlane_status_get_doit,
		.policy	= flowlane_no_attrs_policy,
		.maxattr = 0,
	},
};

static struct genl_family flowlane_genl_family __ro_after_init = {
	.name		= FLOWLANE_GENL_NAME,
	.version	= FLOWLANE_GENL_VERSION,
	.module		= THIS_MODULE,
	.netnsok	= true,
	.ops		= flowlane_genl_ops,
	.n_ops		= ARRAY_SIZE(flowlane_genl_ops),
	.resv_start_op	= FLOWLANE_CMD_STATUS_GET,
};

int __init flowlane_genl_init(void)
{
	return genl_register_family(&flowlane_genl_family);
}

void flowlane_genl_exit(void)
{
	genl_unregister_family(&flowlane_genl_family);
}
