// SPDX-License-Identifier: GPL-2.0
/*
 * A rule in nft's words, for the lines of `diff` and `apply -v` (the drift
 * check compares fl_rule_text(); these words are for people): what
 * `nft list` prints for the common expressions, e.g.
 *   ip saddr 198.51.100.0/24 tcp dport 22 accept
 *   iifname . ip saddr != @vm_src4 counter drop
 *
 * It follows the registers: a load (meta, payload, ct, lookup with data,
 * numgen, hash, immediate) names what a register holds; the expression
 * that reads it (cmp, range, lookup, nat, ct set...) prints that name with
 * the value in the words of its type. As nft does, a protocol match that
 * a payload depends on ("meta nfproto ipv4" before "ip saddr", "meta
 * l4proto tcp" before "tcp dport") is left out. Counters show no values
 * (the check ignores them). An expression it does not know, or a register
 * nothing loaded, is printed in libnftnl's words ("[ name ... ]").
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "nft.h"

#define SLOTS	16		/* 4-byte registers */
#define STMTS	48
#define TEXT	192

/* How a value compared with a register reads. */
enum vtype { V_HEX, V_INT, V_IP4, V_IP6, V_PORT, V_PROTO, V_NFPROTO, V_IFNAME,
	     V_CTSTATE, V_CTDIR };

/* A protocol match that later payloads may depend on. */
enum { CTX_NONE, CTX_L3, CTX_L4 };

struct reg {
	char text[TEXT];
	enum vtype type;
	uint32_t len;		/* bytes loaded */
	uint32_t seq;		/* load order; 0: nothing loaded here */
	bool used;		/* read since loaded: no longer part of a concatenation */
	int ctx;
	bool masked;		/* a bitwise and since loaded */
	uint8_t mask[16];
	bool imm;		/* an immediate's data, in data[] */
	uint8_t data[16];
};

struct words {
	int family;		/* the table's */
	int l3, l3_dep;		/* 4 or 6, and the statement that matched it */
	int l4, l4_dep;
	uint32_t seq;
	struct reg r[SLOTS];
	int n;
	/* Not cleared per rule (a diff at 10,000 VMs says 30,000 rules):
	 * each is written before it is read.
	 */
	bool hide[STMTS];
	char stmt[STMTS][TEXT];
};

/* NFT_REG_1..4 hold 4-byte registers 0-3, 4-7...; NFT_REG32_00.. one each. */
static int slot(uint32_t reg)
{
	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		return (reg - NFT_REG_1) * 4;
	if (reg >= NFT_REG32_00 && reg <= NFT_REG32_15)
		return reg - NFT_REG32_00;
	return -1;
}

static uint32_t nslots(uint32_t len)
{
	return len ? (len + 3) / 4 : 1;
}

__attribute__((format(printf, 2, 3)))
static int stmt(struct words *w, const char *fmt, ...)
{
	va_list ap;

	if (w->n == STMTS)
		return -1;
	va_start(ap, fmt);
	vsnprintf(w->stmt[w->n], TEXT, fmt, ap);
	va_end(ap);
	w->hide[w->n] = false;
	return w->n++;
}

static void hide(struct words *w, int i)
{
	if (i >= 0)
		w->hide[i] = true;
}

/* An expression in libnftnl's words, as fl_rule_text() prints it. */
static void raw(struct words *w, struct nftnl_expr *e)
{
	char buf[TEXT];

	nftnl_expr_snprintf(buf, sizeof(buf), e, NFTNL_OUTPUT_DEFAULT, 0);
	stmt(w, "[ %s %s]", nftnl_expr_get_str(e, NFTNL_EXPR_NAME), buf);
}

__attribute__((format(printf, 5, 6)))
static struct reg *load(struct words *w, uint32_t dreg, enum vtype type, uint32_t len,
			const char *fmt, ...)
{
	int s = slot(dreg);
	struct reg *r;
	uint32_t i;
	va_list ap;

	if (s < 0)
		return NULL;
	r = &w->r[s];
	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	r->type = type;
	r->len = len;
	r->seq = ++w->seq;
	/* The rest of a long value overwrites the next registers. */
	for (i = 1; i < nslots(len) && s + i < SLOTS; i++)
		memset(&w->r[s + i], 0, sizeof(w->r[0]));
	return r;
}

