// SPDX-License-Identifier: GPL-2.0
/*
 * The module's side of `apply`, over the flowlane genl family (nl.c):
 * fast-path devices, default policy and tag mask, tags, and the flush of
 * the offloaded flows of every address whose rules changed, so that after
 * apply returns no packet of a flow the new rules deny takes the fast path.
 *
 * Like the nftables part it sends only differences: it reads the module's
 * devices, policy and tags first, so an unchanged document changes nothing
 * and flushes nothing.
 *
 * The tag, policy, device and flush commands come with the engine's uapi
 * header (FLOWLANE_TAG_NAME_LEN marks it); built against the skeleton header
 * without them, apply refuses to program the module and says why.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/genetlink.h>
#include <linux/flowlane.h>

#include "tool.h"
#include "nl.h"
#include "apply.h"
#include "verbs.h"

bool fl_module_api(void)
{
#ifdef FLOWLANE_TAG_NAME_LEN
	return true;
#else
	return false;
#endif
}

bool fl_module_present(void)
{
	struct fl_nl nl;

	if (fl_nl_open(&nl))
		return false;
	fl_nl_close(&nl);
	return true;
}

#ifdef FLOWLANE_TAG_NAME_LEN

struct ktag {
	char name[FLOWLANE_TAG_NAME_LEN];
	uint16_t id;
	uint8_t offload;
	uint32_t threshold, max_flows, timeout, mask;
	bool wanted;
};

struct klist {
	struct ktag *v;
	size_t n, cap;
	bool err;
	bool valid;	/* read from the module */
};

/* One TAG_GET or POLICY_GET reply, decoded by attrs.c (request.c's
 * client): the family's format is read in one place.
 */
static void keep_tag(const struct fl_attrs *a, void *data)
{
	struct klist *l = data;
	struct ktag *t;

	if (l->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct ktag *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	t = &l->v[l->n++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%.15s", a->str[FLOWLANE_A_TAG_NAME]);
	t->id = (uint16_t)a->u[FLOWLANE_A_TAG_ID];
	t->offload = (uint8_t)a->u[FLOWLANE_A_TAG_OFFLOAD];
	t->threshold = (uint32_t)a->u[FLOWLANE_A_TAG_THRESHOLD];
	t->max_flows = (uint32_t)a->u[FLOWLANE_A_TAG_MAX_FLOWS];
	t->timeout = (uint32_t)a->u[FLOWLANE_A_TAG_TIMEOUT];
	t->mask = (uint32_t)a->u[FLOWLANE_A_TAG_MASK];
}

/* @cmd's replies into @l; prints the error naming @what. */
static int read_tags(struct fl_nl *nl, const char *what, uint8_t cmd, uint16_t flags,
		     struct klist *l)
{
	if (fl_request(nl, what, cmd, flags, NULL, NULL, fl_tag_payloads, keep_tag, l))
		return -1;
	if (l->err) {
		fprintf(stderr, "flowlane: %s: out of memory\n", what);
		return -1;
	}
	return 0;
}

static void put_policy(struct nlmsghdr *nlh, bool offload, uint32_t threshold,
		       uint32_t max_flows, uint32_t timeout)
{
	mnl_attr_put_u8(nlh, FLOWLANE_A_TAG_OFFLOAD, offload);
	mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_THRESHOLD, threshold);
	mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_MAX_FLOWS, max_flows);
	mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_TIMEOUT, timeout);
}

/* Sends one request built in @nlh (attributes already added) through
 * request.c; prints the kernel's refusal naming @what.
 */
static int fill_copy(struct nlmsghdr *nlh, void *data)
{
	const struct nlmsghdr *src = data;
	size_t len = src->nlmsg_len - nlh->nlmsg_len;

	memcpy((char *)nlh + nlh->nlmsg_len, (const char *)src + nlh->nlmsg_len, len);
	nlh->nlmsg_len = src->nlmsg_len;
	return 0;
}

