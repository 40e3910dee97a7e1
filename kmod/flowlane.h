/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of the flowlane module.
 * One prefix per layer:
 *   flowlane_net_*      per-namespace state (netns.c)
 *   flowlane_ft_*       the nf_flowtable, its ingress hooks, devices (flowtable.c)
 *   flowlane_offload_*  the forward-hook offload decision (offload.c)
 *   flowlane_flow_*     per-flow state and counter folding (flows.c)
 *   flowlane_tag_*      tags and policies (tags.c)
 *   flowlane_genl_*     netlink API (genl.c)
 *   flowlane_sysfs_*    sysfs (sysfs.c)
 */
#ifndef _FLOWLANE_H
#define _FLOWLANE_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_flow_table.h>
#include <uapi/linux/flowlane.h>

#include "version.h"

#define FLOWLANE_DEFAULT_TAG_MASK	0xffffU

/* Counters of one tag or of one namespace. Written only under
 * flowlane_net.lock, never per packet: fast-path numbers are folded in
 * from conntrack accounting by the sweep (once a second) and at teardown.
 * The exception is refused_cap, which a refused flow's every eligible
 * packet bumps: it is counted per CPU (the owner's `refused`) and summed
 * into this copy when it is read.
 */
struct flowlane_counters {
	u64 flows;			/* offloaded now */
	u64 offloads_total;
	u64 refused_cap;		/* read-out only, see above */
	u64 teardowns[FLOWLANE_TEARDOWN_MAX + 1];
	u64 fastpath_packets;
	u64 fastpath_bytes;
	u64 sweep_slice_max_ns;		/* namespace only: see flows.c */
};

/* What decides whether and when a flow is offloaded. */
struct flowlane_policy {
	bool offload;
	u32 threshold;			/* packets the slow path carries first */
	u32 max_flows;			/* 0: no cap */
	u32 timeout;			/* idle seconds, 0: the kernel's default */
};

struct flowlane_tag {
	struct list_head list;		/* flowlane_net.tags, RCU for sysfs */
	struct flowlane_net *fn;
	refcount_t ref;			/* the tag table and each flow */
	/* Deleted: its flows follow the default. Set under flowlane_net.lock. */
	bool dead;
	u16 id;
	char name[FLOWLANE_TAG_NAME_LEN];
	struct flowlane_policy policy;	/* WRITE_ONCE under cfg_mutex */
	struct flowlane_counters cnt;	/* under flowlane_net.lock */
	u64 __percpu *refused;		/* refused_cap, per CPU */
	struct kobject *kobj;		/* init_net only: tags/<name>/ */
	struct rcu_head rcu;
};

struct flowlane_flow;

/* flowlane's state in one network namespace. */
struct flowlane_net {
	struct net *net;

	/* Configuration: devices, tags, policy. Writers hold cfg_mutex
	 * (and RTNL for devices); the packet path reads under RCU.
	 */
	struct mutex cfg_mutex;
	struct list_head devs;		/* struct flowlane_dev, under RTNL */
	unsigned int ndevs;
	struct nf_hook_ops fwd_ops[2];	/* IPv4, IPv6 forward; while ndevs */
	bool acct_forced;		/* we set net.netfilter.nf_conntrack_acct */
	u8 saved_acct;
	struct list_head tags;
	struct xarray tag_ids;		/* id -> struct flowlane_tag */
	struct flowlane_policy def;	/* flows without a known tag */
	u32 tag_mask;

	struct nf_flowtable ft;
	bool ft_ready;

	/* Per-flow state. lock guards the list, the counters and every
	 * field of struct flowlane_flow except the hash linkage.
	 */
	spinlock_t lock;
	struct rhashtable flows;	/* ct -> struct flowlane_flow */
	struct rhashtable flows_by_id;	/* id -> struct flowlane_flow */
	/* In offload order, ids ascending; also holds cursors (ct NULL). */
	struct list_head flow_list;
	u64 next_flow_id;
	struct mutex sweep_mutex;	/* one sweep at a time */
	struct flowlane_flow *sweep_cursor;
	struct flowlane_counters cnt;
	u64 __percpu *refused;		/* refused_cap, per CPU */
	u64 default_flows;		/* offloaded without a live tag: def's cap */
	struct delayed_work sweep;
	bool dying;

	/* Device name patterns (devpattern.c), under RTNL. */
	struct list_head patterns;	/* struct flowlane_pattern */
	unsigned int npatterns;
};