static struct reg *reg_of(struct words *w, struct nftnl_expr *e, uint16_t attr)
{
	int s;

	if (!nftnl_expr_is_set(e, attr))
		return NULL;
	s = slot(nftnl_expr_get_u32(e, attr));
	return s < 0 || !w->r[s].seq ? NULL : &w->r[s];
}

/* The key a lookup or hash reads at @sreg: the register's value and the
 * values loaded after it in the registers that follow (a concatenation,
 * "ip daddr . meta l4proto . th dport").
 */
static bool concat(struct words *w, uint32_t sreg, char *buf, size_t size)
{
	int s = slot(sreg);
	size_t off = 0;
	uint32_t prev;

	if (s < 0 || !w->r[s].seq)
		return false;
	buf[0] = '\0';
	do {
		struct reg *r = &w->r[s];

		if (off < size)
			off += snprintf(buf + off, size - off, "%s%s", off ? " . " : "", r->text);
		r->used = true;
		prev = r->seq;
		s += nslots(r->len);
	} while (s < SLOTS && w->r[s].seq > prev && !w->r[s].used);
	return true;
}

/* --- values --- */

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 33: return "dccp";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "ipv6-icmp";
	case 132: return "sctp";
	case 136: return "udplite";
	default: return NULL;
	}
}

static void fmt_hex(char *buf, size_t size, const uint8_t *d, uint32_t len)
{
	size_t off;
	uint32_t i, u;

	if (len == 4) {
		memcpy(&u, d, 4);	/* host order: marks, as nft prints them */
		snprintf(buf, size, "0x%08x", u);
		return;
	}
	off = snprintf(buf, size, "0x");
	for (i = 0; i < len && off + 3 < size; i++)
		off += snprintf(buf + off, size - off, "%02x", d[i]);
}

static void fmt_ctstate(char *buf, size_t size, uint32_t bits)
{
	static const struct { uint32_t bit; const char *name; } st[] = {
		{ 0x01, "invalid" }, { 0x02, "established" }, { 0x04, "related" },
		{ 0x08, "new" }, { 0x40, "untracked" },
	};
	size_t off = 0, i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(st) / sizeof(st[0]) && off < size; i++)
		if (bits & st[i].bit) {
			off += snprintf(buf + off, size - off, "%s%s", off ? "," : "", st[i].name);
			bits &= ~st[i].bit;
		}
	if ((bits || !off) && off < size)
		snprintf(buf + off, size - off, "%s0x%x", off ? "," : "", bits);
}

static void fmt_value(char *buf, size_t size, enum vtype t, const uint8_t *d, uint32_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port;
	uint32_t u;
	size_t n;

	if (t == V_IP4 && len == 4 && inet_ntop(AF_INET, d, a, sizeof(a))) {
		snprintf(buf, size, "%s", a);
	} else if (t == V_IP6 && len == 16 && inet_ntop(AF_INET6, d, a, sizeof(a))) {
		snprintf(buf, size, "%s", a);
	} else if (t == V_PORT && len == 2) {
		memcpy(&port, d, 2);
		snprintf(buf, size, "%u", ntohs(port));
	} else if (t == V_PROTO && len >= 1) {
		if (proto_name(d[0]))
			snprintf(buf, size, "%s", proto_name(d[0]));
		else
			snprintf(buf, size, "%u", d[0]);
	} else if (t == V_NFPROTO && len >= 1 && (d[0] == NFPROTO_IPV4 || d[0] == NFPROTO_IPV6)) {
		snprintf(buf, size, "%s", d[0] == NFPROTO_IPV4 ? "ipv4" : "ipv6");
	} else if (t == V_IFNAME) {
		/* Without its NUL, a name prefix: nft writes it "veth*". */
		n = strnlen((const char *)d, len);
		snprintf(buf, size, "\"%.*s%s\"", (int)n, (const char *)d, n == len ? "*" : "");
	} else if (t == V_CTDIR && len >= 1 && d[0] <= 1) {
		snprintf(buf, size, "%s", d[0] ? "reply" : "original");
	} else if (t == V_CTSTATE && len == 4) {
		memcpy(&u, d, 4);
		fmt_ctstate(buf, size, u);
	} else if (t == V_INT && (len == 1 || len == 2 || len == 4)) {
		uint16_t h;

		u = d[0];
		if (len == 2) {
			memcpy(&h, d, 2);
			u = h;
		} else if (len == 4) {
			memcpy(&u, d, 4);
		}
		snprintf(buf, size, "%u", u);
	} else {
		fmt_hex(buf, size, d, len);
	}
}

