// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state: the flowtable, tags, flows and counters of
 * one namespace, set up and torn down with it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/netns/generic.h>

#include "flowlane.h"

unsigned int flowlane_net_id __read_mostly;

static int __net_init flowlane_net_setup(struct net *net)
{
	struct flowlane_net *fn = flowlane_pernet(net);
	int err;

	fn->net = net;
	mutex_init(&fn->cfg_mutex);
	fn->refused = alloc_percpu(u64);
	if (!fn->refused)
		return -ENOMEM;
	err = flowlane_tag_net_init(fn);
	if (err)
		goto err_tags;
	err = flowlane_flow_net_init(fn);
	if (err)
		goto err_flows;
	err = flowlane_ft_net_init(fn);
	if (err)
		goto err_ft;
	return 0;

err_ft:
	flowlane_flow_net_exit(fn);
err_flows:
	flowlane_tag_net_exit(fn);
err_tags:
	free_percpu(fn->refused);
	return err;
}

/* Order: no new flows (dying, hooks off), the core tears down and frees its
 * flows, then our records go, then the tags they referenced.
 */
static void __net_exit flowlane_net_teardown(struct net *net)
{
	struct flowlane_net *fn = flowlane_pernet(net);

	spin_lock_bh(&fn->lock);
	fn->dying = true;
	spin_unlock_bh(&fn->lock);
	flowlane_ft_net_exit(fn);
	flowlane_flow_net_exit(fn);
	flowlane_tag_net_exit(fn);
	free_percpu(fn->refused);
}

static struct pernet_operations flowlane_net_ops = {
	.init = flowlane_net_setup,
	.exit = flowlane_net_teardown,
	.id   = &flowlane_net_id,
	.size = sizeof(struct flowlane_net),
};

int flowlane_net_init(void)
{
	return register_pernet_subsys(&flowlane_net_ops);
}

void flowlane_net_exit(void)
{
	unregister_pernet_subsys(&flowlane_net_ops);
}

/* A consistent copy of the namespace's counters. */
void flowlane_net_read(struct flowlane_net *fn, struct flowlane_counters *c)
{
	spin_lock_bh(&fn->lock);
	*c = fn->cnt;
	spin_unlock_bh(&fn->lock);
	c->refused_cap = flowlane_sum_percpu(fn->refused);
}

/* Sum over every namespace, for sysfs. net_rwsem keeps the list stable and
 * every listed namespace's pernet data alive while we read it.
 */
void flowlane_all_totals(struct flowlane_counters *t)
{
	struct flowlane_counters c;
	struct net *net;
	int i;

	memset(t, 0, sizeof(*t));
	down_read(&net_rwsem);
	for_each_net(net) {
		flowlane_net_read(flowlane_pernet(net), &c);
		t->flows += c.flows;
		t->offloads_total += c.offloads_total;
		t->refused_cap += c.refused_cap;
		for (i = 0; i <= FLOWLANE_TEARDOWN_MAX; i++)
			t->teardowns[i] += c.teardowns[i];
		t->fastpath_packets += c.fastpath_packets;
		t->fastpath_bytes += c.fastpath_bytes;
	}
	up_read(&net_rwsem);
}
