// SPDX-License-Identifier: GPL-2.0
/*
 * Per-flow state and counter folding.
 *
 * The kernel's struct flow_offload cannot carry our fields and is freed by
 * the flowtable core without telling us, so flowlane keeps its own small
 * record per offloaded flow, keyed by the conntrack entry (of which it holds
 * a reference), and never dereferences the core's flow from it.
 *
 * Numbers come from conntrack accounting, which the fast path feeds
 * (NF_FLOWTABLE_COUNTER): per direction, slow = what conntrack had counted
 * when the flow was offloaded plus every packet our forward hook sees while
 * the record lives (MTU punts, packets after a teardown), fast = conntrack's
 * count now minus slow. A sweep once a second folds the fast-path share into
 * the tag and namespace counters and retires records whose conntrack entry
 * lost IPS_OFFLOAD (the core tore the flow down).
 *
 * The records are also on a list in offload order, which the sweep and
 * flow dumps walk in slices, dropping the lock between them: each keeps its
 * place with a cursor, a record with no conntrack entry linked into the
 * list, that every walker steps over. Whatever leaves the list meanwhile,
 * the walk resumes right after its cursor.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_l4proto.h>

#include "flowlane.h"
#include "compat.h"

static struct kmem_cache *flowlane_flow_cache __read_mostly;

static const struct rhashtable_params flowlane_flow_params = {
	.head_offset		= offsetof(struct flowlane_flow, node),
	.key_offset		= offsetof(struct flowlane_flow, ct),
	.key_len		= sizeof(struct nf_conn *),
	.automatic_shrinking	= true,
};

static const struct rhashtable_params flowlane_flow_id_params = {
	.head_offset		= offsetof(struct flowlane_flow, id_node),
	.key_offset		= offsetof(struct flowlane_flow, id),
	.key_len		= sizeof(u64),
	.automatic_shrinking	= true,
};

/* A sweep slice drops the lock (and turns bottom halves back on) after
 * this many records or this long, whichever comes first: a fold is a few
 * loads and adds, a retirement an unlink (its event and references wait
 * for the lock to be free), but a slow or loaded CPU must not stretch a
 * slice past the time. The clock is read every FLOWLANE_SWEEP_CLOCK records.
 */
#define FLOWLANE_SWEEP_SLICE	256
#define FLOWLANE_SWEEP_SLICE_NS	(500 * NSEC_PER_USEC)
#define FLOWLANE_SWEEP_CLOCK	16

int flowlane_flow_cache_init(void)
{
	BUILD_BUG_ON(sizeof(struct flowlane_flow) > 128);
	flowlane_flow_cache = KMEM_CACHE(flowlane_flow, 0);
	return flowlane_flow_cache ? 0 : -ENOMEM;
}

void flowlane_flow_cache_exit(void)
{
	rcu_barrier();	/* flowlane_flow_free_rcu() callbacks */
	kmem_cache_destroy(flowlane_flow_cache);
}

struct flowlane_flow *flowlane_flow_lookup(struct flowlane_net *fn,
					   const struct nf_conn *ct)
{
	return rhashtable_lookup(&fn->flows, &ct, flowlane_flow_params);
}

/* fn->lock held. */
struct flowlane_flow *flowlane_flow_by_id(struct flowlane_net *fn, u64 id)
{
	lockdep_assert_held(&fn->lock);
	return rhashtable_lookup_fast(&fn->flows_by_id, &id,
				      flowlane_flow_id_params);
}

/* A cursor for a walk of fn->flow_list: not linked until the walk's first
 * flowlane_cursor_next().
 */
struct flowlane_flow *flowlane_cursor_new(void)
{
	struct flowlane_flow *cursor;

	cursor = kmem_cache_zalloc(flowlane_flow_cache, GFP_KERNEL_ACCOUNT);
	if (cursor)
		INIT_LIST_HEAD(&cursor->list);
	return cursor;
}

/* Unlinks (fn->lock held by the caller if it is linked) and frees. */
void flowlane_cursor_free(struct flowlane_flow *cursor)
{
	list_del(&cursor->list);
	kmem_cache_free(flowlane_flow_cache, cursor);
}

/* fn->lock held. The record after @cursor, stepping over other walks'
 * cursors, and @cursor moved past it; NULL (the cursor at the end) when
 * none is left. A cursor not yet linked starts at the head and takes the
 * newest id as its bound: records are appended in id order, so the walk
 * ends at the first one offloaded after it began. Without the bound a walk
 * under churn chases the tail and, churn outpacing it, never ends.
 */