/* The length of the prefix @mask is, or -1. */
static int prefix_len(const uint8_t *mask, uint32_t len)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < len * 8; i++) {
		bool one = mask[i / 8] & (0x80 >> (i % 8));

		if (one && n != (int)i)
			return -1;
		n += one;
	}
	return n;
}

static const char *op_str(uint32_t op)
{
	switch (op) {
	case NFT_CMP_EQ: return "";
	case NFT_CMP_NEQ: return "!= ";
	case NFT_CMP_LT: return "< ";
	case NFT_CMP_LTE: return "<= ";
	case NFT_CMP_GT: return "> ";
	default: return ">= ";
	}
}

/* --- loads --- */

/* A key the expression sets from its sreg ("NAME set VALUE") or loads
 * into its dreg (the register then holds NAME, returned); anything else
 * in libnftnl's words. NULL when no register was loaded.
 */
static struct reg *set_or_load(struct words *w, struct nftnl_expr *e,
			       uint16_t sreg, uint16_t dreg, const char *name,
			       enum vtype type, uint32_t len)
{
	struct reg *r = NULL, *src;

	if (nftnl_expr_is_set(e, sreg)) {
		src = reg_of(w, e, sreg);
		if (!src) {
			raw(w, e);
			return NULL;
		}
		src->used = true;
		stmt(w, "%s set %s", name, src->text);
		return NULL;
	}
	if (nftnl_expr_is_set(e, dreg))
		r = load(w, nftnl_expr_get_u32(e, dreg), type, len, "%s", name);
	if (!r)
		raw(w, e);
	return r;
}

static void x_meta(struct words *w, struct nftnl_expr *e)
{
	static const struct { uint32_t key; const char *name; enum vtype type; uint32_t len; } m[] = {
		{ NFT_META_LEN, "meta length", V_INT, 4 },
		{ NFT_META_PROTOCOL, "meta protocol", V_HEX, 2 },
		{ NFT_META_MARK, "meta mark", V_HEX, 4 },
		{ NFT_META_IIF, "iif", V_INT, 4 },
		{ NFT_META_OIF, "oif", V_INT, 4 },
		{ NFT_META_IIFNAME, "iifname", V_IFNAME, 16 },
		{ NFT_META_OIFNAME, "oifname", V_IFNAME, 16 },
		{ NFT_META_SKUID, "meta skuid", V_INT, 4 },
		{ NFT_META_SKGID, "meta skgid", V_INT, 4 },
		{ NFT_META_NFPROTO, "meta nfproto", V_NFPROTO, 1 },
		{ NFT_META_L4PROTO, "meta l4proto", V_PROTO, 1 },
		{ NFT_META_PKTTYPE, "meta pkttype", V_INT, 1 },
	};
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY);
	enum vtype type = V_HEX;
	uint32_t len = 4;
	char name[32];
	struct reg *r;
	size_t i;

	snprintf(name, sizeof(name), "meta key %u", key);
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (m[i].key == key)
			break;
	if (i < sizeof(m) / sizeof(m[0])) {
		snprintf(name, sizeof(name), "%s", m[i].name);
		type = m[i].type;
		len = m[i].len;
	}
	r = set_or_load(w, e, NFTNL_EXPR_META_SREG, NFTNL_EXPR_META_DREG, name, type, len);
	if (r && key == NFT_META_NFPROTO)
		r->ctx = CTX_L3;
	else if (r && key == NFT_META_L4PROTO)
		r->ctx = CTX_L4;
}

