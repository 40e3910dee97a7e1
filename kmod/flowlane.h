/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of the flowlane module.
 * One prefix per layer: flowlane_net_* (per-namespace state),
 * flowlane_genl_* (netlink API), flowlane_sysfs_* (sysfs).
 */
#ifndef _FLOWLANE_H
#define _FLOWLANE_H

#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>
#include <linux/atomic.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "version.h"

/* Per-CPU fast-path counters: written on the packet path without any
 * shared cache line, summed on read.
 */
struct flowlane_pcpu_stats {
	u64_stats_t fastpath_packets;
	u64_stats_t fastpath_bytes;
	struct u64_stats_sync syncp;
};

/* Totals of one namespace, as read by netlink and sysfs. */
struct flowlane_totals {
	u64 flows;
	u64 offloads_total;
	u64 fastpath_packets;
	u64 fastpath_bytes;
};

/* flowlane's state in one network namespace. */
struct flowlane_net {
	struct net *net;
	struct flowlane_pcpu_stats __percpu *stats;
	atomic64_t flows;		/* offloaded now */
	atomic64_t offloads_total;	/* ever offloaded */
};

extern unsigned int flowlane_net_id;

static inline struct flowlane_net *flowlane_pernet(const struct net *net)
{
	return net_generic(net, flowlane_net_id);
}

int flowlane_net_init(void);
void flowlane_net_exit(void);
void flowlane_net_read_totals(struct flowlane_net *fn,
			      struct flowlane_totals *t);
void flowlane_all_totals(struct flowlane_totals *t);

int flowlane_genl_init(void);
void flowlane_genl_exit(void);

int flowlane_sysfs_init(void);
void flowlane_sysfs_exit(void);

#endif /* _FLOWLANE_H */