struct flowlane_flow *flowlane_cursor_next(struct flowlane_net *fn,
					   struct flowlane_flow *cursor)
{
	struct list_head *pos;

	lockdep_assert_held(&fn->lock);
	if (list_empty(&cursor->list)) {
		cursor->id = fn->next_flow_id;
		list_add(&cursor->list, &fn->flow_list);
	}
	for (pos = cursor->list.next; pos != &fn->flow_list; pos = pos->next) {
		struct flowlane_flow *e = list_entry(pos, struct flowlane_flow, list);

		if (!e->ct)
			continue;
		if (e->id > cursor->id)
			break;
		list_move(&cursor->list, pos);
		return e;
	}
	list_move_tail(&cursor->list, &fn->flow_list);
	return NULL;
}

static void flowlane_count(struct flowlane_net *fn, struct flowlane_tag *tag,
			   size_t off, s64 delta)
{
	*(u64 *)((char *)&fn->cnt + off) += delta;
	flowlane_total_add(off, delta);
	if (tag)
		*(u64 *)((char *)&tag->cnt + off) += delta;
}

#define FLOWLANE_COUNT(fn, tag, field, delta) \
	flowlane_count(fn, tag, offsetof(struct flowlane_counters, field), delta)

static void flowlane_flow_snapshot(struct flowlane_flow *e,
				   const struct nf_conn_acct *acct)
{
	int dir;

	for (dir = 0; dir < 2; dir++) {
		e->slow_packets[dir] = atomic64_read(&acct->counter[dir].packets);
		e->slow_bytes[dir] = atomic64_read(&acct->counter[dir].bytes);
	}
}

/* Caller: acct exists (checked by the forward hook), IPS_OFFLOAD is ours.
 * @tag_id is the flow's tag number from its mark now, @tag the tag of that
 * number if one exists: both stay the flow's for its life.
 */
int flowlane_flow_start(struct flowlane_net *fn, struct nf_conn *ct,
			u16 tag_id, struct flowlane_tag *tag, u32 max_flows,
			u32 iif, u32 oif)
{
	struct flowlane_flow *e;
	int err;

	e = kmem_cache_zalloc(flowlane_flow_cache, GFP_ATOMIC);
	if (!e)
		return -ENOMEM;
	e->ct = ct;
	e->iif = iif;
	e->oif = oif;
	e->tag_id = tag_id;
	e->offload_time = flowlane_now();
	e->last_seen = e->offload_time;
	flowlane_flow_snapshot(e, nf_conn_acct_find(ct));

	spin_lock_bh(&fn->lock);
	err = -ESRCH;
	if (fn->dying)
		goto err_unlock;
	/* A tag deleted since the caller found it: the flow is the default
	 * policy's (tag->dead changes under this lock).
	 */
	if (tag && (tag->dead || !refcount_inc_not_zero(&tag->ref)))
		tag = NULL;
	e->tag = tag;
	err = -ENOSPC;
	if (max_flows && *flowlane_cap_flows(fn, tag) >= max_flows)
		goto err_cap;
	err = rhashtable_lookup_insert_fast(&fn->flows, &e->node,
					    flowlane_flow_params);
	if (err)
		goto err_put;
	e->id = ++fn->next_flow_id;
	err = rhashtable_insert_fast(&fn->flows_by_id, &e->id_node,
				     flowlane_flow_id_params);
	if (err)
		goto err_unhash;
	nf_conntrack_get(&ct->ct_general);
	list_add_tail(&e->list, &fn->flow_list);
	FLOWLANE_COUNT(fn, tag, flows, 1);
	FLOWLANE_COUNT(fn, tag, offloads_total, 1);
	if (!tag)
		fn->default_flows++;
	queue_delayed_work(system_power_efficient_wq, &fn->sweep, HZ);
	spin_unlock_bh(&fn->lock);
	return 0;

err_unhash:
	rhashtable_remove_fast(&fn->flows, &e->node, flowlane_flow_params);
	goto err_put;
err_cap:
	flowlane_count_refused(fn, tag);
err_put:
	if (tag)
		flowlane_tag_put(tag);
err_unlock:
	spin_unlock_bh(&fn->lock);
	kmem_cache_free(flowlane_flow_cache, e);
	return err;
}