/* A network or transport header field by name, once the protocol is known. */
static bool payload_name(struct words *w, uint32_t base, uint32_t off, uint32_t len,
			 char *name, size_t size, enum vtype *type, int *ctx)
{
	const char *l4 = proto_name(w->l4);
	static const char *const fld[] = { "sport", "dport" };

	*ctx = CTX_NONE;
	/* An address may be loaded in part: a prefix's first bytes. */
	if (base == NFT_PAYLOAD_NETWORK_HEADER && w->l3 == 4) {
		if ((off == 12 || off == 16) && len >= 1 && len <= 4) {
			snprintf(name, size, "ip %s", off == 12 ? "saddr" : "daddr");
			*type = V_IP4;
		} else if (off == 9 && len == 1) {
			snprintf(name, size, "ip protocol");
			*type = V_PROTO;
			*ctx = CTX_L4;
		} else {
			return false;
		}
		hide(w, w->l3_dep);
		return true;
	}
	if (base == NFT_PAYLOAD_NETWORK_HEADER && w->l3 == 6) {
		if ((off == 8 || off == 24) && len >= 1 && len <= 16) {
			snprintf(name, size, "ip6 %s", off == 8 ? "saddr" : "daddr");
			*type = V_IP6;
		} else if (off == 6 && len == 1) {
			snprintf(name, size, "ip6 nexthdr");
			*type = V_PROTO;
			*ctx = CTX_L4;
		} else {
			return false;
		}
		hide(w, w->l3_dep);
		return true;
	}
	if (base != NFT_PAYLOAD_TRANSPORT_HEADER || len != 2 || off > 2 || off % 2)
		return false;
	/* Ports: named by the protocol matched before, else "th". */
	if (w->l4 == 6 || w->l4 == 17 || w->l4 == 33 || w->l4 == 132 || w->l4 == 136) {
		snprintf(name, size, "%s %s", l4, fld[off / 2]);
		hide(w, w->l4_dep);
	} else {
		snprintf(name, size, "th %s", fld[off / 2]);
	}
	*type = V_PORT;
	return true;
}

static void x_payload(struct words *w, struct nftnl_expr *e)
{
	static const char *const bases[] = { "ll", "nh", "th", "ih" };
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	enum vtype type = V_HEX;
	struct reg *r;
	char name[64];
	int ctx;

	if (!nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_DREG)) {
		raw(w, e);	/* a payload write (mangle) */
		return;
	}
	if (!payload_name(w, base, off, len, name, sizeof(name), &type, &ctx)) {
		snprintf(name, sizeof(name), "@%s,%u,%u", base < 4 ? bases[base] : "?",
			 off * 8, len * 8);
		ctx = CTX_NONE;
	}
	r = load(w, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG), type, len, "%s", name);
	if (!r)
		raw(w, e);
	else
		r->ctx = ctx;
}

static void x_ct(struct words *w, struct nftnl_expr *e)
{
	static const struct { uint32_t key; const char *name; enum vtype type; uint32_t len; } k[] = {
		{ NFT_CT_STATE, "state", V_CTSTATE, 4 },
		{ NFT_CT_DIRECTION, "direction", V_CTDIR, 1 },
		{ NFT_CT_STATUS, "status", V_HEX, 4 },
		{ NFT_CT_MARK, "mark", V_HEX, 4 },
		{ NFT_CT_L3PROTOCOL, "l3proto", V_NFPROTO, 1 },
		{ NFT_CT_PROTOCOL, "protocol", V_PROTO, 1 },
		{ NFT_CT_ZONE, "zone", V_INT, 2 },
	};
	uint32_t key = nftnl_expr_get_u32(e, NFTNL_EXPR_CT_KEY);
	char name[48], dir[16] = "";
	enum vtype type = V_HEX;
	uint32_t len = 4;
	size_t i;

	if (nftnl_expr_is_set(e, NFTNL_EXPR_CT_DIR))
		snprintf(dir, sizeof(dir), "%s ",
			 nftnl_expr_get_u8(e, NFTNL_EXPR_CT_DIR) ? "reply" : "original");
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (k[i].key == key)
			break;
	if (i < sizeof(k) / sizeof(k[0])) {
		snprintf(name, sizeof(name), "ct %s%s", dir, k[i].name);
		type = k[i].type;
		len = k[i].len;
	} else {
		snprintf(name, sizeof(name), "ct %skey %u", dir, key);
	}
	set_or_load(w, e, NFTNL_EXPR_CT_SREG, NFTNL_EXPR_CT_DREG, name, type, len);
}

