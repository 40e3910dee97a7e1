// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane's nftables layout, and the plan from the kernel's state to a
 * document's.
 *
 * table inet flowlane                  table ip flowlane_nat
 *   raw_prerouting, raw_output           prerouting, output (dstnat)
 *     notrack by @notrack4/6 (only with    services vmap, 1:1 dnat map
 *     notrack entries)
 *   forward (filter)                     postrouting (srcnat)
 *     anti-spoofing @vm_src4/6             1:1 snat map, masquerade @masq4,
 *     untracked services accepted          hairpin masquerade @hairpin4
 *     invalid drop, related accept       lb_<svc>_<hash> + lbm_<svc>_<hash>
 *     replies accepted                   table ip6 flowlane_nat6 (only with
 *                                          IPv6 services)
 *                                          prerouting, output (dstnat)
 *                                            services vmap
 *                                          lb_<svc>_<hash> + lbm_<svc>_<hash>
 *     ct mark set (tag) @vm_tag4/6 on new,
 *       then a service's own @svc_tag4/6
 *     daddr vmap @vm_in4/6 -> in_<vm>_<hash>
 *     outbound drop @vm_outdrop4/6
 *
 * Everything that grows with VMs is an element of a set or map, or a chain
 * reached through a verdict map: the per-packet cost is a few hash lookups
 * whatever the number of VMs. A VM's chain is named after its firewall's
 * hash, so a changed firewall is a new chain swapped in by its map element,
 * and an unchanged VM is not touched at all.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>

#include "ruleset.h"

/* 2: rules carry comments, every drop a counter. 3: the IPv6 sets keyed
 * by a VM's address are interval sets (a VM's ipv6 may be a prefix). A
 * table of another layout is rebuilt by the next apply.
 */
#define FL_LAYOUT	"flowlane layout 4"

/* nftables' datatype numbers (nftables' include/datatype.h). */
enum {
	T_INTEGER = 4, T_IPADDR = 7, T_IP6ADDR = 8, T_PROTO = 12,
	T_SERVICE = 13, T_MARK = 19, T_IFNAME = 41,
};
#define CONCAT2(a, b)		(((a) << 6) | (b))
#define CONCAT3(a, b, c)	(((((a) << 6) | (b)) << 6) | (c))
#define VERDICT			NFT_DATA_VERDICT

enum { TB_FILTER, TB_NAT, TB_NAT6, TB_NUM };

static const struct {
	int family;
	const char *name;
} fl_tables[TB_NUM] = {
	[TB_FILTER] = { NFPROTO_INET, FL_TABLE_FILTER },
	[TB_NAT] = { NFPROTO_IPV4, FL_TABLE_NAT },
	[TB_NAT6] = { NFPROTO_IPV6, FL_TABLE_NAT6 },
};

enum {
	S_VMIF, S_SRC4, S_SRC6, S_IN4, S_IN6, S_TAG4, S_TAG6, S_OUT4, S_OUT6,
	S_NT4, S_NT6, S_DNAT4, S_SNAT4, S_MASQ4, S_HAIRPIN4, S_UPLINKS, S_LB4, S_LB6, S_SVCTAG4, S_SVCTAG6, S_NUM
};

struct fl_set {
	struct fl_setdef def;
	int tb;
	uint8_t ftypes[4];		/* key fields, for printing */
	uint8_t dtype;			/* data, for printing (0: verdict or none) */
	bool addr_keyed;		/* first key field is a VM's address */
};

#define SET(tb_, name_, ktype, klen, flags_, nf, f0, f1, f2, t0, t1, t2)	\
	.tb = tb_, .def = { .table = NULL, .name = name_, .key_type = ktype,	\
	.key_len = klen, .flags = flags_, .n_fields = nf,			\
	.fields = { f0, f1, f2 } }, .ftypes = { t0, t1, t2 }

static struct fl_set fl_sets[S_NUM] = {
	[S_VMIF] = { SET(TB_FILTER, "vm_ifaces", T_IFNAME, 16, 0, 1, 16, 0, 0, T_IFNAME, 0, 0) },
	[S_SRC4] = { SET(TB_FILTER, "vm_src4", CONCAT2(T_IFNAME, T_IPADDR), 20, 0, 2, 16, 4, 0,
			 T_IFNAME, T_IPADDR, 0) },
	[S_SRC6] = { SET(TB_FILTER, "vm_src6", CONCAT2(T_IFNAME, T_IP6ADDR), 32,
			 NFT_SET_INTERVAL | NFT_SET_CONCAT, 2, 16, 16, 0, T_IFNAME, T_IP6ADDR, 0) },
	[S_IN4] = { SET(TB_FILTER, "vm_in4", T_IPADDR, 4, NFT_SET_MAP, 1, 4, 0, 0, T_IPADDR, 0, 0),
		    .addr_keyed = true },
	[S_IN6] = { SET(TB_FILTER, "vm_in6", T_IP6ADDR, 16, NFT_SET_MAP | NFT_SET_INTERVAL, 1, 16,
			0, 0, T_IP6ADDR, 0, 0), .addr_keyed = true },
	[S_TAG4] = { SET(TB_FILTER, "vm_tag4", T_IPADDR, 4, NFT_SET_MAP, 1, 4, 0, 0, T_IPADDR, 0, 0),
		     .dtype = T_MARK, .addr_keyed = true },
	[S_TAG6] = { SET(TB_FILTER, "vm_tag6", T_IP6ADDR, 16, NFT_SET_MAP | NFT_SET_INTERVAL, 1, 16,
			 0, 0, T_IP6ADDR, 0, 0), .dtype = T_MARK, .addr_keyed = true },
	[S_OUT4] = { SET(TB_FILTER, "vm_outdrop4", T_IPADDR, 4, 0, 1, 4, 0, 0, T_IPADDR, 0, 0),
		     .addr_keyed = true },
	[S_OUT6] = { SET(TB_FILTER, "vm_outdrop6", T_IP6ADDR, 16, NFT_SET_INTERVAL, 1, 16, 0, 0,
			 T_IP6ADDR, 0, 0), .addr_keyed = true },
	[S_NT4] = { SET(TB_FILTER, "notrack4", CONCAT3(T_IPADDR, T_PROTO, T_SERVICE), 12,
			NFT_SET_INTERVAL | NFT_SET_CONCAT, 3, 4, 1, 2, T_IPADDR, T_PROTO, T_SERVICE) },
	[S_NT6] = { SET(TB_FILTER, "notrack6", CONCAT3(T_IP6ADDR, T_PROTO, T_SERVICE), 24,
			NFT_SET_INTERVAL | NFT_SET_CONCAT, 3, 16, 1, 2, T_IP6ADDR, T_PROTO, T_SERVICE) },
	[S_DNAT4] = { SET(TB_NAT, "dnat4", T_IPADDR, 4, NFT_SET_MAP, 1, 4, 0, 0, T_IPADDR, 0, 0),
		      .dtype = T_IPADDR },
	[S_SNAT4] = { SET(TB_NAT, "snat4", T_IPADDR, 4, NFT_SET_MAP, 1, 4, 0, 0, T_IPADDR, 0, 0),
		      .dtype = T_IPADDR, .addr_keyed = true },
	[S_MASQ4] = { SET(TB_NAT, "masq4", T_IPADDR, 4, 0, 1, 4, 0, 0, T_IPADDR, 0, 0),
		      .addr_keyed = true },
	[S_HAIRPIN4] = { SET(TB_NAT, "hairpin4", T_IPADDR, 4, 0, 1, 4, 0, 0, T_IPADDR, 0, 0),
			 .addr_keyed = true },
	[S_UPLINKS] = { SET(TB_NAT, "uplinks", T_IFNAME, 16, 0, 1, 16, 0, 0, T_IFNAME, 0, 0) },
	[S_LB4] = { SET(TB_NAT, "services", CONCAT3(T_IPADDR, T_PROTO, T_SERVICE), 12,
			NFT_SET_MAP, 3, 4, 1, 2, T_IPADDR, T_PROTO, T_SERVICE) },
	[S_LB6] = { SET(TB_NAT6, "services", CONCAT3(T_IP6ADDR, T_PROTO, T_SERVICE), 24,
			NFT_SET_MAP, 3, 16, 1, 2, T_IP6ADDR, T_PROTO, T_SERVICE) },
	[S_SVCTAG4] = { SET(TB_FILTER, "svc_tag4", CONCAT3(T_IPADDR, T_PROTO, T_SERVICE), 12,
			    NFT_SET_MAP, 3, 4, 1, 2, T_IPADDR, T_PROTO, T_SERVICE),
			.dtype = T_MARK },
	[S_SVCTAG6] = { SET(TB_FILTER, "svc_tag6", CONCAT3(T_IP6ADDR, T_PROTO, T_SERVICE), 24,
			    NFT_SET_MAP, 3, 16, 1, 2, T_IP6ADDR, T_PROTO, T_SERVICE),
			.dtype = T_MARK },
};