static void flowlane_flow_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(flowlane_flow_cache,
			container_of(head, struct flowlane_flow, rcu));
}

/* Takes @e out of the list and both tables; fn->lock held. No walker or
 * lookup under the lock finds it after this: the caller owns it, and
 * frees it with flowlane_flow_free() once the lock is dropped.
 */
static void flowlane_flow_unhash(struct flowlane_net *fn,
				 struct flowlane_flow *e)
{
	lockdep_assert_held(&fn->lock);
	FLOWLANE_COUNT(fn, e->tag, flows, -1);
	/* A deleted tag's flows moved to the default's cap (tags.c). */
	if (!e->tag || e->tag->dead)
		fn->default_flows--;
	rhashtable_remove_fast(&fn->flows, &e->node, flowlane_flow_params);
	rhashtable_remove_fast(&fn->flows_by_id, &e->id_node,
			       flowlane_flow_id_params);
	list_del(&e->list);
}

/* Drops @e's references (the conntrack entry's may be the last) and frees
 * it after a grace period: RCU readers of the tables may still hold it.
 */
static void flowlane_flow_free(struct flowlane_flow *e)
{
	if (e->tag)
		flowlane_tag_put(e->tag);
	nf_ct_put(e->ct);
	call_rcu(&e->rcu, flowlane_flow_free_rcu);
}

/* flow_offload_add() failed after flowlane_flow_start(): forget the flow. */
void flowlane_flow_cancel(struct flowlane_net *fn, struct nf_conn *ct)
{
	struct flowlane_flow *e;

	spin_lock_bh(&fn->lock);
	e = flowlane_flow_lookup(fn, ct);
	if (e) {
		FLOWLANE_COUNT(fn, e->tag, offloads_total, -1);
		flowlane_flow_unhash(fn, e);
	}
	spin_unlock_bh(&fn->lock);
	if (e)
		flowlane_flow_free(e);
}

/* flow_offload_add() succeeded: tell the listeners. Not from
 * flowlane_flow_start(), or a failed add would leave them an offload that no
 * teardown ever follows. A sweep in between may already have retired the
 * flow (its teardown event sent): then there is nothing left to announce.
 */
void flowlane_flow_announce(struct flowlane_net *fn, struct nf_conn *ct)
{
	struct flowlane_flow *e;

	/* No listener, no second trip through the lock for each offload. */
	if (!flowlane_genl_listening(fn->net))
		return;
	spin_lock_bh(&fn->lock);
	e = flowlane_flow_lookup(fn, ct);
	if (e)
		flowlane_genl_notify_flow(fn, e, 0);
	spin_unlock_bh(&fn->lock);
}

/* A packet of an offloaded (or torn down, not yet retired) flow reached our
 * forward hook: the slow path carried it.
 */
void flowlane_flow_slow_packet(struct flowlane_net *fn, struct nf_conn *ct,
			       int dir, unsigned int len, bool finrst)
{
	struct flowlane_flow *e;

	spin_lock_bh(&fn->lock);
	e = flowlane_flow_lookup(fn, ct);
	if (e) {
		e->slow_packets[dir]++;
		e->slow_bytes[dir] += len;
		e->last_seen = flowlane_now();
		if (finrst && !e->reason)
			e->reason = FLOWLANE_TEARDOWN_FINRST;
	}
	spin_unlock_bh(&fn->lock);
}

void flowlane_flow_set_reason(struct flowlane_net *fn,
			      const struct nf_conn *ct, u8 reason)
{
	struct flowlane_flow *e;

	spin_lock_bh(&fn->lock);
	e = flowlane_flow_lookup(fn, ct);
	if (e && !e->reason)
		e->reason = reason;
	spin_unlock_bh(&fn->lock);
}

/* The fast-path share of @e (its conntrack counters @acct less what was
 * counted on the slow path), summed over both directions.
 */
static void flowlane_flow_fast(const struct flowlane_flow *e,
			       const struct nf_conn_acct *acct,
			       u64 *packets, u64 *bytes)
{
	int dir;

	*packets = 0;
	*bytes = 0;
	for (dir = 0; dir < 2; dir++) {
		*packets += atomic64_read(&acct->counter[dir].packets) -
			    e->slow_packets[dir];
		*bytes += atomic64_read(&acct->counter[dir].bytes) -
			  e->slow_bytes[dir];
	}
}

