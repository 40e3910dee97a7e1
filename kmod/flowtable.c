// SPDX-License-Identifier: GPL-2.0
/*
 * The per-namespace nf_flowtable, the ingress hooks on the devices the
 * operator names, and device removal.
 *
 * The ingress hook functions are the core's own nf_flow_offload_ip_hook and
 * nf_flow_offload_ipv6_hook with our flowtable as priv: the per-packet fast
 * path is the kernel's, flowlane adds nothing to it. Each device gets both
 * (IPv4 first); the IPv4 one returns at its first protocol test for IPv6.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/rhashtable.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>

#include "flowlane.h"

/* Same as the stock flowtable's default priority (filter). */
#define FLOWLANE_INGRESS_PRIORITY	0

/* Every hooked device of every namespace, under RTNL: the netdevice
 * notifier looks here first, so it never touches the pernet data of a
 * namespace flowlane has already left (module unload replays
 * NETDEV_UNREGISTER for every device).
 */
static LIST_HEAD(flowlane_all_devs);

static struct nf_flowtable_type flowlane_ft_type = {
	.family	= NFPROTO_INET,
	.gc	= flowlane_flow_gc,
	.owner	= THIS_MODULE,
};

int flowlane_ft_net_init(struct flowlane_net *fn)
{
	INIT_LIST_HEAD(&fn->devs);
	flowlane_pat_net_init(fn);
	return 0;
}

/* The flowtable exists only while the namespace is managed: an unmanaged
 * namespace costs no GC work. ft_ready changes under cfg_mutex (flush and
 * policy changes walk the table under it), always taken inside RTNL.
 */
static int flowlane_ft_create(struct flowlane_net *fn)
{
	int err;

	memset(&fn->ft, 0, sizeof(fn->ft));
	fn->ft.type = &flowlane_ft_type;
	/* The fast path adds to conntrack accounting: our counters' source. */
	fn->ft.flags = NF_FLOWTABLE_COUNTER;
	write_pnet(&fn->ft.net, fn->net);
	err = nf_flow_table_init(&fn->ft);
	if (err)
		return err;
	mutex_lock(&fn->cfg_mutex);
	fn->ft_ready = true;
	mutex_unlock(&fn->cfg_mutex);
	return 0;
}

/* No hook is left that uses the table: tear down and free every flow,
 * then retire their records.
 */
static void flowlane_ft_destroy(struct flowlane_net *fn)
{
	mutex_lock(&fn->cfg_mutex);
	fn->ft_ready = false;
	flowlane_ft_teardown(fn, NULL, NULL, FLOWLANE_TEARDOWN_DEVICE);
	nf_flow_table_free(&fn->ft);
	flowlane_flow_sweep_now(fn, 0);	/* no hook left: nothing in flight */
	mutex_unlock(&fn->cfg_mutex);
}

/* RTNL held: @dev's hook in @fn's namespace, or NULL. */
struct flowlane_dev *flowlane_ft_dev_of(struct flowlane_net *fn,
					const struct net_device *dev)
{
	struct flowlane_dev *d;

	ASSERT_RTNL();
	list_for_each_entry(d, &fn->devs, list)
		if (d->dev == dev)
			return d;
	return NULL;
}

/* RTNL held, or called from the packet path with the device as in/out:
 * the list only changes under RTNL with a synchronize_net() in between
 * (nf_unregister_net_hooks), so an RCU-ish read is good enough to refuse.
 */
bool flowlane_ft_has_dev(struct flowlane_net *fn, const struct net_device *dev)
{
	struct flowlane_dev *d;

	list_for_each_entry_rcu(d, &fn->devs, list, true)
		if (d->dev == dev)
			return true;
	return false;
}

static void flowlane_ft_fill_ops(struct flowlane_net *fn, struct flowlane_dev *d)
{
	static nf_hookfn * const fns[2] = {
		nf_flow_offload_ip_hook, nf_flow_offload_ipv6_hook,
	};
	int i;

	for (i = 0; i < 2; i++) {
		d->ops[i].hook = fns[i];
		d->ops[i].priv = &fn->ft;
		d->ops[i].pf = NFPROTO_NETDEV;
		d->ops[i].hooknum = NF_NETDEV_INGRESS;
		d->ops[i].priority = FLOWLANE_INGRESS_PRIORITY;
		d->ops[i].dev = d->dev;
	}
}

/* Makes the namespace managed (RTNL held): flowtable, conntrack on
 * (whether or not a ruleset asks for it), forward hooks, accounting.
 */
static int flowlane_ft_manage(struct flowlane_net *fn)
{
	struct net *net = fn->net;
	int err;

	err = flowlane_ft_create(fn);
	if (err)
		return err;
	err = nf_ct_netns_get(net, NFPROTO_INET);
	if (err)
		goto err_ct;
	err = flowlane_offload_hooks_on(fn);
	if (err)
		goto err_hooks;
	/* Accounting is attached to conntrack entries created from now on;
	 * flows that predate it are never offloaded (no numbers to show).
	 */
	fn->saved_acct = net->ct.sysctl_acct;
	if (!net->ct.sysctl_acct) {
		net->ct.sysctl_acct = 1;
		fn->acct_forced = true;
	}
	return 0;

err_hooks:
	nf_ct_netns_put(net, NFPROTO_INET);
err_ct:
	flowlane_ft_destroy(fn);
	return err;
}