static uint8_t byteorder(uint8_t type)
{
	return type == T_IFNAME || type == T_MARK || type == T_INTEGER ? 1 : 2;
}

static void sets_init(void)
{
	int i;

	for (i = 0; i < S_NUM; i++) {
		struct fl_set *s = &fl_sets[i];

		s->def.family = fl_tables[s->tb].family;
		s->def.table = fl_tables[s->tb].name;
		s->def.id = 0;
		s->def.key_order = s->def.n_fields > 1 ? 0 : byteorder(s->ftypes[0]);
		s->def.data_order = s->dtype ? byteorder(s->dtype) : 0;
		if (!(s->def.flags & NFT_SET_MAP))
			continue;
		s->def.data_type = s->dtype ? s->dtype : VERDICT;
		s->def.data_len = s->dtype ? 4 : 0;
	}
}

/* --- element lists --- */

struct elist {
	struct fl_elem *v;
	size_t n, cap;
};

static struct fl_elem *push(struct elist *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct fl_elem *n = realloc(l->v, cap * sizeof(*n));

		if (!n)
			abort();
		l->v = n;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

/* Appends a key field, padded to 4 bytes, to the key and, for intervals,
 * its upper end to key_end.
 */
static void field(struct fl_elem *e, const void *lo, const void *hi, size_t len)
{
	size_t pad = (len + 3) & ~3u;

	memset(e->key + e->klen, 0, pad);
	memcpy(e->key + e->klen, lo, len);
	e->klen += pad;
	if (!hi)
		return;
	memset(e->key_end + e->kelen, 0, pad);
	memcpy(e->key_end + e->kelen, hi, len);
	e->kelen += pad;
}

static void field_prefix(struct fl_elem *e, const struct fl_prefix *p, bool any6)
{
	uint8_t lo[16] = { 0 }, hi[16];
	size_t len = any6 || (p && p->family == AF_INET6) ? 16 : 4;
	unsigned int i, plen = p ? p->len : 0;

	if (p)
		memcpy(lo, p->addr, len);
	memcpy(hi, lo, len);
	for (i = plen; i < len * 8; i++)
		hi[i / 8] |= 0x80 >> (i % 8);
	field(e, lo, hi, len);
}

/* The last address of a VM's IPv6 prefix. */
static void prefix6_hi(const struct fl_vm *vm, uint8_t hi[16])
{
	unsigned int i;

	memcpy(hi, &vm->ipv6, 16);
	for (i = vm->ipv6_len; i < 128; i++)
		hi[i / 8] |= 0x80 >> (i % 8);
}

/* @a + 1 in place; false when it wraps (the last address has no successor). */
static bool addr6_inc(uint8_t a[16])
{
	int i;

	for (i = 15; i >= 0; i--)
		if (++a[i])
			return true;
	return false;
}

/* A VM's IPv6 prefix in a one-field interval set (the kernel's rbtree, as
 * nft builds it): a start element, returned for the caller's data, and an
 * end element at the first address after the prefix (none after the last
 * address of all). A /128 is the interval [addr, addr + 1).
 */
static struct fl_elem *push_prefix6(struct elist *l, const struct fl_vm *vm)
{
	struct fl_elem *e;
	uint8_t end[16];

	prefix6_hi(vm, end);
	if (addr6_inc(end)) {
		e = push(l);
		field(e, end, NULL, 16);
		e->flags = NFT_SET_ELEM_INTERVAL_END;
	}
	e = push(l);
	field(e, &vm->ipv6, NULL, 16);
	return e;
}

static void field_ports(struct fl_elem *e, const struct fl_ports *ports)
{
	uint16_t lo = htons(ports->lo), hi = htons(ports->hi);

	field(e, &lo, &hi, 2);
}

static void data_u32(struct fl_elem *e, const void *p)
{
	memcpy(e->data, p, 4);
	e->dlen = 4;
}

static void jump(struct fl_elem *e, const char *chain)
{
	e->has_verdict = true;
	e->verdict = NFT_JUMP;
	snprintf(e->chain, sizeof(e->chain), "%s", chain);
}

static void vm_chain_name(const struct fl_vm *vm, char *buf, size_t size)
{
	snprintf(buf, size, "in_%s_%08x", vm->name, vm->fw_hash);
}

/* The NAT table of a service's family. */
static int svc_tb(const struct fl_service *s)
{
	return s->v6 ? TB_NAT6 : TB_NAT;
}

static void svc_chain_name(const struct fl_service *s, const char *prefix,
			   char *buf, size_t size)
{
	snprintf(buf, size, "%s_%s_%08x", prefix, s->name, s->hash);
}

static bool table_needed(const struct fl_config *cfg, int tb);

/* A VM's elements: those wanted (@wanted) or those an older document of it
 * had put in (to delete them, in the incremental plan).
 */
static void want_vm(struct elist *w, const struct fl_config *cfg, const struct fl_vm *vm,
		    bool wanted)
{
	bool nat4 = table_needed(cfg, TB_NAT);
	char chain[FL_CHAIN_MAX];
	const char *bad;
	uint32_t mark;
	size_t i, k;

	vm_chain_name(vm, chain, sizeof(chain));
	/* Fault injection for the atomicity test: this VM's map element jumps
	 * to a chain that does not exist, so the kernel refuses the batch there.
	 */
	bad = wanted ? getenv("FLOWLANE_TEST_BAD_ELEMENT") : NULL;
	if (bad && !strcmp(bad, vm->name))
		snprintf(chain, sizeof(chain), "in_%s_missing", vm->name);
	for (i = 0; i < vm->n_ifaces; i++) {
		field(push(&w[S_VMIF]), vm->ifaces[i], NULL, IFNAMSIZ);
		for (k = 0; k < vm->n_ipv4; k++) {
			struct fl_elem *e = push(&w[S_SRC4]);

			field(e, vm->ifaces[i], NULL, IFNAMSIZ);
			field(e, &vm->ipv4[k], NULL, 4);
		}
		if (vm->has_ipv6) {
			struct fl_elem *e = push(&w[S_SRC6]);
			uint8_t hi[16];

			prefix6_hi(vm, hi);
			field(e, vm->ifaces[i], vm->ifaces[i], IFNAMSIZ);
			field(e, &vm->ipv6, hi, 16);
		}
	}
	mark = vm->tag ? fl_config_mark(cfg, vm->tag) : 0;
	for (k = 0; k < vm->n_ipv4; k++) {
		struct fl_elem *e = push(&w[S_IN4]);

		field(e, &vm->ipv4[k], NULL, 4);
		jump(e, chain);
		if (vm->tag) {
			e = push(&w[S_TAG4]);
			field(e, &vm->ipv4[k], NULL, 4);
			data_u32(e, &mark);
		}
		if (!vm->outbound_accept)
			field(push(&w[S_OUT4]), &vm->ipv4[k], NULL, 4);
		/* With a public_ipv4, the VM's other addresses leave untranslated. */
		if (vm->masquerade)
			field(push(&w[S_MASQ4]), &vm->ipv4[k], NULL, 4);
		if (nat4)
			field(push(&w[S_HAIRPIN4]), &vm->ipv4[k], NULL, 4);
	}
	if (vm->has_ipv6) {
		jump(push_prefix6(&w[S_IN6], vm), chain);
		if (vm->tag)
			data_u32(push_prefix6(&w[S_TAG6], vm), &mark);
		if (!vm->outbound_accept)
			push_prefix6(&w[S_OUT6], vm);
	}
	if (vm->has_public) {
		struct fl_elem *e = push(&w[S_DNAT4]);

		field(e, &vm->public_ipv4, NULL, 4);
		data_u32(e, &vm->ipv4[0]);
		e = push(&w[S_SNAT4]);
		field(e, &vm->ipv4[0], NULL, 4);
		data_u32(e, &vm->public_ipv4);
	}
}

static void want_notrack(struct elist *w, const struct fl_notrack *n)
{
	int fam;

	for (fam = 0; fam < 2; fam++) {
		bool v6 = fam == 1;
		struct fl_elem *e;

		if (n->has_address && (n->address.family == AF_INET6) != v6)
			continue;
		e = push(&w[v6 ? S_NT6 : S_NT4]);
		field_prefix(e, n->has_address ? &n->address : NULL, v6);
		field(e, &n->proto, &n->proto, 1);
		field_ports(e, &n->ports);
	}
}

/* A service's key, address . proto . port, as its maps have it. */
static struct fl_elem *push_service(struct elist *l, const struct fl_service *s)
{
	struct fl_elem *e = push(l);
	uint16_t port = htons(s->port);

	if (s->v6)
		field(e, &s->addr6, NULL, 16);
	else
		field(e, &s->addr, NULL, 4);
	field(e, &s->proto, NULL, 1);
	field(e, &port, NULL, 2);
	return e;
}

/* A service's own tag, keyed as the client addressed it. */
static void want_service_tag(struct elist *w, const struct fl_config *cfg,
			     const struct fl_service *s)
{
	uint32_t mark = fl_config_mark(cfg, s->tag);

	data_u32(push_service(&w[s->v6 ? S_SVCTAG6 : S_SVCTAG4], s), &mark);
}

static void want_all(struct elist *w, const struct fl_config *cfg)
{
	char chain[FL_CHAIN_MAX];
	size_t i;

	for (i = 0; i < cfg->n_vms; i++)
		want_vm(w, cfg, &cfg->vms[i], true);
	for (i = 0; i < cfg->n_notrack; i++)
		want_notrack(w, &cfg->notrack[i]);
	for (i = 0; i < cfg->n_uplinks; i++)
		field(push(&w[S_UPLINKS]), cfg->uplinks[i], NULL, IFNAMSIZ);
	for (i = 0; i < cfg->n_services; i++) {
		const struct fl_service *s = &cfg->services[i];
		struct fl_elem *e = push_service(&w[s->v6 ? S_LB6 : S_LB4], s);

		svc_chain_name(s, "lb", chain, sizeof(chain));
		jump(e, chain);
		if (s->tag)
			want_service_tag(w, cfg, s);
	}
}

/* --- printing, for `diff` and `apply -v` --- */

static void fmt_field(char *buf, size_t size, uint8_t type, const uint8_t *p,
		      size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port;
	uint32_t u;

	switch (type) {
	case T_IPADDR:
		snprintf(buf, size, "%s", inet_ntop(AF_INET, p, a, sizeof(a)));
		break;
	case T_IP6ADDR:
		snprintf(buf, size, "%s", inet_ntop(AF_INET6, p, a, sizeof(a)));
		break;
	case T_IFNAME:
		snprintf(buf, size, "\"%.*s\"", (int)len, (const char *)p);
		break;
	case T_PROTO:
		snprintf(buf, size, "%s", p[0] == IPPROTO_TCP ? "tcp" :
			 p[0] == IPPROTO_UDP ? "udp" : "?");
		break;
	case T_SERVICE:
		memcpy(&port, p, 2);
		snprintf(buf, size, "%u", ntohs(port));
		break;
	default:
		memcpy(&u, p, 4);
		snprintf(buf, size, "0x%08x", u);
		break;
	}
}

static void fmt_elem(const struct fl_set *s, const struct fl_elem *e,
		     char *buf, size_t size)
{
	size_t off = 0, at = 0, len;
	char f[128], g[128];
	int i;

	buf[0] = '\0';
	for (i = 0; i < s->def.n_fields; i++) {
		len = s->def.fields[i];
		fmt_field(f, sizeof(f), s->ftypes[i], e->key + at, len);
		off += snprintf(buf + off, size - off, "%s%s", i ? " . " : "", f);
		if (e->kelen && memcmp(e->key + at, e->key_end + at, len)) {
			fmt_field(g, sizeof(g), s->ftypes[i], e->key_end + at, len);
			off += snprintf(buf + off, size - off, "-%s", g);
		}
		at += (len + 3) & ~3u;
		if (off >= size)
			return;
	}
	if (e->flags & NFT_SET_ELEM_INTERVAL_END)
		snprintf(buf + off, size - off, " (interval end)");
	else if (e->has_verdict && e->verdict == NFT_JUMP)
		snprintf(buf + off, size - off, " : jump %s", e->chain);
	else if (e->has_verdict)
		snprintf(buf + off, size - off, " : %s", e->verdict == NF_DROP ? "drop" :
			 e->verdict == NF_ACCEPT ? "accept" : "verdict");
	else if (e->dlen) {
		fmt_field(f, sizeof(f), s->dtype, e->data, e->dlen);
		snprintf(buf + off, size - off, " : %s", f);
	}
}

__attribute__((format(printf, 2, 3)))
static void line(struct fl_plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	p->n_changes++;
	if (!p->lines && !p->cap_lines)
		return;
	if (p->n_lines == p->cap_lines) {
		size_t cap = p->cap_lines * 2;
		char **n = realloc(p->lines, cap * sizeof(*n));

		if (!n)
			abort();
		p->lines = n;
		p->cap_lines = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	p->lines[p->n_lines++] = s;
}

/* --- rules --- */

#define R1	NFT_REG_1		/* 16-byte register 1 */
/* 4-byte registers, named as the kernel dumps them (register 1 holds
 * 4-byte registers 0-3): the drift check compares rules in the kernel's
 * words.
 */
#define R32(n)	((n) % 4 ? NFT_REG32_00 + (n) : NFT_REG_1 + (n) / 4)

/* Network header offsets. */
#define IP4_SADDR	12
#define IP4_DADDR	16
#define IP6_SADDR	8
#define IP6_DADDR	24

static void x_nfproto(struct nftnl_rule *r, bool v6)
{
	uint8_t proto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

	fl_x_meta(r, NFT_META_NFPROTO, R1);
	fl_x_cmp(r, R1, NFT_CMP_EQ, &proto, 1);
}

static void x_addr(struct nftnl_rule *r, bool v6, bool src, uint32_t reg)
{
	fl_x_payload(r, NFT_PAYLOAD_NETWORK_HEADER,
		     v6 ? (src ? IP6_SADDR : IP6_DADDR) : (src ? IP4_SADDR : IP4_DADDR),
		     v6 ? 16 : 4, reg);
}

static void x_ctstate(struct nftnl_rule *r, uint32_t bits)
{
	uint32_t zero = 0;

	fl_x_ct(r, NFT_CT_STATE, R1);
	fl_x_bitwise(r, R1, &bits, 4);
	fl_x_cmp(r, R1, NFT_CMP_NEQ, &zero, 4);
}

static void x_l4proto(struct nftnl_rule *r, uint8_t proto)
{
	fl_x_meta(r, NFT_META_L4PROTO, R1);
	fl_x_cmp(r, R1, NFT_CMP_EQ, &proto, 1);
}

/* addr . l4proto . port into registers 1, then the set lookup. */
static void x_addr_proto_port(struct nftnl_rule *r, bool v6, bool src,
			      const struct fl_set *set, int dreg)
{
	int next = v6 ? 4 : 1;

	x_addr(r, v6, src, R1);
	fl_x_meta(r, NFT_META_L4PROTO, R32(next));
	fl_x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, src ? 0 : 2, 2, R32(next + 1));
	fl_x_lookup(r, R1, &set->def, dreg, false);
}

static struct nftnl_rule *frule(const char *chain)
{
	return fl_rule(NFPROTO_INET, FL_TABLE_FILTER, chain);
}

static void rules_raw(struct fl_nft *nft, const char *chain)
{
	int v6, src;

	for (v6 = 0; v6 < 2; v6++)
		for (src = 0; src < 2; src++) {
			struct nftnl_rule *r = frule(chain);

			x_nfproto(r, v6);
			x_addr_proto_port(r, v6, src, &fl_sets[v6 ? S_NT6 : S_NT4], -1);
			fl_x_notrack(r);
			fl_nft_add_rule(nft, r, "notrack services");
		}
}

static void rules_forward_spoof(struct fl_nft *nft)
{
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		struct nftnl_rule *r = frule("forward");

		fl_x_meta(r, NFT_META_IIFNAME, R1);
		fl_x_lookup(r, R1, &fl_sets[S_VMIF].def, -1, false);
		x_nfproto(r, v6);
		fl_x_meta(r, NFT_META_IIFNAME, R1);
		x_addr(r, v6, true, R32(4));
		fl_x_lookup(r, R1, &fl_sets[v6 ? S_SRC6 : S_SRC4].def, -1, true);
		fl_x_counter(r);	/* every drop is counted: nft list shows why */
		fl_x_verdict(r, NF_DROP);
		fl_nft_add_rule(nft, r, "anti-spoofing");
	}
}