/* Whether conntrack's counters of @e were zeroed since the last fold
 * (ctnetlink's zeroing get, `conntrack -L -z`, which any CAP_NET_ADMIN of
 * the namespace may run). Without a reset no direction's count is below
 * its slow share (every packet credited to the slow path was counted by
 * conntrack first), and the fast-path share only ever falls by the slow
 * packets that conntrack counted at prerouting and our forward hook has
 * not yet credited: at most one per CPU. A reset followed, before the next
 * fold, by more packets than the flow had carried in all its life is not
 * seen (design.rst, "Counters").
 */
static bool flowlane_flow_was_reset(const struct flowlane_flow *e,
				    const struct nf_conn_acct *acct,
				    u64 packets)
{
	int dir;

	for (dir = 0; dir < 2; dir++)
		if (atomic64_read(&acct->counter[dir].packets) < e->slow_packets[dir] ||
		    atomic64_read(&acct->counter[dir].bytes) < e->slow_bytes[dir])
			return true;
	return (s64)(packets - e->folded_packets) < -(s64)num_possible_cpus();
}

/* After a reset (it zeroes both directions): the flow's own numbers start
 * again from it, as conntrack's do, everything since counted as fast and
 * nothing of it folded yet; the tag and namespace totals keep what they had
 * and go on from there (they miss what the flow carried between the last
 * fold and the reset).
 */
static void flowlane_flow_rebase(struct flowlane_flow *e,
				 const struct nf_conn_acct *acct,
				 u64 *packets, u64 *bytes)
{
	memset(e->slow_packets, 0, sizeof(e->slow_packets));
	memset(e->slow_bytes, 0, sizeof(e->slow_bytes));
	e->folded_packets = 0;
	e->folded_bytes = 0;
	flowlane_flow_fast(e, acct, packets, bytes);
}

/* Adds what the fast path carried since the last fold; fn->lock held.
 * The difference may be negative for a moment (conntrack counted a packet
 * at prerouting that our forward hook has not yet credited to the slow
 * path); u64 arithmetic makes the sum right again at the next fold.
 */
static void flowlane_flow_fold(struct flowlane_net *fn,
			       struct flowlane_flow *e)
{
	const struct nf_conn_acct *acct = nf_conn_acct_find(e->ct);
	u64 packets, bytes;

	lockdep_assert_held(&fn->lock);
	flowlane_flow_fast(e, acct, &packets, &bytes);
	if (flowlane_flow_was_reset(e, acct, packets))
		flowlane_flow_rebase(e, acct, &packets, &bytes);
	if (packets == e->folded_packets && bytes == e->folded_bytes)
		return;
	if ((s64)(packets - e->folded_packets) > 0)
		e->last_seen = flowlane_now();
	FLOWLANE_COUNT(fn, e->tag, fastpath_packets, packets - e->folded_packets);
	FLOWLANE_COUNT(fn, e->tag, fastpath_bytes, bytes - e->folded_bytes);
	e->folded_packets = packets;
	e->folded_bytes = bytes;
}

/* The core's idle timeout of @ct's protocol in its namespace, in seconds. */
static u32 flowlane_core_timeout(const struct nf_conn *ct)
{
	struct net *net = nf_ct_net(ct);

	switch (nf_ct_protonum(ct)) {
	case IPPROTO_TCP:
		return READ_ONCE(nf_tcp_pernet(net)->offload_timeout) / HZ;
	case IPPROTO_UDP:
		return READ_ONCE(nf_udp_pernet(net)->offload_timeout) / HZ;
	}
	return NF_FLOW_TIMEOUT / HZ;
}

/* Why the core tore @e's flow down when flowlane recorded no reason. Its
 * own timeout needs that long without a fast-path packet; a flow that
 * carried one more recently (last_seen is at most a fold, about a second,
 * behind) was taken back by the packet path or the GC for its way out: a
 * route that went stale (a route or address change in the namespace), a
 * device or neighbour gone at transmit.
 */
static u8 flowlane_flow_reason(const struct flowlane_flow *e)
{
	const struct nf_conn *ct = e->ct;

	if (e->reason)
		return e->reason;
	if (nf_ct_is_dying(ct))
		return FLOWLANE_TEARDOWN_CONNTRACK;
	if (nf_ct_protonum(ct) == IPPROTO_TCP &&
	    ct->proto.tcp.state != TCP_CONNTRACK_ESTABLISHED)
		return FLOWLANE_TEARDOWN_FINRST;
	if (flowlane_now() - e->last_seen + 2 < flowlane_core_timeout(ct))
		return FLOWLANE_TEARDOWN_ROUTE;
	return FLOWLANE_TEARDOWN_IDLE;
}