/* RTNL held, no device hook left. */
static void flowlane_ft_unmanage(struct flowlane_net *fn)
{
	flowlane_offload_hooks_off(fn);
	nf_ct_netns_put(fn->net, NFPROTO_INET);
	if (fn->acct_forced && fn->net->ct.sysctl_acct == 1)
		fn->net->ct.sysctl_acct = fn->saved_acct;
	fn->acct_forced = false;
	/* Unregistering a hook does not wait for packets already in it:
	 * the core's ingress hook may still be walking our table.
	 */
	synchronize_net();
	flowlane_ft_destroy(fn);
}

/* RTNL held. Hooks @dev, which has no hook yet; the caller sets why. */
struct flowlane_dev *flowlane_ft_dev_hook(struct flowlane_net *fn,
					  struct net_device *dev,
					  struct netlink_ext_ack *extack)
{
	struct flowlane_dev *d;
	int err;

	ASSERT_RTNL();
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);	/* a tenant's, too */
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->dev = dev;
	d->fn = fn;
	/* The flowtable first: the ingress hooks use it from their first packet. */
	if (!fn->ndevs) {
		err = flowlane_ft_manage(fn);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot set up the namespace's flowtable");
			goto err_manage;
		}
	}
	flowlane_ft_fill_ops(fn, d);
	err = nf_register_net_hooks(fn->net, d->ops, ARRAY_SIZE(d->ops));
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the ingress hooks");
		goto err_hooks;
	}
	fn->ndevs++;
	list_add_tail_rcu(&d->list, &fn->devs);
	list_add_tail(&d->glist, &flowlane_all_devs);
	return d;

err_hooks:
	if (!fn->ndevs)
		flowlane_ft_unmanage(fn);
err_manage:
	kfree(d);
	return ERR_PTR(err);
}

/* RTNL held. By name or ifindex: a device a pattern already hooked gains
 * the by-name reason (a later pattern change leaves it hooked).
 */
int flowlane_ft_dev_add(struct flowlane_net *fn, struct net_device *dev,
			struct netlink_ext_ack *extack)
{
	struct flowlane_dev *d = flowlane_ft_dev_of(fn, dev);

	if (d && d->explicit) {
		NL_SET_ERR_MSG(extack, "device already added");
		return -EEXIST;
	}
	if (!d) {
		d = flowlane_ft_dev_hook(fn, dev, extack);
		if (IS_ERR(d))
			return PTR_ERR(d);
	}
	d->explicit = true;
	return 0;
}

/* The flows through @arg: the devices the core receives on and transmits
 * on directly, and, for a flow resolved below its routed devices (a bridge
 * port, a VLAN's lower device), those it was routed by, from its record.
 * Called under RCU (the walk's), which the record's lookup needs.
 */
static bool flowlane_match_dev(struct flowlane_net *fn,
			       const struct flow_offload *flow, const void *arg)
{
	const struct net_device *dev = arg;
	const struct flowlane_flow *e;
	int i;

	for (i = 0; i < FLOW_OFFLOAD_DIR_MAX; i++) {
		const struct flow_offload_tuple *t = &flow->tuplehash[i].tuple;

		if (t->iifidx == dev->ifindex ||
		    (t->xmit_type == FLOW_OFFLOAD_XMIT_DIRECT &&
		     t->out.ifidx == dev->ifindex))
			return true;
	}
	e = flowlane_flow_lookup(fn, flow->ct);
	return e && (e->iif == dev->ifindex || e->oif == dev->ifindex);
}

/* RTNL held. Unhooks the device, then tears down the flows through it. */
void flowlane_ft_dev_unhook(struct flowlane_net *fn, struct flowlane_dev *d)
{
	ASSERT_RTNL();
	nf_unregister_net_hooks(fn->net, d->ops, ARRAY_SIZE(d->ops));
	list_del_rcu(&d->list);
	list_del(&d->glist);
	if (!--fn->ndevs) {
		flowlane_ft_unmanage(fn);	/* every flow goes */
	} else {
		synchronize_net();
		mutex_lock(&fn->cfg_mutex);
		flowlane_ft_retire(fn, flowlane_match_dev, d->dev,
				   FLOWLANE_TEARDOWN_DEVICE);
		mutex_unlock(&fn->cfg_mutex);
	}
	kfree(d);
}

/* RTNL held. A device a pattern also matches stays hooked: the pattern
 * says so, and its flows go on.
 */
int flowlane_ft_dev_del(struct flowlane_net *fn, struct net_device *dev,
			struct netlink_ext_ack *extack)
{
	struct flowlane_dev *d = flowlane_ft_dev_of(fn, dev);

