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

/* The totals over every namespace, for sysfs: each change to a namespace's
 * counters is added to this CPU's slot as it is made, and what a namespace
 * counted is taken back out when it goes. A read sums the slots and takes
 * no namespace's lock, however many namespaces there are.
 */
static struct flowlane_counters __percpu *flowlane_totals;

/* @off: a u64 field of struct flowlane_counters. Any context. */
void flowlane_total_add(size_t off, s64 delta)
{
	u64 __percpu *field = (u64 __percpu *)((char __percpu *)flowlane_totals + off);

	this_cpu_add(*field, delta);
}

/* A namespace going: what it still counts leaves the totals. */
static void flowlane_total_remove(struct flowlane_net *fn)
{
	struct flowlane_counters c;
	int i;

	spin_lock_bh(&fn->lock);
	c = fn->cnt;
	spin_unlock_bh(&fn->lock);
	this_cpu_sub(flowlane_totals->flows, c.flows);
	this_cpu_sub(flowlane_totals->offloads_total, c.offloads_total);
	for (i = 0; i <= FLOWLANE_TEARDOWN_MAX; i++)
		this_cpu_sub(flowlane_totals->teardowns[i], c.teardowns[i]);
	this_cpu_sub(flowlane_totals->fastpath_packets, c.fastpath_packets);
	this_cpu_sub(flowlane_totals->fastpath_bytes, c.fastpath_bytes);
}

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
	/* No flow left to count anything: the last word on the totals. */
	flowlane_total_remove(fn);
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
	int err;

	flowlane_totals = alloc_percpu(struct flowlane_counters);
	if (!flowlane_totals)
		return -ENOMEM;
	err = register_pernet_subsys(&flowlane_net_ops);
	if (err)
		free_percpu(flowlane_totals);
	return err;
}

void flowlane_net_exit(void)
{
	unregister_pernet_subsys(&flowlane_net_ops);
	free_percpu(flowlane_totals);
}

/* A consistent copy of the namespace's counters. */
void flowlane_net_read(struct flowlane_net *fn, struct flowlane_counters *c)
{
	spin_lock_bh(&fn->lock);
	*c = fn->cnt;
	spin_unlock_bh(&fn->lock);
	c->refused_cap = flowlane_sum_percpu(fn->refused);
}

/* One total: the CPUs' slots added up. A slot alone can be anything (a
 * flow counted in on one CPU and out on another), and a sum read while
 * others add can be briefly below zero: shown as 0.
 */
static u64 flowlane_total_of(size_t off)
{
	s64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*(u64 *)((char *)per_cpu_ptr(flowlane_totals, cpu) + off));
	return sum > 0 ? sum : 0;
}

#define FLOWLANE_TOTAL(t, field) \
	((t)->field = flowlane_total_of(offsetof(struct flowlane_counters, field)))

/* The totals over every namespace, for sysfs; no lock taken. */
void flowlane_all_totals(struct flowlane_counters *t)
{
	int i;

	memset(t, 0, sizeof(*t));
	FLOWLANE_TOTAL(t, flows);
	FLOWLANE_TOTAL(t, offloads_total);
	for (i = 0; i <= FLOWLANE_TEARDOWN_MAX; i++)
		FLOWLANE_TOTAL(t, teardowns[i]);
	FLOWLANE_TOTAL(t, fastpath_packets);
	FLOWLANE_TOTAL(t, fastpath_bytes);
}
