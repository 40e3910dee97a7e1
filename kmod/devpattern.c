// SPDX-License-Identifier: GPL-2.0
/*
 * Devices by name pattern. "vmtap*" (a prefix and a '*', as nftables writes
 * a wildcard device) puts on the fast path every device of the namespace
 * whose name starts with "vmtap": those that exist when the pattern is
 * added and those registered, renamed or moved into the namespace later
 * (the netdevice notifier in flowtable.c calls flowlane_pat_dev_event()).
 * A pattern without '*' follows that one name the same way: a VM's tap
 * that `flowlane apply` names before the VM starts.
 *
 * A hooked device keeps two reasons (struct flowlane_dev): added by name,
 * matched by a pattern. It is unhooked, its flows torn down, when it has
 * neither, so a pattern never takes away a device the operator named.
 *
 * Everything here runs under RTNL, which also guards the pattern list.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "flowlane.h"

void flowlane_pat_net_init(struct flowlane_net *fn)
{
	INIT_LIST_HEAD(&fn->patterns);
	fn->npatterns = 0;
}

static bool flowlane_pat_matches(const struct flowlane_pattern *p,
				 const char *name)
{
	if (!p->wildcard)
		return !strcmp(name, p->prefix);
	return !strncmp(name, p->prefix, p->len);
}

static bool flowlane_pat_is_wildcard(const char *pattern)
{
	return pattern[strlen(pattern) - 1] == '*';
}

/* The pattern @name matches, or NULL: the one of that exact name if
 * any (what dev list shows), else the first wildcard.
 */
const struct flowlane_pattern *flowlane_pat_match(struct flowlane_net *fn,
						  const char *name)
{
	struct flowlane_pattern *p, *found = NULL;

	ASSERT_RTNL();
	list_for_each_entry(p, &fn->patterns, list) {
		if (!flowlane_pat_matches(p, name))
			continue;
		if (!p->wildcard)
			return p;
		if (!found)
			found = p;
	}
	return found;
}

/* The pattern written @pattern ("prefix*" or a name), or NULL. */
static struct flowlane_pattern *flowlane_pat_find(struct flowlane_net *fn,
						  const char *pattern)
{
	bool wildcard = flowlane_pat_is_wildcard(pattern);
	size_t len = strlen(pattern) - wildcard;
	struct flowlane_pattern *p;

	list_for_each_entry(p, &fn->patterns, list)
		if (p->wildcard == wildcard && p->len == len &&
		    !strncmp(p->prefix, pattern, len))
			return p;
	return NULL;
}

/* A name, or a prefix of at least one character followed by '*' (a bare
 * '*' would put every device, loopback included, on the fast path). The
 * netlink policy already bounds the length (IFNAMSIZ - 1 with the '*').
 */
static int flowlane_pat_check(const char *pattern,
			      struct netlink_ext_ack *extack)
{
	size_t len = strlen(pattern);

	if (!len) {
		NL_SET_ERR_MSG(extack, "empty device pattern");
		return -EINVAL;
	}
	if (!strcmp(pattern, "*")) {
		NL_SET_ERR_MSG(extack, "a device pattern needs a prefix before '*' (\"vmtap*\")");
		return -EINVAL;
	}
	return 0;
}

/* Hooks @dev for a pattern, or adds the pattern's reason to its hook. */
static int flowlane_pat_hook(struct flowlane_net *fn, struct net_device *dev,
			     struct netlink_ext_ack *extack)
{
	struct flowlane_dev *d = flowlane_ft_dev_of(fn, dev);

	if (!d) {
		d = flowlane_ft_dev_hook(fn, dev, extack);
		if (IS_ERR(d))
			return PTR_ERR(d);
	}
	d->by_pattern = true;
	return 0;
}

/* Drops the pattern reason of every device no pattern matches any more;
 * those not added by name are unhooked and their flows torn down.
 */