	if (!d) {
		NL_SET_ERR_MSG(extack, "device is not a flowlane device");
		return -ENOENT;
	}
	if (!d->explicit) {
		NL_SET_ERR_MSG(extack, "device was added by a pattern: delete the pattern");
		return -ENOENT;
	}
	d->explicit = false;
	if (!d->by_pattern)
		flowlane_ft_dev_unhook(fn, d);
	return 0;
}

/* Tears down the flows @m matches, recording @reason. Returns how many. */
unsigned int flowlane_ft_teardown(struct flowlane_net *fn, flowlane_match_t m,
				  const void *arg, u8 reason)
{
	struct flow_offload_tuple_rhash *th;
	struct rhashtable_iter hti;
	struct flow_offload *flow;
	unsigned int n = 0;

	rhashtable_walk_enter(&fn->ft.rhashtable, &hti);
	rhashtable_walk_start(&hti);
	while ((th = rhashtable_walk_next(&hti))) {
		if (IS_ERR(th))
			continue;	/* -EAGAIN: table resized, walk goes on */
		if (th->tuple.dir != FLOW_OFFLOAD_DIR_ORIGINAL)
			continue;
		flow = container_of(th, struct flow_offload, tuplehash[0]);
		if (test_bit(NF_FLOW_TEARDOWN, &flow->flags) ||
		    (m && !m(fn, flow, arg)))
			continue;
		flowlane_flow_set_reason(fn, flow->ct, reason);
		flow_offload_teardown(flow);
		n++;
	}
	rhashtable_walk_stop(&hti);
	rhashtable_walk_exit(&hti);
	return n;
}

/* Tears down the flows @m selects and retires them at once, their packets
 * still in flight counted (see flowlane_flow_sweep_now()). Process context.
 */
unsigned int flowlane_ft_retire(struct flowlane_net *fn, flowlane_match_t m,
				const void *arg, u8 reason)
{
	unsigned int n = flowlane_ft_teardown(fn, m, arg, reason);

	flowlane_flow_sweep_now(fn, n);
	return n;
}

/* RTNL held. A flow keeps what its devices were when it was offloaded: the
 * MTU it checks packets against and, for direct transmit, the MAC address it
 * writes. When either changes, or the device goes down, its flows go back to
 * the slow path (which sends "fragmentation needed" for a smaller MTU) and
 * are offloaded again from what is true now.
 */
static void flowlane_ft_dev_changed(struct flowlane_net *fn,
				    struct net_device *dev)
{
	mutex_lock(&fn->cfg_mutex);
	flowlane_ft_teardown(fn, flowlane_match_dev, dev,
			     FLOWLANE_TEARDOWN_DEVICE);
	mutex_unlock(&fn->cfg_mutex);
}

/* Our hook of @dev in any namespace, or NULL (RTNL held). */
static struct flowlane_dev *flowlane_ft_hook_of(const struct net_device *dev)
{
	struct flowlane_dev *d;

	list_for_each_entry(d, &flowlane_all_devs, glist)
		if (d->dev == dev)
			return d;
	return NULL;
}

static int flowlane_ft_netdev_event(struct notifier_block *nb,
				    unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct flowlane_dev *d = flowlane_ft_hook_of(dev);

	switch (event) {
	case NETDEV_REGISTER:	/* also a device moved into a namespace */
	case NETDEV_CHANGENAME:
		/* The pernet data exists for every live namespace: module
		 * init registers the notifier after it (and its replay of
		 * NETDEV_REGISTER finds no pattern yet).
		 */
		flowlane_pat_dev_event(flowlane_pernet(dev_net(dev)), dev, d);
		break;
	case NETDEV_UNREGISTER:	/* also a device leaving the namespace */
		if (d)
			flowlane_ft_dev_unhook(d->fn, d);
		break;
	case NETDEV_DOWN:
	case NETDEV_CHANGEMTU:
	case NETDEV_CHANGEADDR:
		if (d)
			flowlane_ft_dev_changed(d->fn, dev);
		break;
	}
	return NOTIFY_DONE;
}

/* Ahead of nft_flow_offload's notifier (priority 0), whatever the load
 * order: on NETDEV_DOWN it tears down every flowtable's flows of the device,
 * ours included, and they would read as idle instead of "device".
 */
static struct notifier_block flowlane_ft_netdev_nb = {
	.notifier_call = flowlane_ft_netdev_event,
	.priority = 1,
};

int flowlane_ft_notifier_init(void)
{
	return register_netdevice_notifier(&flowlane_ft_netdev_nb);
}

void flowlane_ft_notifier_exit(void)
{
	unregister_netdevice_notifier(&flowlane_ft_netdev_nb);
}

/* Namespace exit or module unload: unhook every device, then the
 * flowtable goes with the last one.
 */
void flowlane_ft_net_exit(struct flowlane_net *fn)
{
	struct flowlane_dev *d, *next;

	rtnl_lock();
	flowlane_pat_net_exit(fn);
	list_for_each_entry_safe(d, next, &fn->devs, list)
		flowlane_ft_dev_unhook(fn, d);
	rtnl_unlock();
}