/* fn->lock held: counts @e's teardown for @reason and moves its record
 * onto @retired. Its event and its references wait for
 * flowlane_flows_release(), after the lock: building and multicasting a
 * message and dropping what may be a conntrack entry's last reference are
 * the costly part of a teardown, and the lock is held with BHs off.
 */
static void flowlane_flow_retire(struct flowlane_net *fn,
				 struct flowlane_flow *e, u8 reason,
				 struct list_head *retired)
{
	flowlane_flow_fold(fn, e);
	FLOWLANE_COUNT(fn, e->tag, teardowns[reason], 1);
	e->reason = reason;
	flowlane_flow_unhash(fn, e);
	list_add_tail(&e->list, retired);
}

/* Not under fn->lock: the teardown events of the records retired, in
 * order, and their records freed.
 */
static void flowlane_flows_release(struct flowlane_net *fn,
				   struct list_head *retired)
{
	struct flowlane_flow *e, *next;

	list_for_each_entry_safe(e, next, retired, list) {
		flowlane_genl_notify_flow(fn, e, e->reason);
		flowlane_flow_free(e);
	}
}

/* One slice of a sweep: folds the records after the cursor, up to
 * FLOWLANE_SWEEP_SLICE of them or FLOWLANE_SWEEP_SLICE_NS, and retires
 * those the core tore down. Returns false at the end. Its time, as
 * sweep_slice_max_ns reports it, is the time this CPU runs with bottom
 * halves off: from before the lock (a wait for it included) to the unlock.
 */
static bool flowlane_flow_sweep_slice(struct flowlane_net *fn,
				      struct flowlane_flow *cursor)
{
	LIST_HEAD(retired);
	struct flowlane_flow *e;
	unsigned int n;
	bool more = true;
	u64 start;

	local_bh_disable();
	start = ktime_get_ns();
	spin_lock(&fn->lock);
	for (n = 1; n <= FLOWLANE_SWEEP_SLICE; n++) {
		e = flowlane_cursor_next(fn, cursor);
		if (!e) {
			more = false;
			break;
		}
		if (test_bit(IPS_OFFLOAD_BIT, &e->ct->status))
			flowlane_flow_fold(fn, e);
		else
			flowlane_flow_retire(fn, e, flowlane_flow_reason(e),
					     &retired);
		if (n % FLOWLANE_SWEEP_CLOCK == 0 &&
		    ktime_get_ns() - start >= FLOWLANE_SWEEP_SLICE_NS)
			break;
	}
	fn->cnt.sweep_slice_max_ns = max(fn->cnt.sweep_slice_max_ns,
					 ktime_get_ns() - start);
	spin_unlock(&fn->lock);
	local_bh_enable();
	flowlane_flows_release(fn, &retired);
	return more;
}

/* Folds every flow, retires those the core tore down, in slices with
 * bottom halves on and the lock free between them (the forward hook of
 * every CPU takes it to offload). Process context. Returns true while
 * flows remain.
 */
static bool flowlane_flow_sweep(struct flowlane_net *fn)
{
	struct flowlane_flow *cursor = fn->sweep_cursor;
	bool more;

	mutex_lock(&fn->sweep_mutex);
	while (flowlane_flow_sweep_slice(fn, cursor))
		cond_resched();
	spin_lock_bh(&fn->lock);
	list_del_init(&cursor->list);
	more = !list_empty(&fn->flow_list);
	spin_unlock_bh(&fn->lock);
	mutex_unlock(&fn->sweep_mutex);
	return more;
}

/* Right after the caller tore down @torn flows. A packet that found its
 * flow just before the teardown flag was set is still on its way through
 * the fast path, under RCU, and counts itself in conntrack's accounting at
 * the end: wait for those, so that the last fold has them and the totals
 * stay exact. Process context; RTNL may be held (synchronize_net() is then
 * expedited).
 */
void flowlane_flow_sweep_now(struct flowlane_net *fn, unsigned int torn)
{
	if (torn)
		synchronize_net();
	flowlane_flow_sweep(fn);
}