static void rules_forward_state(struct fl_nft *nft)
{
	struct nftnl_rule *r;
	uint8_t reply = 1;
	int v6, src;

	for (v6 = 0; v6 < 2; v6++)
		for (src = 0; src < 2; src++) {
			r = frule("forward");
			x_ctstate(r, 0x40);	/* untracked */
			x_nfproto(r, v6);
			x_addr_proto_port(r, v6, src, &fl_sets[v6 ? S_NT6 : S_NT4], -1);
			fl_x_verdict(r, NF_ACCEPT);
			fl_nft_add_rule(nft, r, "notrack services accepted");
		}
	r = frule("forward");
	x_ctstate(r, 0x01);		/* invalid */
	fl_x_counter(r);
	fl_x_verdict(r, NF_DROP);
	fl_nft_add_rule(nft, r, "ct state invalid drop");
	r = frule("forward");
	x_ctstate(r, 0x04);		/* related */
	fl_x_verdict(r, NF_ACCEPT);
	fl_nft_add_rule(nft, r, "ct state related accept");
	r = frule("forward");
	fl_x_ct(r, NFT_CT_DIRECTION, R1);
	fl_x_cmp(r, R1, NFT_CMP_EQ, &reply, 1);
	fl_x_verdict(r, NF_ACCEPT);
	fl_nft_add_rule(nft, r, "ct direction reply accept");
}

