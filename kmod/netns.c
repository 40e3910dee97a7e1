// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace state: counters now, policy and flows later.
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

	fn->net = net;
	fn->stats = netdev_alloc_pcpu_stats(struct flowlane_pcpu_stats);
	if (!fn->stats)
		return -ENOMEM;
	atomic64_set(&fn->flows, 0);
	atomic64_set(&fn->offloads_total, 0);
	return 0;
}

static void __net_exit flowlane_net_teardown(struct net *net)
{
	free_percpu(flowlane_pernet(net)->stats);
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

static void flowlane_sum_pcpu(struct flowlane_net *fn,
			      struct flowlane_totals *t)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct flowlane_pcpu_stats *s = per_cpu_ptr(fn->stats, cpu);
		unsigned int start;
		u64 packets, bytes;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			packets = u64_stats_read(&s->fastpath_packets);
			bytes = u64_stats_read(&s->fastpath_bytes);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		t->fastpath_packets += packets;
		t->fastpath_bytes += bytes;
	}
}

/* Adds the namespace's counters to @t (the caller zeroes it). */
void flowlane_net_read_totals(struct flowlane_net *fn,
			      struct flowlane_totals *t)
{
	t->flows += atomic64_read(&fn->flows);
	t->offloads_total += atomic64_read(&fn->offloads_total);
	flowlane_sum_pcpu(fn, t);
}

/* Sum over every namespace, for sysfs. net_rwsem keeps the list stable and
 * every listed namespace's pernet data alive while we read it.
 */
void flowlane_all_totals(struct flowlane_totals *t)
{
	struct net *net;

	memset(t, 0, sizeof(*t));
	down_read(&net_rwsem);
	for_each_net(net)
		flowlane_net_read_totals(flowlane_pernet(net), t);
	up_read(&net_rwsem);
}