static void flowlane_pat_recheck(struct flowlane_net *fn)
{
	struct flowlane_dev *d, *next;

	list_for_each_entry_safe(d, next, &fn->devs, list) {
		if (!d->by_pattern || flowlane_pat_match(fn, d->dev->name))
			continue;
		d->by_pattern = false;
		if (!d->explicit)
			flowlane_ft_dev_unhook(fn, d);
	}
}

static void flowlane_pat_free(struct flowlane_net *fn,
			      struct flowlane_pattern *p)
{
	list_del(&p->list);
	fn->npatterns--;
	kfree(p);
}

int flowlane_pat_add(struct flowlane_net *fn, const char *pattern,
		     struct netlink_ext_ack *extack)
{
	struct flowlane_pattern *p;
	struct net_device *dev;
	int err;

	ASSERT_RTNL();
	err = flowlane_pat_check(pattern, extack);
	if (err)
		return err;
	if (flowlane_pat_find(fn, pattern)) {
		NL_SET_ERR_MSG(extack, "device pattern already added");
		return -EEXIST;
	}
	if (fn->npatterns >= FLOWLANE_MAX_PATTERNS) {
		NL_SET_ERR_MSG(extack, "too many device patterns in this namespace (limit "
			       __stringify(FLOWLANE_MAX_PATTERNS) ")");
		return -ENOSPC;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);	/* a tenant's, too */
	if (!p)
		return -ENOMEM;
	p->wildcard = flowlane_pat_is_wildcard(pattern);
	p->len = strlen(pattern) - p->wildcard;
	memcpy(p->prefix, pattern, p->len);
	list_add_tail(&p->list, &fn->patterns);
	fn->npatterns++;
	for_each_netdev(fn->net, dev) {
		if (!flowlane_pat_matches(p, dev->name))
			continue;
		err = flowlane_pat_hook(fn, dev, extack);
		if (err)
			goto err_hook;
	}
	return 0;

err_hook:
	/* All or nothing: the devices it alone hooked go again. */
	flowlane_pat_free(fn, p);
	flowlane_pat_recheck(fn);
	return err;
}

int flowlane_pat_del(struct flowlane_net *fn, const char *pattern,
		     struct netlink_ext_ack *extack)
{
	struct flowlane_pattern *p;
	int err;

	ASSERT_RTNL();
	err = flowlane_pat_check(pattern, extack);
	if (err)
		return err;
	p = flowlane_pat_find(fn, pattern);
	if (!p) {
		NL_SET_ERR_MSG(extack, "no such device pattern");
		return -ENOENT;
	}
	flowlane_pat_free(fn, p);
	flowlane_pat_recheck(fn);
	return 0;
}

/* NETDEV_REGISTER (also a device moved into the namespace) and
 * NETDEV_CHANGENAME of @dev in @fn's namespace; @d is its hook if it has
 * one. A failure to hook cannot be returned to anyone: it is counted on
 * the pattern (dev list shows it) and logged.
 */
void flowlane_pat_dev_event(struct flowlane_net *fn, struct net_device *dev,
			    struct flowlane_dev *d)
{
	struct flowlane_pattern *p;
	int err;

	ASSERT_RTNL();
	p = (struct flowlane_pattern *)flowlane_pat_match(fn, dev->name);
	if (!p) {
		if (d && d->by_pattern) {
			d->by_pattern = false;
			if (!d->explicit)
				flowlane_ft_dev_unhook(fn, d);
		}
		return;
	}
	err = flowlane_pat_hook(fn, dev, NULL);
	if (err) {
		p->hook_failures++;
		pr_warn_ratelimited("cannot hook device %s matching pattern %.*s%s: error %d\n",
				    dev->name, p->len, p->prefix,
				    p->wildcard ? "*" : "", err);
	}
}

/* Namespace exit: the patterns go first, so no device event hooks again
 * while the devices are unhooked.
 */
void flowlane_pat_net_exit(struct flowlane_net *fn)
{
	struct flowlane_pattern *p, *next;

	ASSERT_RTNL();
	list_for_each_entry_safe(p, next, &fn->patterns, list)
		flowlane_pat_free(fn, p);
}