static void flowlane_flow_sweep_work(struct work_struct *work)
{
	struct flowlane_net *fn = container_of(to_delayed_work(work),
					       struct flowlane_net, sweep);

	/* An offload queues the work again, whatever this pass found. */
	if (flowlane_flow_sweep(fn) && !READ_ONCE(fn->dying))
		queue_delayed_work(system_power_efficient_wq, &fn->sweep, HZ);
}

/* Boot-time second (at most @now) of @flow's last fast-path packet. The core moves
 * flow->timeout to now + its protocol's flowtable timeout with the packets
 * it forwards (flow_offload_refresh(), at most once a second), so the
 * packet's time is read back from it, whenever the sweep last ran.
 */
static u32 flowlane_flow_fast_seen(const struct flow_offload *flow, u32 now)
{
	u32 period = flowlane_core_timeout(flow->ct) * HZ, ago;

	ago = nf_flowtable_time_stamp - (READ_ONCE(flow->timeout) - period);
	return now - min_t(u32, ago / HZ, now);
}

/* The flowtable core's gc hook, about once a second per live flow, in
 * process context under RCU: applies the flow's policy. Returning true
 * makes the core tear the flow down.
 *
 * A TCP connection leaves the fast path when it closes, on every kernel:
 * before 6.14 the core tears the flow down at the FIN or RST itself; since
 * then it keeps a closing flow until its timeout or a new SYN, and flowlane
 * ends it here, at the next pass (within about a second), so that a closed
 * connection neither holds a place under its tag's cap nor reads as
 * offloaded. Its teardown reason is finrst either way.
 */
bool flowlane_flow_gc(const struct flow_offload *flow)
{
	struct flowlane_net *fn = flowlane_pernet(nf_ct_net(flow->ct));
	struct flowlane_policy p;
	struct flowlane_flow *e;
	u32 now = flowlane_now(), seen;
	u8 reason = 0;

	e = flowlane_flow_lookup(fn, flow->ct);
	if (!e)
		return false;
	/* Idle since the last packet either path carried: the slow path's
	 * (MTU punts) are in last_seen, the fast path's read from the core.
	 */
	seen = max(READ_ONCE(e->last_seen), flowlane_flow_fast_seen(flow, now));
	WRITE_ONCE(e->last_seen, seen);
	flowlane_policy_of(fn, READ_ONCE(e->tag), &p);
	if (flowlane_flow_closing(flow))
		reason = FLOWLANE_TEARDOWN_FINRST;
	else if (!p.offload)
		reason = FLOWLANE_TEARDOWN_POLICY;
	else if (p.timeout && now - seen >= p.timeout)
		reason = FLOWLANE_TEARDOWN_IDLE;
	if (!reason)
		return false;
	flowlane_flow_set_reason(fn, flow->ct, reason);
	return true;
}

int flowlane_flow_net_init(struct flowlane_net *fn)
{
	int err;

	spin_lock_init(&fn->lock);
	mutex_init(&fn->sweep_mutex);
	INIT_LIST_HEAD(&fn->flow_list);
	INIT_DELAYED_WORK(&fn->sweep, flowlane_flow_sweep_work);
	fn->sweep_cursor = flowlane_cursor_new();
	if (!fn->sweep_cursor)
		return -ENOMEM;
	err = rhashtable_init(&fn->flows, &flowlane_flow_params);
	if (err)
		goto err_flows;
	err = rhashtable_init(&fn->flows_by_id, &flowlane_flow_id_params);
	if (err)
		goto err_ids;
	return 0;

err_ids:
	rhashtable_destroy(&fn->flows);
err_flows:
	flowlane_cursor_free(fn->sweep_cursor);
	return err;
}

/* After the flowtable is freed (every flow torn down, no hook left). */
void flowlane_flow_net_exit(struct flowlane_net *fn)
{
	struct flowlane_flow *e, *next;
	LIST_HEAD(retired);

	cancel_delayed_work_sync(&fn->sweep);
	spin_lock_bh(&fn->lock);
	/* No cursor is linked: the sweep is done, and no dump can run in a
	 * namespace that is going away (its socket would hold it).
	 */
	list_for_each_entry_safe(e, next, &fn->flow_list, list)
		flowlane_flow_retire(fn, e, e->reason ?: FLOWLANE_TEARDOWN_FLUSH,
				     &retired);
	spin_unlock_bh(&fn->lock);
	flowlane_flows_release(fn, &retired);
	rhashtable_destroy(&fn->flows_by_id);
	rhashtable_destroy(&fn->flows);
	flowlane_cursor_free(fn->sweep_cursor);
}
