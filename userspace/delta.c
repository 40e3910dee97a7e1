// SPDX-License-Identifier: GPL-2.0
/*
 * The new document as a difference from the last applied one.
 *
 * A VM's elements and chain depend on its own JSON object and on the frame
 * (tags, uplinks: docsplit.c). When the frame is the same text as in the
 * last applied document, a VM whose text is the same has the same elements
 * and chain, which the kernel already holds; only the other VMs are parsed:
 * the new and changed ones from the new text, the changed and removed ones
 * from the state's copy of the old text, to know what to delete.
 *
 * The checks across VMs (unique names, addresses, interfaces) cover the
 * new and changed VMs against all the others: unchanged VMs bring their
 * names, addresses and interfaces from the state, and passed the checks
 * among themselves when that document was applied (same frame, so same
 * uplinks and services). The frame's service backends were VMs of that
 * document: only a removed or changed VM can take one away, so the changed
 * VMs must bring back the backend addresses of the old ones (config.c).
 * Any failure here only means "parse it all":
 * the full path then accepts or refuses the document with its own words.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "delta.h"

static bool same_frame(const struct fl_state *st, const char *text,
		       const struct fl_doc_split *split)
{
	size_t pre = split->pre_len - split->start, suf = split->end - split->suf_off;

	return pre == st->pre_len - st->start && suf == st->end - st->suf_off &&
	       !memcmp(text + split->start, st->doc + st->start, pre) &&
	       !memcmp(text + split->suf_off, st->doc + st->suf_off, suf);
}

/* The document without its VMs: globals, tags, uplinks, services... */
static struct fl_config *parse_frame(const char *text, const char *source,
				     const struct fl_doc_split *split, char err[FL_ERR_MAX])
{
	size_t pre = split->pre_len - split->start, suf = split->end - split->suf_off;
	struct fl_config *cfg;
	char *frame;

	frame = malloc(pre + suf);
	if (!frame) {
		snprintf(err, FL_ERR_MAX, "out of memory");
		return NULL;
	}
	memcpy(frame, text + split->start, pre);
	memcpy(frame + pre, text + split->suf_off, suf);
	/* No VMs: their part of the checks comes with the changed ones. */
	cfg = fl_config_parse_frame(frame, pre + suf, source, err);
	free(frame);
	return cfg;
}

/* The old VMs by the hash of their text, each matched at most once. */
struct match {
	const struct fl_state *st;
	uint32_t *slot;			/* record index + 1; 0: empty */
	size_t mask;
	bool *taken;
};

static int match_init(struct match *m, const struct fl_state *st)
{
	size_t cap = 16, i, k;

	while (cap < 2 * st->n_vms)
		cap *= 2;
	m->st = st;
	m->mask = cap - 1;
	m->slot = calloc(cap, sizeof(*m->slot));
	m->taken = calloc(st->n_vms + 1, sizeof(*m->taken));
	if (!m->slot || !m->taken)
		return -1;
	for (i = 0; i < st->n_vms; i++) {
		for (k = st->vms[i].hash & m->mask; m->slot[k]; k = (k + 1) & m->mask)
			;
		m->slot[k] = i + 1;
	}
	return 0;
}

/* The unclaimed old VM whose text is @s's, or -1. */
static long match_take(struct match *m, const char *text, const struct fl_slice *s)
{
	size_t k;

	for (k = s->hash & m->mask; m->slot[k]; k = (k + 1) & m->mask) {
		size_t r = m->slot[k] - 1;
		const struct fl_state_vm *v = &m->st->vms[r];

		if (m->taken[r] || v->hash != s->hash || v->len != s->len ||
		    memcmp(m->st->doc + v->off, text + s->off, s->len))
			continue;
		m->taken[r] = true;
		return r;
	}
	return -1;
}

static void match_free(struct match *m)
{
	free(m->slot);
	free(m->taken);
}

/* An unchanged VM: what the checks and the next state need. */
static void vm_from_state(struct fl_vm *vm, const struct fl_state *st, const struct fl_state_vm *r)
{
	_Static_assert(sizeof(vm->name) == sizeof(r->name), "names fit");
	memset(vm, 0, sizeof(*vm));
	memcpy(vm->name, r->name, sizeof(vm->name));	/* NUL-terminated: state.c */
	vm->has_ipv4 = r->has_ipv4;
	vm->has_ipv6 = r->has_ipv6;
	vm->has_public = r->has_public;
	vm->n_ipv4 = r->n_ipv4;
	vm->ipv6_len = r->ipv6_len;
	_Static_assert(sizeof(vm->ipv4) == sizeof(r->ipv4), "addresses fit");
	memcpy(vm->ipv4, r->ipv4, sizeof(vm->ipv4));
	memcpy(&vm->public_ipv4, r->public_ipv4, 4);
	memcpy(&vm->ipv6, r->ipv6, 16);
	/* The state's table, mapped until the delta is freed: 10,000
	 * allocations less on every apply.
	 */
	vm->ifaces = (char (*)[IFNAMSIZ])st->ifaces[r->iface];
	vm->ifaces_borrowed = true;
	vm->n_ifaces = r->n_ifaces;
}