static int req(struct fl_nl *nl, struct nlmsghdr *nlh, const char *what, bool verbose)
{
	if (fl_request(nl, what, ((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
		       0, fill_copy, nlh, NULL, NULL, NULL))
		return -1;
	if (verbose)
		printf("module: %s\n", what);
	return 0;
}

/* The default policy and tag mask as @want has them. What the module had
 * goes to @was (if not NULL) once read.
 */
static int set_policy(struct fl_nl *nl, const struct ktag *want, bool verbose, struct klist *was)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct klist cur = { 0 };
	struct nlmsghdr *nlh;
	bool same;

	if (read_tags(nl, "apply: reading the default policy", FLOWLANE_CMD_POLICY_GET, 0,
		      &cur) || !cur.n) {
		free(cur.v);
		return -1;
	}
	cur.valid = true;
	same = cur.v[0].offload == want->offload && cur.v[0].threshold == want->threshold &&
	       cur.v[0].mask == want->mask;
	if (was)
		*was = cur;
	else
		free(cur.v);
	if (same)
		return 0;
	nlh = fl_nl_msg(nl, buf, FLOWLANE_CMD_POLICY_SET, 0);
	mnl_attr_put_u8(nlh, FLOWLANE_A_TAG_OFFLOAD, want->offload);
	mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_THRESHOLD, want->threshold);
	mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_MASK, want->mask);
	return req(nl, nlh, "apply: default policy", verbose);
}

static bool tag_same(const struct ktag *k, const struct ktag *t)
{
	return k->offload == t->offload && k->threshold == t->threshold &&
	       k->max_flows == t->max_flows && k->timeout == t->timeout;
}

static int tag_send(struct fl_nl *nl, uint8_t cmd, const struct ktag *t, const char *name,
		    bool verbose)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr *nlh = fl_nl_msg(nl, buf, cmd, 0);

	mnl_attr_put_strz(nlh, FLOWLANE_A_TAG_NAME, name);
	if (cmd == FLOWLANE_CMD_TAG_NEW)
		mnl_attr_put_u16(nlh, FLOWLANE_A_TAG_ID, t->id);
	if (t)
		put_policy(nlh, t->offload, t->threshold, t->max_flows, t->timeout);
	snprintf(what, sizeof(what), "apply: %s tag %s",
		 cmd == FLOWLANE_CMD_TAG_NEW ? "new" : cmd == FLOWLANE_CMD_TAG_SET ? "set" : "delete",
		 name);
	return req(nl, nlh, what, verbose);
}

/* Makes the module's tags the @n of @want. What it found goes to @was (if
 * not NULL) once read.
 */
static int sync_tags(struct fl_nl *nl, const struct ktag *want, size_t n, bool verbose,
		     struct klist *was)
{
	struct klist cur = { 0 };
	size_t i, k;
	int err = 0;

	if (read_tags(nl, "apply: reading the tags", FLOWLANE_CMD_TAG_GET, NLM_F_DUMP, &cur)) {
		free(cur.v);
		return -1;
	}
	cur.valid = true;
	/* Tags that go or change their id first: ids must stay unique. */
	for (k = 0; k < cur.n && !err; k++) {
		for (i = 0; i < n && strcmp(want[i].name, cur.v[k].name); i++)
			;
		cur.v[k].wanted = i < n && want[i].id == cur.v[k].id;
		if (!cur.v[k].wanted)
			err = tag_send(nl, FLOWLANE_CMD_TAG_DEL, NULL, cur.v[k].name, verbose);
	}
	for (i = 0; i < n && !err; i++) {
		const struct ktag *t = &want[i];

		for (k = 0; k < cur.n && !(cur.v[k].wanted && !strcmp(cur.v[k].name, t->name)); k++)
			;
		if (k == cur.n)
			err = tag_send(nl, FLOWLANE_CMD_TAG_NEW, t, t->name, verbose);
		else if (!tag_same(&cur.v[k], t))
			err = tag_send(nl, FLOWLANE_CMD_TAG_SET, t, t->name, verbose);
	}
	if (was)
		*was = cur;
	else
		free(cur.v);
	return err ? -1 : 0;
}

static int flush(struct fl_nl *nl, const struct fl_flush_addr *flush, size_t n, bool verbose)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	size_t i;

	/* The module flushes by address, not by prefix: a VM's IPv6 prefix
	 * whose rules changed takes every flow with it (over-flushing costs a
	 * slow-path packet per flow; under-flushing would let the fast path
	 * carry flows past the new rules).
	 */
	for (i = 0; i < n; i++)
		if (flush[i].len < (flush[i].family == AF_INET6 ? 128 : 32)) {
			nlh = fl_nl_msg(nl, buf, FLOWLANE_CMD_FLUSH, 0);
			return req(nl, nlh, "apply: flush all flows (a changed IPv6 prefix)",
				   verbose) ? -1 : 0;
		}
	for (i = 0; i < n; i++) {
		nlh = fl_nl_msg(nl, buf, FLOWLANE_CMD_FLUSH, 0);
		mnl_attr_put(nlh, FLOWLANE_A_FLUSH_ADDR, flush[i].family == AF_INET6 ? 16 : 4,
			     flush[i].addr);
		if (req(nl, nlh, "apply: flush the flows of a changed address", verbose))
			return -1;
	}
	return 0;
}