/* What a policy's cap counts: a tag's flows, or the default policy's
 * (those without a tag, or whose tag was deleted: they follow the default
 * policy, so they count against its cap; tagged flows answer to their own
 * tag's cap only).
 */
static inline u64 *flowlane_cap_flows(struct flowlane_net *fn,
				      struct flowlane_tag *tag)
{
	return tag && !READ_ONCE(tag->dead) ? &tag->cnt.flows : &fn->default_flows;
}

/* A flow refused by @tag's cap (or the default's): per CPU, no lock. */
static inline void flowlane_count_refused(struct flowlane_net *fn,
					  struct flowlane_tag *tag)
{
	this_cpu_inc(*fn->refused);
	if (tag)
		this_cpu_inc(*tag->refused);
}

static inline u64 flowlane_sum_percpu(u64 __percpu *counter)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(counter, cpu);
	return sum;
}

/* flowlane's own memory per offloaded flow, on top of the kernel's
 * struct flow_offload (BUILD_BUG_ON keeps it within 128 bytes).
 */
struct flowlane_flow {
	struct rhash_head node;
	struct rhash_head id_node;
	struct nf_conn *ct;		/* holds a reference; NULL: a cursor */
	struct flowlane_tag *tag;	/* holds a reference, NULL: default */
	union {
		struct list_head list;	/* flowlane_net.flow_list */
		struct rcu_head rcu;	/* reused once off the list */
	};
	u64 id;				/* offload order; a cursor: its bound */
	u64 slow_packets[2];		/* per direction, the slow path's share */
	u64 slow_bytes[2];
	u64 folded_packets;		/* fast-path share already in counters */
	u64 folded_bytes;
	u32 offload_time;		/* boot-time seconds */
	u32 last_seen;			/* boot-time seconds of the last packet */
	u32 iif;			/* original direction in and out */
	u32 oif;
	u16 tag_id;			/* the flow's tag, fixed at offload */
	u8 reason;			/* FLOWLANE_TEARDOWN_*, 0: none yet */
};

struct flowlane_dev {
	struct list_head list;		/* flowlane_net.devs, RCU */
	struct list_head glist;		/* every namespace's, RTNL */
	struct flowlane_net *fn;
	struct net_device *dev;
	struct nf_hook_ops ops[2];	/* IPv4 and IPv6 ingress */
	/* Why it is hooked (RTNL): unhooked when neither holds. */
	bool explicit;			/* added by name or ifindex */
	bool by_pattern;		/* a pattern matches its name */
};

/* At most this many patterns per namespace (apply follows every VM
 * interface by name, so one per tap); each device event walks them.
 */
#define FLOWLANE_MAX_PATTERNS	4096

/* "vmtap*": every device of the namespace whose name starts with prefix;
 * "vmtap0" (no wildcard): the device of that name, whenever it exists.
 */
struct flowlane_pattern {
	struct list_head list;		/* flowlane_net.patterns, RTNL */
	u64 hook_failures;		/* matching devices left unhooked */
	unsigned int len;		/* of prefix, 1..IFNAMSIZ-1 */
	bool wildcard;			/* written with a trailing '*' */
	char prefix[IFNAMSIZ];
};

extern unsigned int flowlane_net_id;

static inline struct flowlane_net *flowlane_pernet(const struct net *net)
{
	return net_generic(net, flowlane_net_id);
}

static inline u32 flowlane_now(void)
{
	return (u32)ktime_get_boottime_seconds();
}

/* netns.c */
int flowlane_net_init(void);
void flowlane_net_exit(void);
void flowlane_net_read(struct flowlane_net *fn, struct flowlane_counters *c);
void flowlane_all_totals(struct flowlane_counters *c);
void flowlane_total_add(size_t off, s64 delta);

/* flowtable.c */
int flowlane_ft_net_init(struct flowlane_net *fn);
void flowlane_ft_net_exit(struct flowlane_net *fn);
int flowlane_ft_dev_add(struct flowlane_net *fn, struct net_device *dev,
			struct netlink_ext_ack *extack);
int flowlane_ft_dev_del(struct flowlane_net *fn, struct net_device *dev,
			struct netlink_ext_ack *extack);
bool flowlane_ft_has_dev(struct flowlane_net *fn, const struct net_device *dev);
int flowlane_ft_notifier_init(void);
void flowlane_ft_notifier_exit(void);
typedef bool (*flowlane_match_t)(struct flowlane_net *fn,
				 const struct flow_offload *flow,
				 const void *arg);
unsigned int flowlane_ft_teardown(struct flowlane_net *fn, flowlane_match_t m,
				  const void *arg, u8 reason);