static void rules_forward_vms(struct fl_nft *nft)
{
	struct nftnl_rule *r;
	int v6, src;

	/* The daddr's tag first, then the saddr's: a VM's outbound flow
	 * carries the sender's tag.
	 */
	for (src = 0; src < 2; src++)
		for (v6 = 0; v6 < 2; v6++) {
			r = frule("forward");
			x_ctstate(r, 0x08);	/* new */
			x_nfproto(r, v6);
			x_addr(r, v6, src, R1);
			fl_x_lookup(r, R1, &fl_sets[v6 ? S_TAG6 : S_TAG4].def, R1, false);
			fl_x_ct_set(r, NFT_CT_MARK, R1);
			fl_nft_add_rule(nft, r, "ct mark set (tag)");
		}
	/* Last: a load-balanced service's own tag, by the address, protocol
	 * and port the client connected to (the original tuple: the packet
	 * itself is already translated to a backend VM).
	 */
	for (v6 = 0; v6 < 2; v6++) {
		int next = v6 ? 4 : 1;

		r = frule("forward");
		x_ctstate(r, 0x08);	/* new */
		x_nfproto(r, v6);
		fl_x_ct_dir(r, v6 ? NFT_CT_DST_IP6 : NFT_CT_DST_IP, IP_CT_DIR_ORIGINAL, R1);
		fl_x_meta(r, NFT_META_L4PROTO, R32(next));
		fl_x_ct_dir(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL, R32(next + 1));
		fl_x_lookup(r, R1, &fl_sets[v6 ? S_SVCTAG6 : S_SVCTAG4].def, R1, false);
		fl_x_ct_set(r, NFT_CT_MARK, R1);
		fl_nft_add_rule(nft, r, "ct mark set (service tag)");
	}
	for (v6 = 0; v6 < 2; v6++) {
		r = frule("forward");
		x_nfproto(r, v6);
		x_addr(r, v6, false, R1);
		fl_x_lookup(r, R1, &fl_sets[v6 ? S_IN6 : S_IN4].def, NFT_REG_VERDICT, false);
		fl_nft_add_rule(nft, r, "inbound firewall vmap");
	}
	for (v6 = 0; v6 < 2; v6++) {
		r = frule("forward");
		x_nfproto(r, v6);
		x_addr(r, v6, true, R1);
		fl_x_lookup(r, R1, &fl_sets[v6 ? S_OUT6 : S_OUT4].def, -1, false);
		fl_x_counter(r);
		fl_x_verdict(r, NF_DROP);
		fl_nft_add_rule(nft, r, "outbound drop");
	}
}

static struct nftnl_rule *trule(int tb, const char *chain)
{
	return fl_rule(fl_tables[tb].family, fl_tables[tb].name, chain);
}

static struct nftnl_rule *nrule(const char *chain)
{
	return trule(TB_NAT, chain);
}

/* IPv6 has services only: 1:1 NAT is IPv4's (a VM's IPv6 is routed). */
static void rules_nat_dst(struct fl_nft *nft, int tb, const char *chain)
{
	bool v6 = tb == TB_NAT6;
	struct nftnl_rule *r = trule(tb, chain);

	x_addr_proto_port(r, v6, false, &fl_sets[v6 ? S_LB6 : S_LB4], NFT_REG_VERDICT);
	fl_nft_add_rule(nft, r, "load-balanced services vmap");
	if (v6)
		return;
	r = nrule(chain);
	x_addr(r, false, false, R1);
	fl_x_lookup(r, R1, &fl_sets[S_DNAT4].def, R1, false);
	fl_x_nat(r, NFPROTO_IPV4, NFT_NAT_DNAT, R1, 0);
	fl_nft_add_rule(nft, r, "1:1 dnat");
}

/* Hairpin: a VM that reaches a public address or a service of this host
 * is translated to the VM behind it like any client, but the answer would
 * go straight back without the host (to the VM itself when it reached its
 * own address, whose kernel drops a packet from its own address). So a
 * connection that was DNATed, comes from a VM (@hairpin4: every VM's IPv4
 * addresses) and leaves towards a VM, not an uplink, also takes the host's
 * address as its source.
 */
static void rules_nat_hairpin(struct fl_nft *nft)
{
	struct nftnl_rule *r = nrule("postrouting");
	uint32_t dnat = IPS_DST_NAT, zero = 0;

	fl_x_meta(r, NFT_META_OIFNAME, R1);
	fl_x_lookup(r, R1, &fl_sets[S_UPLINKS].def, -1, true);
	fl_x_ct(r, NFT_CT_STATUS, R1);
	fl_x_bitwise(r, R1, &dnat, 4);
	fl_x_cmp(r, R1, NFT_CMP_NEQ, &zero, 4);
	x_addr(r, false, true, R1);
	fl_x_lookup(r, R1, &fl_sets[S_HAIRPIN4].def, -1, false);
	fl_x_masq(r);
	fl_nft_add_rule(nft, r, "hairpin masquerade");
}

static void rules_nat_src(struct fl_nft *nft)
{
	struct nftnl_rule *r = nrule("postrouting");

	fl_x_meta(r, NFT_META_OIFNAME, R1);
	fl_x_lookup(r, R1, &fl_sets[S_UPLINKS].def, -1, false);
	x_addr(r, false, true, R1);
	fl_x_lookup(r, R1, &fl_sets[S_SNAT4].def, R1, false);
	fl_x_nat(r, NFPROTO_IPV4, NFT_NAT_SNAT, R1, 0);
	fl_nft_add_rule(nft, r, "1:1 snat");
	r = nrule("postrouting");
	fl_x_meta(r, NFT_META_OIFNAME, R1);
	fl_x_lookup(r, R1, &fl_sets[S_UPLINKS].def, -1, false);
	x_addr(r, false, true, R1);
	fl_x_lookup(r, R1, &fl_sets[S_MASQ4].def, -1, false);
	fl_x_masq(r);
	fl_nft_add_rule(nft, r, "masquerade");
	rules_nat_hairpin(nft);
}

/* The raw chains hook every packet the host receives or sends, before
 * conntrack, for the notrack entries only: a document without any (VMs
 * alone, or a router) has none, and the drift check takes them away when
 * a document no longer needs them. The notrack sets stay: empty, they
 * cost nothing.
 */
static bool raw_needed(const struct fl_config *cfg)
{
	return cfg->n_notrack > 0;
}

static bool raw_chain(const char *name)
{
	return !strcmp(name, "raw_prerouting") || !strcmp(name, "raw_output");
}

/* A table with its sets, base chains and fixed rules, no elements. */
static void build_table(struct fl_nft *nft, int tb, const struct fl_config *cfg)
{
	int i;

	fl_nft_add_table(nft, fl_tables[tb].family, fl_tables[tb].name, FL_LAYOUT);
	for (i = 0; i < S_NUM; i++)
		if (fl_sets[i].tb == tb)
			fl_nft_add_set(nft, &fl_sets[i].def);
	if (tb == TB_FILTER) {
		if (raw_needed(cfg)) {
			fl_nft_add_chain(nft, NFPROTO_INET, FL_TABLE_FILTER, "raw_prerouting",
					 NF_INET_PRE_ROUTING, -300, "filter");
			fl_nft_add_chain(nft, NFPROTO_INET, FL_TABLE_FILTER, "raw_output",
					 NF_INET_LOCAL_OUT, -300, "filter");
			rules_raw(nft, "raw_prerouting");
			rules_raw(nft, "raw_output");
		}
		fl_nft_add_chain(nft, NFPROTO_INET, FL_TABLE_FILTER, "forward",
				 NF_INET_FORWARD, 0, "filter");
		rules_forward_spoof(nft);
		rules_forward_state(nft);
		rules_forward_vms(nft);
		return;
	}
	/* The NAT tables' dstnat chains, at the same priority for both families. */
	fl_nft_add_chain(nft, fl_tables[tb].family, fl_tables[tb].name, "prerouting",
			 NF_INET_PRE_ROUTING, -100, "nat");
	fl_nft_add_chain(nft, fl_tables[tb].family, fl_tables[tb].name, "output",
			 NF_INET_LOCAL_OUT, -100, "nat");
	rules_nat_dst(nft, tb, "prerouting");
	rules_nat_dst(nft, tb, "output");
	if (tb == TB_NAT6)
		return;
	fl_nft_add_chain(nft, NFPROTO_IPV4, FL_TABLE_NAT, "postrouting",
			 NF_INET_POST_ROUTING, 100, "nat");
	rules_nat_src(nft);
}