/* An and-mask (a prefix, or flags): kept with the register, which the
 * comparison after it reads. Anything else is spelt out in the name.
 */
static void x_bitwise(struct words *w, struct nftnl_expr *e)
{
	static const uint8_t zero[16];
	struct reg *src = reg_of(w, e, NFTNL_EXPR_BITWISE_SREG), copy, *r;
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_LEN), mlen = 0, xlen = 0;
	const uint8_t *mask = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_MASK, &mlen);
	const uint8_t *xr = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &xlen);
	bool boolean = !nftnl_expr_is_set(e, NFTNL_EXPR_BITWISE_OP) ||
		       nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_OP) == NFT_BITWISE_BOOL;
	char m[40];

	if (!src || !boolean || !mask || mlen != len || len > 16) {
		raw(w, e);
		return;
	}
	copy = *src;
	r = load(w, nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG), copy.type, copy.len,
		 "%s", copy.text);
	if (!r) {
		raw(w, e);
		return;
	}
	*r = copy;
	r->seq = w->seq;
	r->used = false;
	if (xr && xlen == len && memcmp(xr, zero, len)) {
		fmt_hex(m, sizeof(m), mask, len);
		snprintf(r->text, sizeof(r->text), "%.140s & %s ^ ", copy.text, m);
		fmt_hex(m, sizeof(m), xr, len);
		strncat(r->text, m, sizeof(r->text) - strlen(r->text) - 1);
		r->type = V_HEX;
		return;
	}
	r->masked = true;
	memcpy(r->mask, mask, len);
}

/* --- matches --- */

/* An address prefix: an and-mask, or (as nft writes a byte-aligned one)
 * a load of its first bytes only. False: not a prefix.
 */
static bool cmp_prefix(struct words *w, struct reg *r, uint32_t op, const uint8_t *d,
		       uint32_t len)
{
	uint32_t full = r->type == V_IP4 ? 4 : 16;
	uint8_t a[16] = { 0 }, m[16] = { 0 };
	char v[64];
	int plen;

	if ((r->type != V_IP4 && r->type != V_IP6) || len > full ||
	    (op != NFT_CMP_EQ && op != NFT_CMP_NEQ) || (!r->masked && len == full))
		return false;
	memcpy(a, d, len);
	if (r->masked)
		memcpy(m, r->mask, len);
	else
		memset(m, 0xff, len);
	plen = prefix_len(m, full);
	if (plen < 0)
		return false;
	fmt_value(v, sizeof(v), r->type, a, full);
	stmt(w, "%s %s%s/%d", r->text, op_str(op), v, plen);
	return true;
}

/* After an and-mask: flags ("ct state new"), else the mask spelt out
 * ("meta mark & 0x0000ff00 == 0x00000100").
 */
static void cmp_masked(struct words *w, struct reg *r, uint32_t op, const uint8_t *d,
		       uint32_t len)
{
	static const uint8_t zero[16];
	char v[64], m[40];

	if (r->type == V_CTSTATE && len <= 16 && op == NFT_CMP_NEQ && !memcmp(d, zero, len)) {
		fmt_value(v, sizeof(v), r->type, r->mask, len);
		stmt(w, "%s %s", r->text, v);
		return;
	}
	fmt_value(v, sizeof(v), r->type, d, len);
	fmt_hex(m, sizeof(m), r->mask, len);
	stmt(w, "%s & %s %s%s", r->text, m, op == NFT_CMP_EQ ? "== " : op_str(op), v);
}

