// SPDX-License-Identifier: GPL-2.0
/*
 * The apply document cut into its VMs, without building it.
 *
 * Parsing a document of 10,000 VMs with jansson takes longer than the
 * 50 ms a one-VM change may take, so apply's incremental path (delta.c)
 * compares the text instead: each element of the top-level "vms" array is
 * a slice, everything else is the frame. Slices equal to the last applied
 * document's need no parsing; the frame and the changed slices still go
 * through jansson.
 *
 * The scanner follows JSON's structure (strings with their escapes,
 * nesting, commas) just enough to find the boundaries; it leaves the
 * validation of values to jansson. What it cannot follow, it refuses, and
 * apply then parses the whole document.
 */
#include <stdlib.h>
#include <string.h>

#include "delta.h"

/* Four independent lanes of eight bytes: the multiplications of one lane
 * wait for each other, those of four overlap. The slices of a large
 * document and the state's records are hashed on every apply.
 */
static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

uint64_t fl_hash64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t a = 0x9e3779b97f4a7c15ull ^ len, b = 0x6a09e667f3bcc909ull,
		 c = 0xbb67ae8584caa73bull, d = 0x3c6ef372fe94f82bull, w[4];

	for (; len >= 32; p += 32, len -= 32) {
		memcpy(w, p, 32);
		a = mix(a, w[0]);
		b = mix(b, w[1]);
		c = mix(c, w[2]);
		d = mix(d, w[3]);
	}
	a = mix(mix(mix(a, b), c), d);
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(w, p, 8);
		a = mix(a, w[0]);
	}
	w[0] = 0;
	if (len)
		memcpy(w, p, len);
	a = (a ^ w[0]) * 0xc4ceb9fe1a85ec53ull;
	return a ^ (a >> 29);
}

struct scan {
	const char *s;
	size_t len, i;
};

static void skip_ws(struct scan *c)
{
	while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
				 c->s[c->i] == '\n' || c->s[c->i] == '\r'))
		c->i++;
}

static bool eat(struct scan *c, char ch)
{
	if (c->i < c->len && c->s[c->i] == ch) {
		c->i++;
		return true;
	}
	return false;
}

/* What ends a run of ordinary characters in a string, and in a nested
 * value: the scanner passes megabytes and looks only at these.
 */
static const bool string_stop[256] = { [0 ... 0x1f] = true, ['"'] = true, ['\\'] = true };
static const bool nest_stop[256] = {
	['"'] = true, ['{'] = true, ['['] = true, ['}'] = true, [']'] = true,
};

/* At the opening quote; moves past the closing one. */
static int skip_string(struct scan *c)
{
	const unsigned char *s = (const unsigned char *)c->s;

	for (c->i++; c->i < c->len; c->i++) {
		while (c->i < c->len && !string_stop[s[c->i]])
			c->i++;
		if (c->i >= c->len || s[c->i] < 0x20)
			return -1;	/* jansson refuses it: let it say so */
		if (s[c->i] == '"') {
			c->i++;
			return 0;
		}
		c->i++;			/* the escaped character */
	}
	return -1;
}

/* A literal (number, true, false, null) ends where a separator begins. */
static int skip_literal(struct scan *c)
{
	size_t start = c->i;

	while (c->i < c->len && !strchr(",]} \t\n\r", c->s[c->i]))
		c->i++;
	return c->i > start ? 0 : -1;
}

/* Any value: a string, a nested object or array, or a literal. Inside a
 * nested value only strings and brackets matter.
 */
static int skip_value(struct scan *c)
{
	const unsigned char *s = (const unsigned char *)c->s;
	size_t depth = 0;

	if (c->i >= c->len)
		return -1;
	if (s[c->i] == '"')
		return skip_string(c);
	if (s[c->i] != '{' && s[c->i] != '[')
		return skip_literal(c);
	for (;;) {
		while (c->i < c->len && !nest_stop[s[c->i]])
			c->i++;
		if (c->i >= c->len)
			return -1;
		if (s[c->i] == '"') {
			if (skip_string(c))
				return -1;
		} else if (s[c->i] == '{' || s[c->i] == '[') {
			depth++;
			c->i++;
		} else {
			c->i++;
			if (!--depth)
				return 0;
		}
	}
}

static int push_slice(struct fl_doc_split *d, size_t off, size_t len, const char *text)
{
	if (d->n_vms == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		struct fl_slice *v = realloc(d->vms, cap * sizeof(*v));

		if (!v)
			return -1;
		d->vms = v;
		d->cap = cap;
	}
	d->vms[d->n_vms++] = (struct fl_slice){ off, len, fl_hash64(text + off, len) };
	return 0;
}

/* At the '[' of "vms": one slice per element. */
static int split_vms(struct scan *c, struct fl_doc_split *d)
{
	size_t start;

	c->i++;
	d->pre_len = c->i;
	skip_ws(c);
	if (c->i < c->len && c->s[c->i] == ']') {
		d->suf_off = c->i++;
		return 0;
	}
	for (;;) {
		start = c->i;
		if (skip_value(c) || push_slice(d, start, c->i - start, c->s))
			return -1;
		skip_ws(c);
		if (c->i < c->len && c->s[c->i] == ']') {
			d->suf_off = c->i++;
			return 0;
		}
		if (!eat(c, ','))
			return -1;
		skip_ws(c);
	}
}

static int split_members(struct scan *c, struct fl_doc_split *d)
{
	bool seen = false, vms;
	size_t key;

	for (;;) {
		skip_ws(c);
		key = c->i;
		if (c->i >= c->len || c->s[c->i] != '"' || skip_string(c))
			return -1;
		/* A key spelled with escapes is not recognised: the whole
		 * document is then the frame, which is slow but right.
		 */
		vms = c->i - key == 5 && !memcmp(c->s + key, "\"vms\"", 5);
		skip_ws(c);
		if (!eat(c, ':'))
			return -1;
		skip_ws(c);
		if (vms && c->i < c->len && c->s[c->i] == '[') {
			if (seen || split_vms(c, d))
				return -1;
			seen = true;
		} else if (skip_value(c)) {
			return -1;
		}
		skip_ws(c);
		if (eat(c, '}'))
			return 0;
		if (!eat(c, ','))
			return -1;
	}
}

int fl_doc_split(const char *text, size_t len, struct fl_doc_split *d)
{
	struct scan c = { text, len, 0 };

	memset(d, 0, sizeof(*d));
	skip_ws(&c);
	d->start = c.i;
	if (!eat(&c, '{'))
		goto fail;
	skip_ws(&c);
	if (!eat(&c, '}') && split_members(&c, d))
		goto fail;
	d->end = c.i;
	if (!d->pre_len)
		d->pre_len = d->suf_off = d->end;	/* no "vms": all frame */
	skip_ws(&c);
	if (c.i == c.len)
		return 0;
fail:
	fl_doc_split_free(d);
	return -1;
}

void fl_doc_split_free(struct fl_doc_split *d)
{
	free(d->vms);
	d->vms = NULL;
	d->n_vms = d->cap = 0;
}