/* One firewall rule of a VM, for one family when the rule names none. */
static void vm_rule(struct fl_nft *nft, const char *chain, const struct fl_fwrule *fw,
		    bool v6, const char *what)
{
	struct nftnl_rule *r = frule(chain);
	uint8_t proto = fw->proto;

	if (fw->has_source || proto == FL_PROTO_ICMP)
		x_nfproto(r, v6);
	if (fw->has_source && fw->source.len) {
		size_t len = v6 ? 16 : 4;
		uint8_t mask[16] = { 0 };
		unsigned int i;

		for (i = 0; i < fw->source.len; i++)
			mask[i / 8] |= 0x80 >> (i % 8);
		x_addr(r, v6, true, R1);
		if (fw->source.len < len * 8)
			fl_x_bitwise(r, R1, mask, len);
		fl_x_cmp(r, R1, NFT_CMP_EQ, fw->source.addr, len);
	}
	if (proto == FL_PROTO_ICMP && v6)
		proto = IPPROTO_ICMPV6;
	x_l4proto(r, proto);
	if (fw->has_ports) {
		uint16_t lo = htons(fw->ports.lo), hi = htons(fw->ports.hi);

		fl_x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R1);
		if (lo == hi) {
			fl_x_cmp(r, R1, NFT_CMP_EQ, &lo, 2);
		} else {
			fl_x_cmp(r, R1, NFT_CMP_GTE, &lo, 2);
			fl_x_cmp(r, R1, NFT_CMP_LTE, &hi, 2);
		}
	}
	fl_x_verdict(r, NF_ACCEPT);
	fl_nft_add_rule(nft, r, what);
}

static void build_vm_chain(struct fl_nft *nft, const struct fl_vm *vm, const char *chain)
{
	char what[FL_NAME_MAX + 32];
	struct nftnl_rule *r;
	size_t i;

	fl_nft_add_chain(nft, NFPROTO_INET, FL_TABLE_FILTER, chain, -1, 0, NULL);
	snprintf(what, sizeof(what), "vm %s", vm->name);
	for (i = 0; i < vm->n_firewall; i++) {
		const struct fl_fwrule *fw = &vm->firewall[i];

		if (fw->has_source) {
			vm_rule(nft, chain, fw, fw->source.family == AF_INET6, what);
		} else if (fw->proto == FL_PROTO_ICMP) {
			vm_rule(nft, chain, fw, false, what);
			vm_rule(nft, chain, fw, true, what);
		} else {
			vm_rule(nft, chain, fw, false, what);
		}
	}
	r = frule(chain);
	fl_x_counter(r);
	fl_x_verdict(r, NF_DROP);
	snprintf(what, sizeof(what), "vm %s: default deny", vm->name);
	fl_nft_add_rule(nft, r, what);
}

static void service_map_def(struct fl_setdef *def, const struct fl_service *s,
			    const char *map)
{
	int tb = svc_tb(s);

	*def = (struct fl_setdef){
		.family = fl_tables[tb].family, .table = fl_tables[tb].name, .name = map,
		.key_type = T_MARK, .key_len = 4, .flags = NFT_SET_MAP,
		.data_type = CONCAT2(s->v6 ? T_IP6ADDR : T_IPADDR, T_SERVICE),
		.data_len = s->v6 ? 20 : 8, .key_order = 1,
	};
}

/* The service's backend map: one element per slot (fl_service_slots()),
 * slot number -> backend address . port.
 */
static void want_service_map(struct elist *l, const struct fl_service *s)
{
	uint32_t *slot = calloc(FL_SLOTS_MAX + 1, sizeof(*slot)), n, i;

	if (!slot)
		abort();
	n = fl_service_slots(s, slot);
	for (i = 0; i < n; i++) {
		const struct fl_backend *b = &s->backends[slot[i]];
		struct fl_elem *e = push(l);
		uint16_t port = htons(b->port);
		size_t alen = s->v6 ? 16 : 4;

		field(e, &i, NULL, 4);
		memcpy(e->data, s->v6 ? (const void *)&b->addr6 : (const void *)&b->addr, alen);
		memcpy(e->data + alen, &port, 2);
		e->dlen = alen + 4;
	}
	free(slot);
}

static void build_service_map(struct fl_nft *nft, const struct fl_service *s,
			      struct fl_setdef *def)
{
	struct elist l = { 0 };
	const struct fl_elem **ptrs;
	size_t i;

	fl_nft_add_set(nft, def);
	want_service_map(&l, s);
	ptrs = calloc(l.n + 1, sizeof(*ptrs));
	if (!ptrs)
		abort();
	for (i = 0; i < l.n; i++)
		ptrs[i] = &l.v[i];
	if (l.n)
		fl_nft_elems(nft, def, NFT_MSG_NEWSETELEM, ptrs, l.n);
	free(ptrs);
	free(l.v);
}

/* lb_<svc>_<hash>: the limit of new connections, then the scheduler's
 * slot number looked up in the map to the backend it translates to. The
 * NAT hook sees only a connection's first packet: established connections
 * keep their backend whatever the map becomes.
 */
static void build_service(struct fl_nft *nft, const struct fl_service *s,
			  const char *chain, const char *map)
{
	uint32_t slots = fl_service_slots(s, NULL);
	char what[FL_NAME_MAX + 48];
	int tb = svc_tb(s);
	struct fl_setdef def;
	struct nftnl_rule *r;

	service_map_def(&def, s, map);
	build_service_map(nft, s, &def);
	fl_nft_add_chain(nft, fl_tables[tb].family, fl_tables[tb].name, chain, -1, 0, NULL);
	if (s->new_conn_rate) {
		r = trule(tb, chain);
		fl_x_limit_over(r, s->new_conn_rate);
		fl_x_counter(r);
		fl_x_verdict(r, NF_DROP);
		snprintf(what, sizeof(what), "service %s: over new_connections_per_second",
			 s->name);
		fl_nft_add_rule(nft, r, what);
	}
	r = trule(tb, chain);
	if (!slots) {
		fl_x_counter(r);
		fl_x_verdict(r, NF_DROP);
		snprintf(what, sizeof(what), "service %s: no backend up", s->name);
		fl_nft_add_rule(nft, r, what);
		return;
	}
	x_l4proto(r, s->proto);
	if (s->sched == FL_SCHED_ROUND_ROBIN || s->sched == FL_SCHED_WEIGHT) {
		fl_x_numgen(r, R1, slots);
	} else if (s->sched == FL_SCHED_SYMHASH) {
		fl_x_symhash(r, R1, slots);
	} else {
		x_addr(r, s->v6, true, R32(4));
		fl_x_jhash(r, R32(4), s->v6 ? 16 : 4, R1, slots);
	}
	/* The map's data: the address, then the port in the next 4 bytes. */
	fl_x_lookup(r, R1, &def, R1, false);
	fl_x_nat(r, fl_tables[tb].family, NFT_NAT_DNAT, R1, R32(s->v6 ? 4 : 1));
	snprintf(what, sizeof(what), "service %s", s->name);
	fl_nft_add_rule(nft, r, what);
}

/* --- the plan --- */

struct chains {
	char **names;
	size_t n, cap;
};

static void names_push(struct chains *c, const char *name)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		char **n = realloc(c->names, cap * sizeof(*n));

		if (!n)
			abort();
		c->names = n;
		c->cap = cap;
	}
	c->names[c->n++] = strdup(name);
}

static void chain_seen(const char *name, void *data)
{
	if (strncmp(name, "in_", 3) && strncmp(name, "lb_", 3))
		return;		/* the fixed chains */
	names_push(data, name);
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool chain_has(const struct chains *c, const char *name)
{
	return bsearch(&name, c->names, c->n, sizeof(char *), strp_cmp) != NULL;
}

static void chains_free(struct chains *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->names);
	memset(c, 0, sizeof(*c));
}

static int elem_cmp_q(const void *a, const void *b)
{
	return fl_elem_cmp(*(const struct fl_elem *const *)a, *(const struct fl_elem *const *)b);
}

/* Sorting pointers: an element is a few hundred bytes. */
static const struct fl_elem **sorted(const struct elist *l)
{
	const struct fl_elem **v = calloc(l->n + 1, sizeof(*v));
	size_t i;

	if (!v)
		abort();
	for (i = 0; i < l->n; i++)
		v[i] = &l->v[i];
	qsort(v, l->n, sizeof(*v), elem_cmp_q);
	return v;
}

/* The length of the prefix whose start element is @e in the sorted @v of
 * a one-field IPv6 interval set: 128 when the next address is its end
 * element; else some shorter prefix (0: the module, which flushes by
 * address only, must flush every flow).
 */