/* Returns true when it read @next too (a port range: >= then <=). */
static bool x_cmp(struct words *w, struct nftnl_expr *e, struct nftnl_expr *next)
{
	struct reg *r = reg_of(w, e, NFTNL_EXPR_CMP_SREG);
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), len = 0, hlen = 0;
	const uint8_t *d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len), *hi;
	char v[80], h[80];
	int idx;

	if (!r || !d) {
		raw(w, e);
		return false;
	}
	if (r->masked && len > sizeof(r->mask)) {
		raw(w, e);
		return false;
	}
	r->used = true;
	if (cmp_prefix(w, r, op, d, len))
		return false;
	if (r->masked) {
		cmp_masked(w, r, op, d, len);
		return false;
	}
	fmt_value(v, sizeof(v), r->type, d, len);
	if (op == NFT_CMP_GTE && next &&
	    !strcmp(nftnl_expr_get_str(next, NFTNL_EXPR_NAME), "cmp") &&
	    nftnl_expr_get_u32(next, NFTNL_EXPR_CMP_SREG) ==
	    nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG) &&
	    nftnl_expr_get_u32(next, NFTNL_EXPR_CMP_OP) == NFT_CMP_LTE) {
		hi = nftnl_expr_get(next, NFTNL_EXPR_CMP_DATA, &hlen);
		if (hi) {
			fmt_value(h, sizeof(h), r->type, hi, hlen);
			stmt(w, "%s %s-%s", r->text, v, h);
			return true;
		}
	}
	idx = stmt(w, "%s %s%s", r->text, op_str(op), v);
	if (op != NFT_CMP_EQ || !len)
		return false;
	if (r->ctx == CTX_L3) {
		w->l3 = d[0] == NFPROTO_IPV4 ? 4 : d[0] == NFPROTO_IPV6 ? 6 : 0;
		w->l3_dep = idx;
	} else if (r->ctx == CTX_L4) {
		w->l4 = d[0];
		w->l4_dep = idx;
	}
	return false;
}

static void x_range(struct words *w, struct nftnl_expr *e)
{
	struct reg *r = reg_of(w, e, NFTNL_EXPR_RANGE_SREG);
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_OP), llen = 0, hlen = 0;
	const uint8_t *lo = nftnl_expr_get(e, NFTNL_EXPR_RANGE_FROM_DATA, &llen);
	const uint8_t *hi = nftnl_expr_get(e, NFTNL_EXPR_RANGE_TO_DATA, &hlen);
	char a[80], b[80];

	if (!r || !lo || !hi) {
		raw(w, e);
		return;
	}
	r->used = true;
	fmt_value(a, sizeof(a), r->type, lo, llen);
	fmt_value(b, sizeof(b), r->type, hi, hlen);
	stmt(w, "%s %s%s-%s", r->text, op == NFT_RANGE_NEQ ? "!= " : "", a, b);
}

static void x_lookup(struct words *w, struct nftnl_expr *e)
{
	const char *set = nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET);
	bool inv = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) &&
		   (nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV);
	char key[TEXT];
	uint32_t dreg;

	if (!set || !concat(w, nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG), key, sizeof(key))) {
		raw(w, e);
		return;
	}
	if (!nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG)) {
		stmt(w, "%s %s@%s", key, inv ? "!= " : "", set);
		return;
	}
	dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG);
	if (dreg == NFT_REG_VERDICT)
		stmt(w, "%s vmap @%s", key, set);
	else if (!load(w, dreg, V_HEX, 4, "%s map @%s", key, set))
		raw(w, e);
}

/* --- statements --- */

static void x_immediate(struct words *w, struct nftnl_expr *e)
{
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG), len = 0;
	const char *chain;
	const uint8_t *d;
	struct reg *r;
	char v[80];

	if (dreg != NFT_REG_VERDICT) {
		d = nftnl_expr_get(e, NFTNL_EXPR_IMM_DATA, &len);
		if (!d || len > 16) {
			raw(w, e);
			return;
		}
		fmt_hex(v, sizeof(v), d, len);
		r = load(w, dreg, V_HEX, len, "%s", v);
		if (!r) {
			raw(w, e);
			return;
		}
		r->imm = true;
		memcpy(r->data, d, len);
		return;
	}
	chain = nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN) ?
		nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN) : "?";
	switch ((int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT)) {
	case NF_ACCEPT: stmt(w, "accept"); break;
	case NF_DROP: stmt(w, "drop"); break;
	case NF_QUEUE: stmt(w, "queue"); break;
	case NFT_CONTINUE: stmt(w, "continue"); break;
	case NFT_RETURN: stmt(w, "return"); break;
	case NFT_JUMP: stmt(w, "jump %s", chain); break;
	case NFT_GOTO: stmt(w, "goto %s", chain); break;
	default: raw(w, e); break;
	}
}