/* What the module had before apply changed it: each part as read just
 * before its first change (a part never reached was never changed).
 */
struct fl_module_before {
	struct klist policy;	/* one entry */
	struct fl_devs *devs;
	struct klist tags;
};

/* The document's tags as the module lists them. */
static struct ktag *wanted_tags(const struct fl_config *cfg)
{
	struct ktag *v = calloc(cfg->n_tags + 1, sizeof(*v));
	size_t i;

	for (i = 0; v && i < cfg->n_tags; i++) {
		snprintf(v[i].name, sizeof(v[i].name), "%s", cfg->tags[i].name);
		v[i].id = cfg->tags[i].id;
		v[i].offload = cfg->tags[i].offload;
		v[i].threshold = cfg->tags[i].threshold;
		v[i].max_flows = cfg->tags[i].max_flows;
		v[i].timeout = cfg->tags[i].timeout;
	}
	return v;
}

static int open_family(struct fl_nl *nl)
{
	int err = fl_nl_open(nl);

	if (err)
		fprintf(stderr, "flowlane: apply: %s\n", err == -ENOENT ? FL_MODULE_ABSENT_MSG :
			strerror(-err));
	return err;
}

int fl_module_apply(const struct fl_config *cfg, const struct fl_flush_addr *flush_addrs,
		    size_t n_flush, bool verbose, struct fl_module_before **before)
{
	struct ktag policy = { .offload = cfg->offload, .threshold = cfg->threshold,
			       .mask = cfg->tag_mask };
	struct ktag *tags = wanted_tags(cfg);
	struct fl_module_before *b = calloc(1, sizeof(*b));
	struct fl_nl nl;
	int err = -1;

	*before = b;
	if (!tags || !b) {
		fprintf(stderr, "flowlane: apply: out of memory\n");
		goto out;
	}
	if (open_family(&nl))
		goto out;
	err = set_policy(&nl, &policy, verbose, &b->policy) ||
	      fl_apply_devices(&nl, cfg, verbose, &b->devs) ||
	      sync_tags(&nl, tags, cfg->n_tags, verbose, &b->tags) ||
	      flush(&nl, flush_addrs, n_flush, verbose);
	fl_nl_close(&nl);
out:
	free(tags);
	return err ? -1 : 0;
}

int fl_module_restore(const struct fl_module_before *b)
{
	struct fl_nl nl;
	int err;

	if (!b->policy.valid && !b->devs && !b->tags.valid)
		return 0;	/* nothing was read, so nothing changed */
	if (open_family(&nl))
		return -1;
	err = (b->policy.valid && set_policy(&nl, b->policy.v, false, NULL)) ||
	      (b->devs && fl_restore_devices(&nl, b->devs)) ||
	      (b->tags.valid && sync_tags(&nl, b->tags.v, b->tags.n, false, NULL));
	fl_nl_close(&nl);
	return err ? -1 : 0;
}

void fl_module_before_free(struct fl_module_before *b)
{
	if (!b)
		return;
	free(b->policy.v);
	fl_devs_free(b->devs);
	free(b->tags.v);
	free(b);
}

#else /* the skeleton uapi header: no tags, policy, devices or flush yet */

int fl_module_apply(const struct fl_config *cfg, const struct fl_flush_addr *flush,
		    size_t n_flush, bool verbose, struct fl_module_before **before)
{
	(void)cfg;
	(void)flush;
	(void)n_flush;
	(void)verbose;
	*before = NULL;
	fprintf(stderr, "flowlane: apply: this flowlane was built without the module's "
		"tag and policy API (include/uapi/linux/flowlane.h); use --nft-only\n");
	return -1;
}

int fl_module_restore(const struct fl_module_before *before)
{
	(void)before;
	return -1;
}

void fl_module_before_free(struct fl_module_before *before)
{
	(void)before;
}

#endif