static uint8_t prefix6_len(const struct fl_elem *const *v, size_t n, const struct fl_elem *e)
{
	struct fl_elem probe = { .klen = 16, .flags = NFT_SET_ELEM_INTERVAL_END };
	const struct fl_elem *pp = &probe;

	memcpy(probe.key, e->key, 16);
	if (!addr6_inc(probe.key))
		return 0;
	return bsearch(&pp, v, n, sizeof(*v), elem_cmp_q) ? 128 : 0;
}

static void flush_addr(struct fl_plan *p, const struct fl_set *s, const struct fl_elem *e,
		       const struct fl_elem *const *v, size_t n)
{
	struct fl_flush_addr *f;

	if (!s->addr_keyed || (e->flags & NFT_SET_ELEM_INTERVAL_END))
		return;
	if (p->n_flush == p->cap_flush) {
		size_t cap = p->cap_flush ? p->cap_flush * 2 : 64;

		f = realloc(p->flush, cap * sizeof(*f));
		if (!f)
			abort();
		p->flush = f;
		p->cap_flush = cap;
	}
	f = &p->flush[p->n_flush++];
	f->family = s->ftypes[0] == T_IP6ADDR ? AF_INET6 : AF_INET;
	memcpy(f->addr, e->key, f->family == AF_INET6 ? 16 : 4);
	f->len = f->family == AF_INET ? 32 :
		 s->def.flags & NFT_SET_INTERVAL ? prefix6_len(v, n, e) : 128;
}

/* Elements of @have not in @want are deleted (@del), those of @want not
 * in @have added (@add). Both lists are sorted here.
 */
static void diff_set(struct fl_plan *p, const struct fl_set *s, struct elist *have,
		     struct elist *want, const struct fl_elem ***add, size_t *n_add,
		     const struct fl_elem ***del, size_t *n_del)
{
	const struct fl_elem **h = sorted(have), **w = sorted(want);
	size_t i = 0, k = 0;
	char buf[256];

	*add = calloc(want->n + 1, sizeof(**add));
	*del = calloc(have->n + 1, sizeof(**del));
	if (!*add || !*del)
		abort();
	*n_add = *n_del = 0;
	while (i < have->n || k < want->n) {
		int d = i == have->n ? 1 : k == want->n ? -1 : fl_elem_cmp(h[i], w[k]);

		if (d == 0) {
			i++;
			k++;
			continue;
		}
		if (d < 0) {
			if (p->lines)
				fmt_elem(s, h[i], buf, sizeof(buf));
			line(p, "- element %s %s { %s }", s->def.table, s->def.name, buf);
			flush_addr(p, s, h[i], h, have->n);
			(*del)[(*n_del)++] = h[i++];
		} else {
			if (p->lines)
				fmt_elem(s, w[k], buf, sizeof(buf));
			line(p, "+ element %s %s { %s }", s->def.table, s->def.name, buf);
			if (s - fl_sets == S_OUT4 || s - fl_sets == S_OUT6)
				flush_addr(p, s, w[k], w, want->n);
			(*add)[(*n_add)++] = w[k++];
		}
	}
	free(h);
	free(w);
}

struct plan_state {
	bool fresh[TB_NUM];
	struct chains have_chains[TB_NUM];
	struct elist have[S_NUM], want[S_NUM];
	const struct fl_elem **add[S_NUM], **del[S_NUM];
	size_t n_add[S_NUM], n_del[S_NUM];
	/* The VMs (and, with @services, the services) whose chains the plan
	 * wants: all of them, or in the incremental plan the changed VMs.
	 */
	const struct fl_vm *const *vms;
	size_t n_vms;
	bool services;
	const struct fl_vm **all;	/* the full plan's list of every VM */
	/* The drift check (full plan): chains as the kernel has them and as
	 * the document builds them; what is not flowlane's, to delete last.
	 */
	struct fl_chains kchains[TB_NUM], wchains[TB_NUM];
	struct chains extra_chains[TB_NUM], extra_sets[TB_NUM];
};

/* Whether the document needs table @tb at all: a document with only a
 * fast path (a router) programs no nftables rule, and one without uplinks
 * or services no NAT table.
 */
static size_t n_services_in(const struct fl_config *cfg, int tb)
{
	size_t i, n = 0;

	for (i = 0; i < cfg->n_services; i++)
		n += svc_tb(&cfg->services[i]) == tb;
	return n;
}

static bool table_needed(const struct fl_config *cfg, int tb)
{
	if (tb == TB_FILTER)
		return cfg->n_vms || cfg->n_notrack || cfg->n_services;
	if (tb == TB_NAT6)
		return n_services_in(cfg, TB_NAT6);
	return cfg->n_uplinks || n_services_in(cfg, TB_NAT);
}

/* The full plan's view: flowlane's tables as the kernel has them. */
static int read_kernel(struct fl_plan *p, struct plan_state *st, const struct fl_config *cfg,
		       bool rebuild)
{
	struct fl_nft *nft = &p->nft;
	char udata[256];
	int tb, i, present[TB_NUM];

	for (tb = 0; tb < TB_NUM; tb++) {
		present[tb] = fl_nft_get_table(nft, fl_tables[tb].family, fl_tables[tb].name,
					       udata, sizeof(udata), NULL);
		if (present[tb] < 0)
			return -1;
		if (!table_needed(cfg, tb)) {
			/* Nothing to read or build: its sets stay empty. */
			st->fresh[tb] = true;
			if (present[tb]) {
				fl_nft_del_table(nft, fl_tables[tb].family, fl_tables[tb].name);
				line(p, "- table %s (the document needs none)", fl_tables[tb].name);
			}
			continue;
		}
		st->fresh[tb] = rebuild || !present[tb] || strcmp(udata, FL_LAYOUT);
		if (!st->fresh[tb] && nft->table_flags) {
			/* A dormant table hooks nothing: the firewall would be off. */
			fl_nft_wake_table(nft, fl_tables[tb].family, fl_tables[tb].name);
			line(p, "~ table %s: flags 0x%x (dormant), not 0: reactivated",
			     fl_tables[tb].name, nft->table_flags);
		}
		if (st->fresh[tb]) {
			if (present[tb]) {
				fl_nft_del_table(nft, fl_tables[tb].family, fl_tables[tb].name);
				line(p, "- table %s (%s)", fl_tables[tb].name,
				     rebuild ? "rebuild" : "layout changed");
			}
			build_table(nft, tb, cfg);
			line(p, "+ table %s", fl_tables[tb].name);
			continue;
		}
		if (fl_nft_list_chains(nft, fl_tables[tb].family, fl_tables[tb].name,
				       chain_seen, &st->have_chains[tb]))
			return -1;
		qsort(st->have_chains[tb].names, st->have_chains[tb].n, sizeof(char *),
		      strp_cmp);
	}
	for (i = 0; i < S_NUM; i++)
		if (!st->fresh[fl_sets[i].tb] &&
		    fl_nft_list_elems(nft, &fl_sets[i].def, &st->have[i].v, &st->have[i].n,
				      &st->have[i].cap))
			return -1;
	return 0;
}

/* New VM and service chains, before the map elements that jump to them. */
static void add_chains(struct fl_plan *p, struct plan_state *st, const struct fl_config *cfg)
{
	char chain[FL_CHAIN_MAX], map[FL_CHAIN_MAX];
	size_t i;

	for (i = 0; i < st->n_vms; i++) {
		vm_chain_name(st->vms[i], chain, sizeof(chain));
		if (!st->fresh[TB_FILTER] && chain_has(&st->have_chains[TB_FILTER], chain))
			continue;
		build_vm_chain(&p->nft, st->vms[i], chain);
		line(p, "+ chain %s %s", FL_TABLE_FILTER, chain);
	}
	for (i = 0; st->services && i < cfg->n_services; i++) {
		int tb = svc_tb(&cfg->services[i]);

		svc_chain_name(&cfg->services[i], "lb", chain, sizeof(chain));
		if (!st->fresh[tb] && chain_has(&st->have_chains[tb], chain))
			continue;
		svc_chain_name(&cfg->services[i], "lbm", map, sizeof(map));
		build_service(&p->nft, &cfg->services[i], chain, map);
		line(p, "+ chain %s %s", fl_tables[tb].name, chain);
	}
}

static bool wanted_service_chain(const struct fl_config *cfg, int tb, const char *name)
{
	char chain[FL_CHAIN_MAX];
	size_t i;

	for (i = 0; i < cfg->n_services; i++) {
		if (svc_tb(&cfg->services[i]) != tb)
			continue;
		svc_chain_name(&cfg->services[i], "lb", chain, sizeof(chain));
		if (!strcmp(chain, name))
			return true;
	}
	return false;
}