/* A register a NAT statement reads: an immediate as an address or port. */
static void nat_operand(const struct reg *r, enum vtype type, char *buf, size_t size)
{
	if (r->imm)
		fmt_value(buf, size, type, r->data, r->len);
	else
		snprintf(buf, size, "%s", r->text);
}

static void nat_flags(char *buf, size_t size, uint32_t flags)
{
	snprintf(buf, size, "%s%s%s", flags & NF_NAT_RANGE_PROTO_RANDOM ? " random" : "",
		 flags & NF_NAT_RANGE_PROTO_RANDOM_FULLY ? " fully-random" : "",
		 flags & NF_NAT_RANGE_PERSISTENT ? " persistent" : "");
}

static void x_nat(struct words *w, struct nftnl_expr *e)
{
	uint32_t type = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE);
	uint32_t nfam = nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_FAMILY);
	struct reg *a = reg_of(w, e, NFTNL_EXPR_NAT_REG_ADDR_MIN);
	struct reg *p = reg_of(w, e, NFTNL_EXPR_NAT_REG_PROTO_MIN);
	char addr[TEXT] = "", port[TEXT] = "", fl[48];
	bool bracket;

	nat_flags(fl, sizeof(fl), nftnl_expr_is_set(e, NFTNL_EXPR_NAT_FLAGS) ?
		  nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_FLAGS) : 0);
	if (a) {
		a->used = true;
		nat_operand(a, nfam == NFPROTO_IPV6 ? V_IP6 : V_IP4, addr, sizeof(addr));
	}
	/* A map's data gives address and port at once: the port register
	 * then holds nothing loaded after the address.
	 */
	if (p && (!a || p->seq > a->seq)) {
		p->used = true;
		nat_operand(p, V_PORT, port, sizeof(port));
	}
	/* An IPv6 address with a port in brackets, as nft writes it. */
	bracket = nfam == NFPROTO_IPV6 && a && a->imm && port[0];
	stmt(w, "%s%s%s%s%s%s%s%s%s", type == NFT_NAT_SNAT ? "snat" : "dnat",
	     w->family == NFPROTO_INET ? (nfam == NFPROTO_IPV6 ? " ip6" : " ip") : "",
	     a || port[0] ? " to " : "", bracket ? "[" : "", addr, bracket ? "]" : "",
	     port[0] ? ":" : "", port, fl);
}

static void x_masq(struct words *w, struct nftnl_expr *e)
{
	char fl[48];

	nat_flags(fl, sizeof(fl), nftnl_expr_is_set(e, NFTNL_EXPR_MASQ_FLAGS) ?
		  nftnl_expr_get_u32(e, NFTNL_EXPR_MASQ_FLAGS) : 0);
	stmt(w, "masquerade%s", fl);
}

static void x_numgen(struct words *w, struct nftnl_expr *e)
{
	uint32_t off = nftnl_expr_is_set(e, NFTNL_EXPR_NG_OFFSET) ?
		       nftnl_expr_get_u32(e, NFTNL_EXPR_NG_OFFSET) : 0;
	char o[24] = "";

	if (off)
		snprintf(o, sizeof(o), " offset %u", off);
	if (!load(w, nftnl_expr_get_u32(e, NFTNL_EXPR_NG_DREG), V_INT, 4, "numgen %s mod %u%s",
		  nftnl_expr_get_u32(e, NFTNL_EXPR_NG_TYPE) == NFT_NG_RANDOM ? "random" : "inc",
		  nftnl_expr_get_u32(e, NFTNL_EXPR_NG_MODULUS), o))
		raw(w, e);
}

static void x_hash(struct words *w, struct nftnl_expr *e)
{
	uint32_t off = nftnl_expr_is_set(e, NFTNL_EXPR_HASH_OFFSET) ?
		       nftnl_expr_get_u32(e, NFTNL_EXPR_HASH_OFFSET) : 0;
	uint32_t mod = nftnl_expr_get_u32(e, NFTNL_EXPR_HASH_MODULUS);
	uint32_t dreg = nftnl_expr_get_u32(e, NFTNL_EXPR_HASH_DREG);
	char key[TEXT], o[24] = "";
	struct reg *r;

	if (off)
		snprintf(o, sizeof(o), " offset %u", off);
	if (nftnl_expr_get_u32(e, NFTNL_EXPR_HASH_TYPE) == NFT_HASH_SYM)
		r = load(w, dreg, V_INT, 4, "symhash mod %u%s", mod, o);
	else if (concat(w, nftnl_expr_get_u32(e, NFTNL_EXPR_HASH_SREG), key, sizeof(key)))
		r = load(w, dreg, V_INT, 4, "jhash %s mod %u seed 0x%x%s", key, mod,
			 nftnl_expr_get_u32(e, NFTNL_EXPR_HASH_SEED), o);
	else
		r = NULL;
	if (!r)
		raw(w, e);
}

