// SPDX-License-Identifier: GPL-2.0
/*
 * The module's devices as a document wants them, through the tool's one
 * netlink client (request.c, attrs.c):
 *
 *   - fastpath.devices: a name is added by name (it must exist, as with
 *     `flowlane dev add`); a name ending in '*' ("vmtap-web*") is a pattern
 *     the module follows;
 *   - when the document has `fastpath`, every uplink and every VM interface
 *     is followed by name: the module hooks it when it appears (a VM's tap
 *     made after apply, a bond the network service creates late).
 *
 * Only differences are sent, additions first: a device that moves from one
 * reason to another (by name to followed) stays hooked, its flows go on.
 */
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "apply.h"
#include "config.h"
#include "verbs.h"

#ifdef FLOWLANE_TAG_NAME_LEN

/* A sorted, unique list of names. */
struct names {
	char (*v)[IFNAMSIZ];
	size_t n, cap;
	bool *seen;		/* per name: wanted (current lists only) */
};

static int names_push(struct names *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char (*v)[IFNAMSIZ] = realloc(l->v, cap * IFNAMSIZ);

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	snprintf(l->v[l->n++], IFNAMSIZ, "%s", name);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Sorts, drops duplicates, and gives every name a "seen" flag. */
static int names_seal(struct names *l)
{
	size_t i, k = 0;

	if (l->n)
		qsort(l->v, l->n, IFNAMSIZ, name_cmp);
	for (i = 0; i < l->n; i++)
		if (!k || strcmp(l->v[k - 1], l->v[i]))
			memmove(l->v[k++], l->v[i], IFNAMSIZ);
	l->n = k;
	l->seen = calloc(l->n + 1, sizeof(*l->seen));
	return l->seen ? 0 : -1;
}

static ssize_t names_find(const struct names *l, const char *name)
{
	const char (*hit)[IFNAMSIZ] = l->n ? bsearch(name, l->v, l->n, IFNAMSIZ, name_cmp) : NULL;

	return hit ? hit - l->v : -1;
}

static void names_free(struct names *l)
{
	free(l->v);
	free(l->seen);
}

static bool is_pattern(const char *name)
{
	return name[strlen(name) - 1] == '*';
}

/* What the document wants: @byname added by name, @follow followed. */
static int wanted(const struct fl_config *cfg, struct names *byname, struct names *follow)
{
	size_t i, k;
	int err = 0;

	for (i = 0; i < cfg->n_devices; i++)
		err |= names_push(is_pattern(cfg->devices[i]) ? follow : byname,
				  cfg->devices[i]);
	if (cfg->has_fastpath) {
		for (i = 0; i < cfg->n_uplinks; i++)
			err |= names_push(follow, cfg->uplinks[i]);
		for (i = 0; i < cfg->n_vms; i++)
			for (k = 0; k < cfg->vms[i].n_ifaces; k++)
				err |= names_push(follow, cfg->vms[i].ifaces[k]);
	}
	return err || names_seal(byname) || names_seal(follow) ? -1 : 0;
}

/* The module's lists, from the DEV_GET dump (also what fl_apply_devices
 * found, for fl_restore_devices). A module older than FLOWLANE_A_DEV_EXPLICIT
 * added every device by name.
 */
struct fl_devs {
	struct names byname, follow;
	int err;
};

static void keep_current(const struct fl_attrs *a, void *data)
{
	struct fl_devs *c = data;

	if (!a->has[FLOWLANE_A_DEV_IFINDEX])
		c->err |= names_push(&c->follow, a->str[FLOWLANE_A_DEV_PATTERN]);
	else if (!a->has[FLOWLANE_A_DEV_EXPLICIT] || a->u[FLOWLANE_A_DEV_EXPLICIT])
		c->err |= names_push(&c->byname, a->str[FLOWLANE_A_DEV_NAME]);
}

void fl_devs_free(struct fl_devs *devs)
{
	if (!devs)
		return;
	names_free(&devs->byname);
	names_free(&devs->follow);
	free(devs);
}

struct change {
	int attr;
	const char *name;
};

static int fill_change(struct nlmsghdr *nlh, void *data)
{
	const struct change *ch = data;

	mnl_attr_put_strz(nlh, ch->attr, ch->name);
	return 0;
}

static int send_change(struct fl_nl *nl, uint8_t cmd, int attr, const char *name,
		       bool verbose)
{
	struct change ch = { attr, name };
	char what[96];

	snprintf(what, sizeof(what), "apply: fast path %s %s%s",
		 cmd == FLOWLANE_CMD_DEV_ADD ? "on" : "off",
		 attr == FLOWLANE_A_DEV_PATTERN ? "devices named " : "", name);
	if (fl_request(nl, what, cmd, 0, fill_change, &ch, NULL, NULL, NULL))
		return -1;
	if (verbose)
		printf("module: %s\n", what);
	return 0;
}

/* Adds what @want has and @cur lacks, marking in @cur what stays. */
static int add_missing(struct fl_nl *nl, const struct names *want, struct names *cur,
		       int attr, bool verbose)
{
	ssize_t k;
	size_t i;

	for (i = 0; i < want->n; i++) {
		k = names_find(cur, want->v[i]);
		if (k >= 0)
			cur->seen[k] = true;
		else if (send_change(nl, FLOWLANE_CMD_DEV_ADD, attr, want->v[i], verbose))
			return -1;
	}
	return 0;
}

static int del_unwanted(struct fl_nl *nl, const struct names *cur, int attr, bool verbose)
{
	size_t i;

	for (i = 0; i < cur->n; i++)
		if (!cur->seen[i] &&
		    send_change(nl, FLOWLANE_CMD_DEV_DEL, attr, cur->v[i], verbose))
			return -1;
	return 0;
}

/* Makes the module's lists @byname and @follow, additions first. What it
 * found goes to @before (if not NULL) as soon as it is read, so that a
 * failure half way can be undone.
 */
static int sync_devices(struct fl_nl *nl, const struct names *byname,
			const struct names *follow, bool verbose, struct fl_devs **before)
{
	struct fl_devs *cur = calloc(1, sizeof(*cur));
	bool handed = false;
	int err = -1;

	if (!cur) {
		fprintf(stderr, "flowlane: apply: out of memory\n");
		return -1;
	}
	if (fl_request(nl, "apply: reading the fast-path devices", FLOWLANE_CMD_DEV_GET,
		       NLM_F_DUMP, NULL, NULL, fl_dev_payloads, keep_current, cur))
		goto out;
	if (cur->err || names_seal(&cur->byname) || names_seal(&cur->follow)) {
		fprintf(stderr, "flowlane: apply: out of memory\n");
		goto out;
	}
	if (before) {
		*before = cur;
		handed = true;
	}
	err = add_missing(nl, follow, &cur->follow, FLOWLANE_A_DEV_PATTERN, verbose) ||
	      add_missing(nl, byname, &cur->byname, FLOWLANE_A_DEV_NAME, verbose) ||
	      del_unwanted(nl, &cur->byname, FLOWLANE_A_DEV_NAME, verbose) ||
	      del_unwanted(nl, &cur->follow, FLOWLANE_A_DEV_PATTERN, verbose) ? -1 : 0;
out:
	if (!handed)
		fl_devs_free(cur);
	return err;
}

int fl_apply_devices(struct fl_nl *nl, const struct fl_config *cfg, bool verbose,
		     struct fl_devs **before)
{
	struct names byname = { 0 }, follow = { 0 };
	int err = -1;

	if (wanted(cfg, &byname, &follow))
		fprintf(stderr, "flowlane: apply: out of memory\n");
	else
		err = sync_devices(nl, &byname, &follow, verbose, before);
	names_free(&byname);
	names_free(&follow);
	return err;
}

int fl_restore_devices(struct fl_nl *nl, const struct fl_devs *before)
{
	return sync_devices(nl, &before->byname, &before->follow, false, NULL);
}

#endif