/* Chains no element jumps to any more, after the elements went. */
static void del_chains(struct fl_plan *p, struct plan_state *st, const struct fl_config *cfg)
{
	struct chains want = { 0 };
	char chain[FL_CHAIN_MAX];
	size_t i;
	int tb;

	for (i = 0; i < st->n_vms; i++) {
		vm_chain_name(st->vms[i], chain, sizeof(chain));
		chain_seen(chain, &want);
	}
	qsort(want.names, want.n, sizeof(char *), strp_cmp);
	for (tb = 0; tb < TB_NUM; tb++) {
		const struct chains *have = &st->have_chains[tb];

		for (i = 0; i < have->n; i++) {
			const char *name = have->names[i];

			if (tb == TB_FILTER ? chain_has(&want, name) :
			    wanted_service_chain(cfg, tb, name))
				continue;
			fl_nft_del_chain(&p->nft, fl_tables[tb].family, fl_tables[tb].name, name);
			line(p, "- chain %s %s", fl_tables[tb].name, name);
			if (!strncmp(name, "lb_", 3)) {
				struct fl_setdef def = { .family = fl_tables[tb].family,
							 .table = fl_tables[tb].name };

				snprintf(chain, sizeof(chain), "lbm_%s", name + 3);
				def.name = chain;
				fl_nft_del_set(&p->nft, &def);
			}
		}
	}
	chains_free(&want);
}

static void plan_state_free(struct plan_state *st)
{
	int i;

	for (i = 0; i < S_NUM; i++) {
		free(st->have[i].v);
		free(st->want[i].v);
		free(st->add[i]);
		free(st->del[i]);
	}
	for (i = 0; i < TB_NUM; i++) {
		chains_free(&st->have_chains[i]);
		fl_chains_free(&st->kchains[i]);
		fl_chains_free(&st->wchains[i]);
		chains_free(&st->extra_chains[i]);
		chains_free(&st->extra_sets[i]);
	}
	free(st->all);
}

/* --- drift: everything in flowlane's tables, not only the elements --- */

static bool per_vm_chain(const char *name)
{
	return !strncmp(name, "in_", 3) || !strncmp(name, "lb_", 3);
}

/* What the document builds in table @tb: its fixed chains and rules, every
 * VM's or service's chain, recorded instead of sent.
 */
static void wanted_chains(struct fl_nft *nft, int tb, const struct fl_config *cfg,
			  struct fl_chains *out)
{
	char chain[FL_CHAIN_MAX], map[FL_CHAIN_MAX];
	size_t i;

	nft->capture = out;
	build_table(nft, tb, cfg);
	for (i = 0; tb == TB_FILTER && i < cfg->n_vms; i++) {
		vm_chain_name(&cfg->vms[i], chain, sizeof(chain));
		build_vm_chain(nft, &cfg->vms[i], chain);
	}
	for (i = 0; tb != TB_FILTER && i < cfg->n_services; i++) {
		if (svc_tb(&cfg->services[i]) != tb)
			continue;
		svc_chain_name(&cfg->services[i], "lb", chain, sizeof(chain));
		svc_chain_name(&cfg->services[i], "lbm", map, sizeof(map));
		build_service(nft, &cfg->services[i], chain, map);
	}
	nft->capture = NULL;
	fl_chains_sort(out);
}

static bool same_hook(const struct fl_chain *a, const struct fl_chain *b)
{
	return a->base == b->base && (!a->base || (a->hook == b->hook && a->prio == b->prio &&
						   a->policy == b->policy &&
						   !strcmp(a->type, b->type)));
}

static bool same_rules(const struct fl_chain *a, const struct fl_chain *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->rules[i], b->rules[i]))
			return false;
	return true;
}

/* Rule @i of @c in nft's words: the kernel's, read again for them; the
 * wanted ones, said now.
 */
static const char *rule_words(const struct fl_chain *c, size_t i, char *buf, size_t size)
{
	if (c->words && c->words[i])
		return c->words[i];
	if (c->objs && c->objs[i]) {
		fl_rule_words(c->objs[i], buf, size);
		return buf;
	}
	return c->rules[i];
}

/* The rules of @a that @b lacks (as a multiset), one line each. */
static void rules_missing(struct fl_plan *p, const char *table, const struct fl_chain *a,
			  const struct fl_chain *b, char sign)
{
	bool *used = calloc(b->n + 1, sizeof(*used));
	char buf[2048];
	size_t i, k;

	if (!used)
		abort();
	for (i = 0; i < a->n; i++) {
		for (k = 0; k < b->n; k++)
			if (!used[k] && !strcmp(a->rules[i], b->rules[k]))
				break;
		if (k < b->n)
			used[k] = true;
		else
			line(p, "%c rule %s %s: %s", sign, table, a->name,
			     p->lines ? rule_words(a, i, buf, sizeof(buf)) : "");
	}
	free(used);
}

/* A wanted chain against the kernel's: recreated when its hook differs,
 * refilled when its rules do (the order counts).
 */
static void drift_chain(struct fl_plan *p, int tb, struct fl_chain *w, struct fl_chain *k)
{
	const char *table = fl_tables[tb].name;
	int family = fl_tables[tb].family;
	char kd[128], wd[128];
	size_t i, n = p->n_changes;

	if (!same_hook(k, w)) {
		fl_chain_describe(k, kd, sizeof(kd));
		fl_chain_describe(w, wd, sizeof(wd));
		line(p, "~ chain %s %s: %s, not %s: recreated", table, w->name, kd, wd);
		fl_nft_del_chain(&p->nft, family, table, w->name);
		fl_nft_add_chain(&p->nft, family, table, w->name, w->base ? (int)w->hook : -1,
				 w->prio, w->type);
		for (i = 0; i < w->n; i++) {
			fl_nft_add_rule(&p->nft, w->objs[i], "rule restored");
			w->objs[i] = NULL;
		}
		return;
	}
	if (same_rules(k, w))
		return;
	/* Only the lines need the words; without them a line shows the text. */
	if (p->lines)
		(void)fl_nft_chain_words(&p->nft, family, table, k);
	rules_missing(p, table, k, w, '-');
	rules_missing(p, table, w, k, '+');
	if (p->n_changes == n)
		line(p, "~ chain %s %s: rules out of order", table, w->name);
	fl_nft_refill_chain(&p->nft, family, table, w);
}

static bool layout_set(int tb, const char *name)
{
	int i;

	for (i = 0; i < S_NUM; i++)
		if (fl_sets[i].tb == tb && !strcmp(fl_sets[i].def.name, name))
			return true;
	return false;
}

struct set_seen {
	struct plan_state *st;
	int tb;
};

/* A set that is not flowlane's: not of the layout, nor the backend map of
 * a service chain the kernel has (del_chains takes those with their chain).
 */
static void set_seen(const char *name, void *data)
{
	struct set_seen *s = data;
	char chain[FL_CHAIN_MAX];

	if (layout_set(s->tb, name))
		return;
	if (!strncmp(name, "lbm_", 4)) {
		snprintf(chain, sizeof(chain), "lb_%s", name + 4);
		if (fl_chains_find(&s->st->kchains[s->tb], chain))
			return;
	}
	names_push(&s->st->extra_sets[s->tb], name);
}

/* Chains, rules, hooks and sets of table @tb, against the document's. */
static int drift_table(struct fl_plan *p, struct plan_state *st, const struct fl_config *cfg,
		       int tb)
{
	struct fl_chains *k = &st->kchains[tb], *w = &st->wchains[tb];
	const char *table = fl_tables[tb].name;
	int family = fl_tables[tb].family;
	struct set_seen ss = { st, tb };
	struct fl_chain *kc;
	size_t i;

	if (fl_nft_dump_chains(&p->nft, family, table, k))
		return -1;
	fl_chains_sort(k);
	if (fl_nft_dump_rules(&p->nft, family, table, k) ||
	    fl_nft_list_sets(&p->nft, family, table, set_seen, &ss))
		return -1;
	wanted_chains(&p->nft, tb, cfg, w);
	for (i = 0; i < w->n; i++) {
		kc = fl_chains_find(k, w->v[i].name);
		if (kc) {
			kc->seen = true;
			drift_chain(p, tb, &w->v[i], kc);
		} else if (!per_vm_chain(w->v[i].name)) {
			/* A fixed chain deleted by hand; add_chains makes VMs'. */
			line(p, "+ chain %s %s (missing)", table, w->v[i].name);
			rules_missing(p, table, &w->v[i], &(struct fl_chain){ 0 }, '+');
			fl_nft_add_chain(&p->nft, family, table, w->v[i].name,
					 w->v[i].base ? (int)w->v[i].hook : -1, w->v[i].prio,
					 w->v[i].type);
			fl_nft_refill_chain(&p->nft, family, table, &w->v[i]);
		}
	}
	for (i = 0; i < k->n; i++)
		if (!k->v[i].seen && !per_vm_chain(k->v[i].name))
			names_push(&st->extra_chains[tb], k->v[i].name);
	return 0;
}