unsigned int flowlane_ft_retire(struct flowlane_net *fn, flowlane_match_t m,
				const void *arg, u8 reason);

/* offload.c */
int flowlane_offload_hooks_on(struct flowlane_net *fn);
void flowlane_offload_hooks_off(struct flowlane_net *fn);

/* flows.c */
int flowlane_flow_net_init(struct flowlane_net *fn);
void flowlane_flow_net_exit(struct flowlane_net *fn);
int flowlane_flow_cache_init(void);
void flowlane_flow_cache_exit(void);
struct flowlane_flow *flowlane_flow_lookup(struct flowlane_net *fn,
					   const struct nf_conn *ct);
struct flowlane_flow *flowlane_flow_by_id(struct flowlane_net *fn, u64 id);
struct flowlane_flow *flowlane_cursor_new(void);
void flowlane_cursor_free(struct flowlane_flow *cursor);
struct flowlane_flow *flowlane_cursor_next(struct flowlane_net *fn,
					   struct flowlane_flow *cursor);
int flowlane_flow_start(struct flowlane_net *fn, struct nf_conn *ct,
			u16 tag_id, struct flowlane_tag *tag, u32 max_flows,
			u32 iif, u32 oif);
void flowlane_flow_cancel(struct flowlane_net *fn, struct nf_conn *ct);
void flowlane_flow_announce(struct flowlane_net *fn, struct nf_conn *ct);
void flowlane_flow_slow_packet(struct flowlane_net *fn, struct nf_conn *ct,
			       int dir, unsigned int len, bool finrst);
void flowlane_flow_set_reason(struct flowlane_net *fn,
			      const struct nf_conn *ct, u8 reason);
bool flowlane_flow_gc(const struct flow_offload *flow);
void flowlane_flow_sweep_now(struct flowlane_net *fn, unsigned int torn);

/* tags.c */
int flowlane_tag_net_init(struct flowlane_net *fn);
void flowlane_tag_net_exit(struct flowlane_net *fn);
u16 flowlane_tag_of(const struct flowlane_net *fn, const struct nf_conn *ct);
struct flowlane_tag *flowlane_tag_find_rcu(struct flowlane_net *fn, u16 id);
struct flowlane_tag *flowlane_tag_by_name(struct flowlane_net *fn,
					  const char *name);
void flowlane_tag_put(struct flowlane_tag *tag);
void flowlane_policy_of(struct flowlane_net *fn,
			const struct flowlane_tag *tag,
			struct flowlane_policy *p);
int flowlane_tag_new(struct flowlane_net *fn, const char *name, u16 id,
		     const struct flowlane_policy *p,
		     struct netlink_ext_ack *extack);
int flowlane_tag_del(struct flowlane_net *fn, struct flowlane_tag *tag);
void flowlane_policy_changed(struct flowlane_net *fn);

/* genl.c */
int flowlane_genl_init(void);
bool flowlane_genl_listening(struct net *net);
void flowlane_genl_notify_flow(struct flowlane_net *fn,
			       const struct flowlane_flow *e, u8 reason);
void flowlane_genl_exit(void);

/* sysfs.c */
int flowlane_sysfs_init(void);
void flowlane_sysfs_exit(void);
struct kobject *flowlane_sysfs_tag_add(const char *name);
void flowlane_sysfs_tag_del(struct kobject *kobj);

/* flowtable.c: the devices patterns hook and unhook (RTNL held) */
struct flowlane_dev *flowlane_ft_dev_of(struct flowlane_net *fn,
					const struct net_device *dev);
struct flowlane_dev *flowlane_ft_dev_hook(struct flowlane_net *fn,
					  struct net_device *dev,
					  struct netlink_ext_ack *extack);
void flowlane_ft_dev_unhook(struct flowlane_net *fn, struct flowlane_dev *d);

/* devpattern.c (RTNL held) */
void flowlane_pat_net_init(struct flowlane_net *fn);
void flowlane_pat_net_exit(struct flowlane_net *fn);
int flowlane_pat_add(struct flowlane_net *fn, const char *pattern,
		     struct netlink_ext_ack *extack);
int flowlane_pat_del(struct flowlane_net *fn, const char *pattern,
		     struct netlink_ext_ack *extack);
const struct flowlane_pattern *flowlane_pat_match(struct flowlane_net *fn,
						  const char *name);
void flowlane_pat_dev_event(struct flowlane_net *fn, struct net_device *dev,
			    struct flowlane_dev *d);

#endif /* _FLOWLANE_H */