static void x_limit(struct words *w, struct nftnl_expr *e)
{
	static const struct { uint64_t s; const char *name; } units[] = {
		{ 1, "second" }, { 60, "minute" }, { 3600, "hour" }, { 86400, "day" },
		{ 604800, "week" },
	};
	uint64_t unit = nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_UNIT);
	bool bytes = nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_TYPE) == NFT_LIMIT_PKT_BYTES;
	uint32_t burst = nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_BURST);
	const char *u = "?";
	char b[40] = "";
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].s == unit)
			u = units[i].name;
	if (burst)
		snprintf(b, sizeof(b), " burst %u %s", burst, bytes ? "bytes" : "packets");
	stmt(w, "limit rate %s%llu%s/%s%s",
	     nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_FLAGS) & NFT_LIMIT_F_INV ? "over " : "",
	     (unsigned long long)nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_RATE),
	     bytes ? " bytes" : "", u, b);
}

static void x_log(struct words *w, struct nftnl_expr *e)
{
	char p[TEXT / 2] = "", g[24] = "";

	if (nftnl_expr_is_set(e, NFTNL_EXPR_LOG_PREFIX))
		snprintf(p, sizeof(p), " prefix \"%s\"",
			 nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX));
	if (nftnl_expr_is_set(e, NFTNL_EXPR_LOG_GROUP))
		snprintf(g, sizeof(g), " group %u", nftnl_expr_get_u16(e, NFTNL_EXPR_LOG_GROUP));
	stmt(w, "log%s%s", p, g);
}

/* Returns true when it read @next too. */
static bool one_expr(struct words *w, struct nftnl_expr *e, struct nftnl_expr *next)
{
	static const struct { const char *name; void (*fn)(struct words *, struct nftnl_expr *); } x[] = {
		{ "meta", x_meta }, { "payload", x_payload }, { "ct", x_ct },
		{ "bitwise", x_bitwise }, { "range", x_range }, { "lookup", x_lookup },
		{ "immediate", x_immediate }, { "nat", x_nat }, { "masq", x_masq },
		{ "numgen", x_numgen }, { "hash", x_hash }, { "limit", x_limit },
		{ "log", x_log },
	};
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	size_t i;

	if (!strcmp(name, "cmp"))
		return x_cmp(w, e, next);
	if (!strcmp(name, "counter") || !strcmp(name, "notrack") || !strcmp(name, "reject")) {
		stmt(w, "%s", name);
		return false;
	}
	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if (!strcmp(name, x[i].name)) {
			x[i].fn(w, e);
			return false;
		}
	raw(w, e);
	return false;
}

void fl_rule_words(struct nftnl_rule *r, char *buf, size_t size)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e, *next;
	struct words words, *w = &words;
	size_t off = 0;
	int i;

	if (!it)
		abort();
	memset(w, 0, offsetof(struct words, hide));
	w->family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	w->l3 = w->family == NFPROTO_IPV4 ? 4 : w->family == NFPROTO_IPV6 ? 6 : 0;
	w->l3_dep = w->l4_dep = -1;
	e = nftnl_expr_iter_next(it);
	while (e) {
		next = nftnl_expr_iter_next(it);
		if (one_expr(w, e, next))
			next = nftnl_expr_iter_next(it);
		e = next;
	}
	nftnl_expr_iter_destroy(it);
	buf[0] = '\0';
	for (i = 0; i < w->n; i++)
		if (!w->hide[i] && off < size)
			off += snprintf(buf + off, size - off, "%s%s", off ? " " : "", w->stmt[i]);
	if (off < size)
		fl_rule_udata_text(r, buf + off, size - off);
}