/* The backend map of each service whose chain the kernel has, element by
 * element: a state or weight change makes a new map (the service's hash
 * names both), so a difference here is a hand change, undone in place.
 */
static int drift_service_maps(struct fl_plan *p, struct plan_state *st,
			      const struct fl_config *cfg)
{
	char chain[FL_CHAIN_MAX], map[FL_CHAIN_MAX];
	const struct fl_elem **add, **del;
	size_t i, n_add, n_del;
	int ret = 0;

	for (i = 0; i < cfg->n_services && !ret; i++) {
		const struct fl_service *s = &cfg->services[i];
		struct fl_set set = { .tb = svc_tb(s), .ftypes = { T_MARK },
				      .dtype = s->v6 ? T_IP6ADDR : T_IPADDR };
		struct elist have = { 0 }, want = { 0 };

		if (st->fresh[set.tb])
			continue;
		svc_chain_name(s, "lb", chain, sizeof(chain));
		if (!fl_chains_find(&st->kchains[set.tb], chain))
			continue;
		svc_chain_name(s, "lbm", map, sizeof(map));
		service_map_def(&set.def, s, map);
		set.def.n_fields = 1;
		set.def.fields[0] = 4;
		want_service_map(&want, &cfg->services[i]);
		ret = fl_nft_list_elems(&p->nft, &set.def, &have.v, &have.n, &have.cap);
		if (!ret) {
			diff_set(p, &set, &have, &want, &add, &n_add, &del, &n_del);
			fl_nft_elems(&p->nft, &set.def, NFT_MSG_DELSETELEM, del, n_del);
			fl_nft_elems(&p->nft, &set.def, NFT_MSG_NEWSETELEM, add, n_add);
			free(add);
			free(del);
		}
		free(have.v);
		free(want.v);
	}
	return ret;
}

/* Last in the batch, once nothing of flowlane's refers to them. */
static void del_extras(struct fl_plan *p, struct plan_state *st)
{
	size_t i;
	int tb;

	for (tb = 0; tb < TB_NUM; tb++) {
		for (i = 0; i < st->extra_chains[tb].n; i++) {
			const char *name = st->extra_chains[tb].names[i];

			line(p, "- chain %s %s (%s)", fl_tables[tb].name, name,
			     tb == TB_FILTER && raw_chain(name) ? "no notrack entry needs it" :
			     "not flowlane's");
			fl_nft_del_chain(&p->nft, fl_tables[tb].family, fl_tables[tb].name, name);
		}
		for (i = 0; i < st->extra_sets[tb].n; i++) {
			struct fl_setdef def = { .family = fl_tables[tb].family,
						 .table = fl_tables[tb].name,
						 .name = st->extra_sets[tb].names[i] };

			line(p, "- set %s %s (not flowlane's)", fl_tables[tb].name, def.name);
			fl_nft_del_set(&p->nft, &def);
		}
	}
}

/* The full plan: every element and chain the document wants, against the
 * kernel's.
 */
static int plan_full(struct fl_plan *p, struct plan_state *st, const struct fl_config *cfg,
		     bool rebuild)
{
	size_t i;

	int tb;

	if (read_kernel(p, st, cfg, rebuild))
		return -1;
	for (tb = 0; tb < TB_NUM; tb++)
		if (!st->fresh[tb] && drift_table(p, st, cfg, tb))
			return -1;
	if (drift_service_maps(p, st, cfg))
		return -1;
	want_all(st->want, cfg);
	st->all = calloc(cfg->n_vms + 1, sizeof(*st->all));
	if (!st->all)
		abort();
	for (i = 0; i < cfg->n_vms; i++)
		st->all[i] = &cfg->vms[i];
	st->vms = st->all;
	st->n_vms = cfg->n_vms;
	st->services = true;
	return 0;
}

/* The incremental plan: the changed VMs' old elements and chains stand for
 * the kernel's, their new ones for the document's; the rest of the ruleset
 * is known to match already. The same diff then gives the same batch as
 * the full plan.
 */
static void plan_delta(struct plan_state *st, const struct fl_config *cfg,
		       const struct fl_plan_delta *d)
{
	struct chains *have = &st->have_chains[TB_FILTER];
	char chain[FL_CHAIN_MAX];
	size_t i;

	for (i = 0; i < d->n_old; i++) {
		want_vm(st->have, cfg, &d->old[i], false);
		vm_chain_name(&d->old[i], chain, sizeof(chain));
		chain_seen(chain, have);
	}
	qsort(have->names, have->n, sizeof(char *), strp_cmp);
	for (i = 0; i < d->n_new; i++)
		want_vm(st->want, cfg, d->new[i], true);
	st->vms = d->new;
	st->n_vms = d->n_new;
	st->services = false;
}

int fl_plan_make(struct fl_plan *p, const struct fl_config *cfg,
		 const struct fl_plan_opts *opts)
{
	struct plan_state st = { 0 };
	int i, ret = -1;

	memset(p, 0, sizeof(*p));
	if (opts->describe) {
		p->cap_lines = 64;
		p->lines = calloc(p->cap_lines, sizeof(*p->lines));
	}
	if (fl_nft_open(&p->nft))
		return -1;
	p->nft.genid = opts->genid;
	if (!p->nft.genid && fl_nft_genid(&p->nft, &p->nft.genid))
		return -1;
	sets_init();
	fl_nft_batch_begin(&p->nft);
	/* A table to take away is seen on the full path only. */
	if (opts->delta && !opts->rebuild && table_needed(cfg, TB_FILTER) &&
	    table_needed(cfg, TB_NAT))
		plan_delta(&st, cfg, opts->delta);
	else if (plan_full(p, &st, cfg, opts->rebuild))
		goto out;
	add_chains(p, &st, cfg);
	for (i = 0; i < S_NUM; i++)
		diff_set(p, &fl_sets[i], &st.have[i], &st.want[i], &st.add[i], &st.n_add[i],
			 &st.del[i], &st.n_del[i]);
	for (i = 0; i < S_NUM; i++)
		fl_nft_elems(&p->nft, &fl_sets[i].def, NFT_MSG_DELSETELEM, st.del[i], st.n_del[i]);
	for (i = 0; i < S_NUM; i++)
		fl_nft_elems(&p->nft, &fl_sets[i].def, NFT_MSG_NEWSETELEM, st.add[i], st.n_add[i]);
	del_chains(p, &st, cfg);
	del_extras(p, &st);
	ret = 0;
out:
	plan_state_free(&st);
	return ret;
}

int fl_plan_commit(struct fl_plan *p)
{
	return fl_nft_commit(&p->nft);
}

void fl_plan_free(struct fl_plan *p)
{
	size_t i;

	fl_nft_close(&p->nft);
	for (i = 0; i < p->n_lines; i++)
		free(p->lines[i]);
	free(p->lines);
	free(p->flush);
	memset(p, 0, sizeof(*p));
}

int fl_ruleset_id_read(struct fl_ruleset_id *id, char *err, size_t size)
{
	struct fl_nft nft;
	char udata[256];
	int tb;

	memset(id, 0, sizeof(*id));
	if (fl_nft_open(&nft))
		goto fail;
	/* Handles first: a change between the two reads moves the generation,
	 * so a generation that matches vouches for the handles too.
	 */
	for (tb = 0; tb < TB_NUM; tb++)
		if (fl_nft_get_table(&nft, fl_tables[tb].family, fl_tables[tb].name,
				     udata, sizeof(udata), &id->handle[tb]) < 0)
			goto fail;
	if (fl_nft_genid(&nft, &id->genid))
		goto fail;
	fl_nft_close(&nft);
	return 0;
fail:
	snprintf(err, size, "%s", nft.err);
	fl_nft_close(&nft);
	return -1;
}

int fl_ruleset_delete(char *err, size_t size)
{
	struct fl_nft nft;
	char udata[256];
	int tb, ret, n = 0;

	if (fl_nft_open(&nft) || fl_nft_genid(&nft, &nft.genid))
		goto fail;
	fl_nft_batch_begin(&nft);
	for (tb = 0; tb < TB_NUM; tb++) {
		ret = fl_nft_get_table(&nft, fl_tables[tb].family, fl_tables[tb].name,
				       udata, sizeof(udata), NULL);
		if (ret < 0)
			goto fail;
		if (ret) {
			fl_nft_del_table(&nft, fl_tables[tb].family, fl_tables[tb].name);
			n++;
		}
	}
	if (fl_nft_commit(&nft))
		goto fail;
	fl_nft_close(&nft);
	return n;
fail:
	snprintf(err, size, "%s", nft.err);
	fl_nft_close(&nft);
	return -1;
}
