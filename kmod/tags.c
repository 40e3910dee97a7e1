// SPDX-License-Identifier: GPL-2.0
/*
 * Tags and policies. A flow's tag is its conntrack mark under the
 * namespace's tag mask; a tag names a policy. Writers hold cfg_mutex; the
 * packet path finds a tag by id under RCU (xarray) and reads its policy
 * with READ_ONCE, so a change applies to the next packet, no rule reload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>

#include "flowlane.h"

int flowlane_tag_net_init(struct flowlane_net *fn)
{
	INIT_LIST_HEAD(&fn->tags);
	xa_init(&fn->tag_ids);
	fn->def = (struct flowlane_policy){ .offload = true };
	fn->tag_mask = FLOWLANE_DEFAULT_TAG_MASK;
	return 0;
}

/* 0 when the mark carries no tag number (0 or too large). */
u16 flowlane_tag_of(const struct flowlane_net *fn, const struct nf_conn *ct)
{
	u32 mask = READ_ONCE(fn->tag_mask);
	u32 v = (READ_ONCE(ct->mark) & mask) >> __ffs(mask);

	return v > U16_MAX ? 0 : v;
}

struct flowlane_tag *flowlane_tag_find_rcu(struct flowlane_net *fn, u16 id)
{
	return id ? xa_load(&fn->tag_ids, id) : NULL;
}

/* cfg_mutex held. */
struct flowlane_tag *flowlane_tag_by_name(struct flowlane_net *fn,
					  const char *name)
{
	struct flowlane_tag *tag;

	lockdep_assert_held(&fn->cfg_mutex);
	list_for_each_entry(tag, &fn->tags, list)
		if (!strcmp(tag->name, name))
			return tag;
	return NULL;
}

static void flowlane_tag_free_rcu(struct rcu_head *head)
{
	struct flowlane_tag *tag = container_of(head, struct flowlane_tag, rcu);

	free_percpu(tag->refused);
	kfree(tag);
}

/* The packet path may still hold @tag (found under RCU) and count a
 * refusal on it: it is freed after a grace period.
 */
void flowlane_tag_put(struct flowlane_tag *tag)
{
	if (refcount_dec_and_test(&tag->ref))
		call_rcu(&tag->rcu, flowlane_tag_free_rcu);
}

/* The policy a flow of @tag follows now (a deleted tag's flows follow the
 * namespace default).
 */
void flowlane_policy_of(struct flowlane_net *fn,
			const struct flowlane_tag *tag,
			struct flowlane_policy *p)
{
	const struct flowlane_policy *src = &fn->def;

	if (tag && !READ_ONCE(tag->dead))
		src = &tag->policy;
	p->offload = READ_ONCE(src->offload);
	p->threshold = READ_ONCE(src->threshold);
	p->max_flows = READ_ONCE(src->max_flows);
	p->timeout = READ_ONCE(src->timeout);
}

/* cfg_mutex held. */
int flowlane_tag_new(struct flowlane_net *fn, const char *name, u16 id,
		     const struct flowlane_policy *p,
		     struct netlink_ext_ack *extack)
{
	struct flowlane_tag *tag;
	int err;

	lockdep_assert_held(&fn->cfg_mutex);
	if (flowlane_tag_by_name(fn, name)) {
		NL_SET_ERR_MSG(extack, "a tag with this name exists");
		return -EEXIST;
	}
	/* Charged to the caller's memory cgroup: a tenant with CAP_NET_ADMIN
	 * in its own namespaces makes these.
	 */
	tag = kzalloc(sizeof(*tag), GFP_KERNEL_ACCOUNT);
	if (!tag)
		return -ENOMEM;
	tag->refused = alloc_percpu_gfp(u64, GFP_KERNEL_ACCOUNT);
	if (!tag->refused) {
		kfree(tag);
		return -ENOMEM;
	}
	tag->fn = fn;
	tag->id = id;
	strscpy(tag->name, name, sizeof(tag->name));
	tag->policy = *p;
	refcount_set(&tag->ref, 1);
	err = xa_insert(&fn->tag_ids, id, tag, GFP_KERNEL_ACCOUNT);
	if (err) {
		free_percpu(tag->refused);
		kfree(tag);
		if (err != -EBUSY)
			return err;	/* -ENOMEM: no id is taken */
		NL_SET_ERR_MSG(extack, "a tag with this id exists");
		return -EEXIST;
	}
	list_add_tail_rcu(&tag->list, &fn->tags);
	if (net_eq(fn->net, &init_net))
		tag->kobj = flowlane_sysfs_tag_add(tag->name);
	return 0;
}

static void flowlane_tag_unlink(struct flowlane_net *fn,
				struct flowlane_tag *tag)
{
	lockdep_assert_held(&fn->cfg_mutex);
	xa_erase(&fn->tag_ids, tag->id);
	list_del_rcu(&tag->list);
	/* Its live flows follow the default policy now, and count against
	 * the default's cap until they go (flowlane_flow_unlink()).
	 */
	spin_lock_bh(&fn->lock);
	WRITE_ONCE(tag->dead, true);
	fn->default_flows += tag->cnt.flows;
	spin_unlock_bh(&fn->lock);
	flowlane_sysfs_tag_del(tag->kobj);
	tag->kobj = NULL;
	flowlane_tag_put(tag);
}

/* cfg_mutex held. The tag's flows now follow the default policy. */
int flowlane_tag_del(struct flowlane_net *fn, struct flowlane_tag *tag)
{
	flowlane_tag_unlink(fn, tag);
	flowlane_policy_changed(fn);
	return 0;
}

static bool flowlane_match_policy_off(struct flowlane_net *fn,
				      const struct flow_offload *flow,
				      const void *arg)
{
	struct flowlane_policy p;
	struct flowlane_flow *e;

	e = flowlane_flow_lookup(fn, flow->ct);
	if (!e)
		return false;
	flowlane_policy_of(fn, READ_ONCE(e->tag), &p);
	return !p.offload;
}

/* A policy changed: flows whose policy no longer offloads go back to the
 * slow path now. A lowered cap or a raised threshold leaves flows already
 * offloaded where they are.
 */
void flowlane_policy_changed(struct flowlane_net *fn)
{
	if (fn->ft_ready)
		flowlane_ft_retire(fn, flowlane_match_policy_off, NULL,
				   FLOWLANE_TEARDOWN_POLICY);
}

/* After every flow is retired. */
void flowlane_tag_net_exit(struct flowlane_net *fn)
{
	struct flowlane_tag *tag, *next;

	mutex_lock(&fn->cfg_mutex);
	list_for_each_entry_safe(tag, next, &fn->tags, list)
		flowlane_tag_unlink(fn, tag);
	mutex_unlock(&fn->cfg_mutex);
	xa_destroy(&fn->tag_ids);
}