/* Zeroed memory for @n objects of @size, from huge pages when it is a
 * megabyte or more (the VMs of a 10,000-VM document, all written through):
 * the first write to each small page is a fault, and on a virtualised host
 * an exit to the hypervisor too, which made this array the largest part of
 * a one-VM change (bench/apply.sh; THP off or refused: small pages as
 * before). free() releases it.
 */
static void *calloc_big(size_t n, size_t size)
{
	const size_t huge = 2 << 20;
	size_t len;
	void *p;

	if (size && n > (SIZE_MAX - huge) / size)	/* n * size + huge overflows */
		return NULL;
	if (n * size < huge / 2)
		return calloc(n, size);
	len = (n * size + huge - 1) & ~(huge - 1);
	p = aligned_alloc(huge, len);
	if (!p)
		return NULL;
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0, n * size);
	return p;
}

/* cfg->vms in the new document's order, unchanged ones from the state. */
static int new_vms(struct fl_delta *d, struct match *m, const struct fl_state *st,
		   const char *text, const struct fl_doc_split *split, char err[FL_ERR_MAX])
{
	struct fl_config *cfg = d->cfg;
	size_t i;
	long r;

	free(cfg->vms);
	cfg->vms = calloc_big(split->n_vms + 1, sizeof(*cfg->vms));
	d->new = calloc(split->n_vms + 1, sizeof(*d->new));
	if (!cfg->vms || !d->new) {
		snprintf(err, FL_ERR_MAX, "out of memory");
		return -1;
	}
	cfg->n_vms = split->n_vms;
	for (i = 0; i < split->n_vms; i++) {
		r = match_take(m, text, &split->vms[i]);
		if (r >= 0) {
			vm_from_state(&cfg->vms[i], st, &st->vms[r]);
			continue;
		}
		if (fl_config_parse_vm(cfg, i, text + split->vms[i].off, split->vms[i].len,
				       &cfg->vms[i], err))
			return -1;
		d->new[d->n_new++] = &cfg->vms[i];
	}
	return 0;
}

/* The old VMs no new text matched: removed or changed. */
static int old_vms(struct fl_delta *d, struct match *m, const struct fl_state *st,
		   char err[FL_ERR_MAX])
{
	size_t i;

	d->old = calloc(st->n_vms + 1, sizeof(*d->old));
	if (!d->old) {
		snprintf(err, FL_ERR_MAX, "out of memory");
		return -1;
	}
	for (i = 0; i < st->n_vms; i++) {
		const struct fl_state_vm *v = &st->vms[i];

		if (m->taken[i])
			continue;
		/* The checksum covers the records, not the document. */
		if (fl_hash64(st->doc + v->off, v->len) != v->hash) {
			snprintf(err, FL_ERR_MAX, "vms[%zu] does not match its record", i);
			return -1;
		}
		if (fl_config_parse_vm(d->cfg, i, st->doc + v->off, v->len, &d->old[d->n_old],
				       err))
			return -1;
		d->n_old++;
	}
	return 0;
}

int fl_delta_make(struct fl_delta *d, const struct fl_state *st, const char *text,
		  const char *source, const struct fl_doc_split *split,
		  char *why, size_t size)
{
	char err[FL_ERR_MAX];
	struct match m = { 0 };
	int ret = -1;

	memset(d, 0, sizeof(*d));
	if (!same_frame(st, text, split)) {
		snprintf(why, size, "the document outside 'vms' changed");
		return -1;
	}
	d->cfg = parse_frame(text, source, split, err);
	if (!d->cfg) {
		snprintf(why, size, "%s", err);
		return -1;
	}
	if (match_init(&m, st)) {
		snprintf(why, size, "out of memory");
		goto out;
	}
	if (new_vms(d, &m, st, text, split, err)) {
		snprintf(why, size, "%s", err);
		goto out;
	}
	if (old_vms(d, &m, st, err)) {
		snprintf(why, size, "the applied document's %s", err);
		goto out;
	}
	if (fl_config_check_changed(d->cfg, d->new, d->n_new, d->old, d->n_old, err)) {
		snprintf(why, size, "%s", err);
		goto out;
	}
	ret = 0;
out:
	match_free(&m);
	if (ret)
		fl_delta_free(d);
	return ret;
}

void fl_delta_free(struct fl_delta *d)
{
	size_t i;

	for (i = 0; i < d->n_old; i++)
		fl_vm_clear(&d->old[i]);
	free(d->old);
	free(d->new);
	fl_config_free(d->cfg);
	memset(d, 0, sizeof(*d));
}
