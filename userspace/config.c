// SPDX-License-Identifier: GPL-2.0
/*
 * The apply document: JSON (jansson) -> validated model (config.h).
 *
 * Every refusal is one message that starts with the JSON path of the bad
 * value, e.g. "vms[3].firewall[0].port: 70000 is not a port". The parser
 * stops at the first error; nothing is partially accepted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <jansson.h>

#include "config.h"

struct pctx {
	char *err;			/* FL_ERR_MAX bytes */
	bool frame;			/* a document without its VMs: fl_config_parse_frame() */
};

__attribute__((format(printf, 3, 4)))
static int perr(struct pctx *c, const char *path, const char *fmt, ...)
{
	size_t off = 0;
	va_list ap;

	c->err[0] = '\0';
	if (path && *path)
		off = snprintf(c->err, FL_ERR_MAX, "%.255s: ", path);
	va_start(ap, fmt);
	vsnprintf(c->err + off, FL_ERR_MAX - off, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "something else";
}

static int want_type(struct pctx *c, const char *path, const json_t *j,
		     json_type type, const char *what)
{
	if (json_typeof(j) == type)
		return 0;
	return perr(c, path, "expected %s, got %s", what, type_name(j));
}

static void subpath(char *out, size_t size, const char *path, const char *key)
{
	if (snprintf(out, size, "%s%s%s", path, *path ? "." : "", key) >= (int)size)
		out[size - 1] = '\0';
}

static void idxpath(char *out, size_t size, const char *path, size_t i)
{
	if (snprintf(out, size, "%s[%zu]", path, i) >= (int)size)
		out[size - 1] = '\0';
}

/* Refuses keys outside @allowed (a NULL-terminated list). */
static int check_keys(struct pctx *c, const char *path, json_t *obj,
		      const char *const *allowed)
{
	const char *key, *const *a;
	char list[256] = "", sub[256];
	json_t *v;

	json_object_foreach(obj, key, v) {
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (*a)
			continue;
		for (a = allowed; *a; a++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", a == allowed ? "" : ", ", *a);
		subpath(sub, sizeof(sub), path, key);
		return perr(c, sub, "unknown key (known: %s)", list);
	}
	return 0;
}

/* A required string member of @obj. */
static int get_str(struct pctx *c, const char *path, json_t *obj,
		   const char *key, bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	*out = NULL;
	if (!v) {
		if (required)
			return perr(c, path, "missing key '%s'", key);
		return 0;
	}
	subpath(p, sizeof(p), path, key);
	if (want_type(c, p, v, JSON_STRING, "a string"))
		return -1;
	*out = json_string_value(v);
	return 0;
}

static int get_bool(struct pctx *c, const char *path, json_t *obj,
		    const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	if (!v)
		return 0;
	subpath(p, sizeof(p), path, key);
	if (!json_is_boolean(v))
		return perr(c, p, "expected true or false, got %s", type_name(v));
	*out = json_is_true(v);
	return 0;
}

static int get_u32(struct pctx *c, const char *path, json_t *obj,
		   const char *key, uint32_t max, uint32_t *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t n;
	char p[256];

	if (!v)
		return 0;
	subpath(p, sizeof(p), path, key);
	if (want_type(c, p, v, JSON_INTEGER, "an integer"))
		return -1;
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return perr(c, p, "%lld is out of range (0-%u)", (long long)n, max);
	*out = n;
	return 0;
}

/* An optional array member; *out is NULL when absent. */
static int get_array(struct pctx *c, const char *path, json_t *obj,
		     const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	*out = NULL;
	if (!v)
		return 0;
	subpath(p, sizeof(p), path, key);
	if (want_type(c, p, v, JSON_ARRAY, "an array"))
		return -1;
	*out = v;
	return 0;
}

static int parse_name(struct pctx *c, const char *path, const char *s,
		      size_t max, char *out)
{
	size_t i, len = strlen(s);

	if (!len || len > max)
		return perr(c, path, "'%s' must be 1 to %zu characters", s, max);
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
		      s[i] == '.'))
			return perr(c, path, "'%s' may hold only letters, digits, '-', '_' and '.'", s);
	memcpy(out, s, len + 1);
	return 0;
}

static int parse_ifname(struct pctx *c, const char *path, json_t *v,
			char out[IFNAMSIZ])
{
	const char *s;
	size_t len;

	if (want_type(c, path, v, JSON_STRING, "an interface name"))
		return -1;
	s = json_string_value(v);
	len = strlen(s);
	if (!len || len >= IFNAMSIZ || strpbrk(s, " /:\t\n"))
		return perr(c, path, "'%s' is not an interface name", s);
	memcpy(out, s, len + 1);
	return 0;
}

/* An array of interface names; duplicates refused. */
static int parse_ifnames(struct pctx *c, const char *path, json_t *arr,
			 char (**out)[IFNAMSIZ], size_t *n)
{
	char p[256];
	size_t i, k;
	json_t *v;

	*n = 0;
	*out = NULL;
	if (!arr)
		return 0;
	*out = calloc(json_array_size(arr) + 1, IFNAMSIZ);
	if (!*out)
		return perr(c, path, "out of memory");
	json_array_foreach(arr, i, v) {
		idxpath(p, sizeof(p), path, i);
		if (parse_ifname(c, p, v, (*out)[i]))
			return -1;
		for (k = 0; k < i; k++)
			if (!strcmp((*out)[k], (*out)[i]))
				return perr(c, p, "'%s' is listed twice", (*out)[i]);
		(*n)++;
	}
	return 0;
}

/* Names the module follows may be patterns ("vmtap-web*"): fastpath.devices
 * only (nftables sees uplinks and VM interfaces too, in sets where '*' is
 * no wildcard). '*' elsewhere than at the end, or alone, is refused.
 */
static int check_wildcards(struct pctx *c, const char *path, char (*names)[IFNAMSIZ],
			   size_t n, bool patterns_ok)
{
	const char *star;
	char p[256];
	size_t i;

	for (i = 0; i < n; i++) {
		star = strchr(names[i], '*');
		if (!star)
			continue;
		idxpath(p, sizeof(p), path, i);
		if (!patterns_ok)
			return perr(c, p, "'%s' is a pattern: name the interface exactly "
				    "(patterns go in fastpath.devices)", names[i]);
		if (star[1])
			return perr(c, p, "'%s': '*' may only end a pattern (\"vmtap-web*\")",
				    names[i]);
		if (star == names[i])
			return perr(c, p, "'*' alone would put every device on the fast path: "
				    "give a prefix (\"vmtap-web*\")");
	}
	return 0;
}

static int parse_ipv4(struct pctx *c, const char *path, const char *s,
		      struct in_addr *out)
{
	if (inet_pton(AF_INET, s, out) != 1)
		return perr(c, path, "'%s' is not an IPv4 address", s);
	return 0;
}

static int parse_ipv6(struct pctx *c, const char *path, const char *s,
		      struct in6_addr *out)
{
	if (inet_pton(AF_INET6, s, out) != 1)
		return perr(c, path, "'%s' is not an IPv6 address", s);
	return 0;
}

/* "10.0.0.0/8", "2001:db8::/32", or a bare address (a host prefix). */
static int parse_prefix(struct pctx *c, const char *path, const char *s,
			struct fl_prefix *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned int max, i;
	long len;

	if (strlen(s) >= sizeof(buf))
		return perr(c, path, "'%s' is not an address prefix", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, out->addr) == 1)
		out->family = AF_INET6;
	else
		return perr(c, path, "'%s' is not an address prefix", s);
	max = out->family == AF_INET ? 32 : 128;
	len = max;
	if (slash) {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || len < 0 || len > (long)max)
			return perr(c, path, "'%s' has a bad prefix length", s);
	}
	out->len = len;
	for (i = len; i < max; i++)
		if (out->addr[i / 8] & (0x80 >> (i % 8)))
			return perr(c, path, "'%s' has host bits set", s);
	return 0;
}

static bool prefixes_overlap(const struct fl_prefix *a, const struct fl_prefix *b)
{
	unsigned int i, len = a->len < b->len ? a->len : b->len;

	if (a->family != b->family)
		return false;
	for (i = 0; i < len; i++)
		if ((a->addr[i / 8] ^ b->addr[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* Whether @a has @addr among its IPv4 addresses. */
static bool vm_has_ipv4(const struct fl_vm *a, struct in_addr addr)
{
	unsigned int i;

	for (i = 0; i < a->n_ipv4; i++)
		if (a->ipv4[i].s_addr == addr.s_addr)
			return true;
	return false;
}

static bool vms_share_ipv4(const struct fl_vm *a, const struct fl_vm *b)
{
	unsigned int i;

	for (i = 0; i < a->n_ipv4; i++)
		if (vm_has_ipv4(b, a->ipv4[i]))
			return true;
	return false;
}

static struct fl_prefix vm_prefix6(const struct fl_vm *vm)
{
	struct fl_prefix p = { .family = AF_INET6, .len = vm->ipv6_len };

	memcpy(p.addr, &vm->ipv6, 16);
	return p;
}

/* Whether @addr is in @vm's IPv6 prefix (or is its one address). */
static bool vm_has_ipv6(const struct fl_vm *vm, const struct in6_addr *addr)
{
	struct fl_prefix pv, pa = { .family = AF_INET6, .len = 128 };

	if (!vm->has_ipv6)
		return false;
	pv = vm_prefix6(vm);
	memcpy(pa.addr, addr, 16);
	return prefixes_overlap(&pv, &pa);
}

static bool vms_share_ipv6(const struct fl_vm *a, const struct fl_vm *b)
{
	struct fl_prefix pa, pb;

	if (!a->has_ipv6 || !b->has_ipv6)
		return false;
	pa = vm_prefix6(a);
	pb = vm_prefix6(b);
	return prefixes_overlap(&pa, &pb);
}

/* "fd00::2" for one address, "2001:db8::/64" for a prefix. */
static const char *ntop6_vm(const struct fl_vm *vm, char *buf, size_t size)
{
	size_t n;

	inet_ntop(AF_INET6, &vm->ipv6, buf, size);
	n = strlen(buf);
	if (vm->ipv6_len != 128)
		snprintf(buf + n, size - n, "/%u", vm->ipv6_len);
	return buf;
}

/* 22, or "8000-8100", or "22". */
static int parse_ports(struct pctx *c, const char *path, json_t *v,
		       struct fl_ports *out)
{
	unsigned long lo, hi;
	const char *s;
	char *end;

	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < 1 || n > 65535)
			return perr(c, path, "%lld is not a port", (long long)n);
		out->lo = out->hi = n;
		return 0;
	}
	if (!json_is_string(v))
		return perr(c, path, "expected a port or a range \"LOW-HIGH\", got %s",
			    type_name(v));
	s = json_string_value(v);
	errno = 0;
	lo = strtoul(s, &end, 10);
	hi = lo;
	if (!errno && end != s && *end == '-') {
		const char *h = end + 1;

		hi = strtoul(h, &end, 10);
		if (end == h)
			end = (char *)h - 1;
	}
	if (errno || end == s || *end || *s == '-' || *s == '+')
		return perr(c, path, "'%s' is not a port or a range \"LOW-HIGH\"", s);
	if (lo < 1 || lo > 65535)
		return perr(c, path, "%lu is not a port", lo);
	if (hi < 1 || hi > 65535)
		return perr(c, path, "%lu is not a port", hi);
	if (hi < lo)
		return perr(c, path, "'%s' is an empty range", s);
	out->lo = lo;
	out->hi = hi;
	return 0;
}

static int parse_proto(struct pctx *c, const char *path, const char *s,
		       bool icmp_ok, uint8_t *out)
{
	if (!strcmp(s, "tcp"))
		*out = FL_PROTO_TCP;
	else if (!strcmp(s, "udp"))
		*out = FL_PROTO_UDP;
	else if (icmp_ok && !strcmp(s, "icmp"))
		*out = FL_PROTO_ICMP;
	else
		return perr(c, path, "'%s' is not a protocol (%s)", s,
			    icmp_ok ? "tcp, udp or icmp" : "tcp or udp");
	return 0;
}

static const char *const fwrule_keys[] = { "proto", "port", "source", NULL };

static int parse_fwrule(struct pctx *c, const char *path, json_t *o,
			struct fl_fwrule *r)
{
	const char *proto, *src;
	char p[256];
	json_t *v;

	if (want_type(c, path, o, JSON_OBJECT, "an object") ||
	    check_keys(c, path, o, fwrule_keys) ||
	    get_str(c, path, o, "proto", true, &proto))
		return -1;
	subpath(p, sizeof(p), path, "proto");
	if (parse_proto(c, p, proto, true, &r->proto))
		return -1;
	r->ports = (struct fl_ports){ 0, 65535 };
	v = json_object_get(o, "port");
	if (v) {
		subpath(p, sizeof(p), path, "port");
		if (r->proto == FL_PROTO_ICMP)
			return perr(c, p, "icmp has no ports");
		if (parse_ports(c, p, v, &r->ports))
			return -1;
		r->has_ports = true;
	}
	if (get_str(c, path, o, "source", false, &src))
		return -1;
	if (src) {
		subpath(p, sizeof(p), path, "source");
		if (parse_prefix(c, p, src, &r->source))
			return -1;
		r->has_source = true;
	}
	return 0;
}

/* FNV-1a, to name chains after their content. */
static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static uint32_t fwrule_hash(uint32_t h, const struct fl_fwrule *r)
{
	h = fnv1a(h, &r->proto, 1);
	h = fnv1a(h, &r->ports, sizeof(r->ports));
	h = fnv1a(h, &r->has_source, 1);
	if (r->has_source) {
		h = fnv1a(h, &r->source.family, sizeof(r->source.family));
		h = fnv1a(h, r->source.addr, 16);
		h = fnv1a(h, &r->source.len, 1);
	}
	return h;
}

static const struct fl_tag *find_tag(const struct fl_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_tags; i++)
		if (!strcmp(cfg->tags[i].name, name))
			return &cfg->tags[i];
	return NULL;
}

static const char *const vm_keys[] = {
	"name", "tag", "interfaces", "ipv4", "ipv6", "public_ipv4",
	"masquerade", "firewall", "outbound", NULL
};

/* The class of an IPv4 address that cannot be a VM's public one, or NULL:
 * the address the world reaches the VM by must be routable to this host.
 * (Shared address space, 100.64.0.0/10, is a carrier's "public" and allowed.)
 */
static const char *non_public_class(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if ((h >> 24) == 0)
		return "the unspecified address (0.0.0.0/8)";
	if ((h >> 24) == 127)
		return "a loopback address (127.0.0.0/8)";
	if ((h >> 28) == 0xe)
		return "a multicast address (224.0.0.0/4)";
	if ((h >> 28) == 0xf)
		return h == 0xffffffff ? "the broadcast address" : "a reserved address (240.0.0.0/4)";
	if ((h >> 16) == 0xa9fe)
		return "a link-local address (169.254.0.0/16)";
	if ((h >> 24) == 10 || (h >> 20) == 0xac1 || (h >> 16) == 0xc0a8)
		return "a private address (RFC 1918)";
	return NULL;
}

static int check_public(struct pctx *c, const char *path, struct in_addr a)
{
	const char *class = non_public_class(a);
	char s[INET_ADDRSTRLEN];

	if (!class)
		return 0;
	inet_ntop(AF_INET, &a, s, sizeof(s));
	if (!strcmp(class, "a private address (RFC 1918)"))
		return perr(c, path, "%s is %s: 'public_ipv4' is the address the VM is reached "
			    "by through the uplinks; give the private one as 'ipv4', and a "
			    "public one here or none (the VM is then masqueraded)", s, class);
	return perr(c, path, "%s is %s, not a public address: give the address the VM is "
		    "reached by through the uplinks, or leave 'public_ipv4' out (the VM "
		    "is then masqueraded)", s, class);
}

/* "10.0.0.2" or ["10.0.0.2", "10.0.0.3"]: the addresses a cloud assigned
 * the VM, the first one paired with 'public_ipv4'.
 */
static int parse_vm_ipv4(struct pctx *c, const char *path, json_t *o, struct fl_vm *vm)
{
	json_t *v = json_object_get(o, "ipv4"), *e;
	char p[256], q[256], a[INET_ADDRSTRLEN];
	size_t i, k;

	subpath(p, sizeof(p), path, "ipv4");
	if (!v)
		return 0;
	if (json_is_string(v)) {
		vm->n_ipv4 = 1;
		vm->has_ipv4 = true;
		return parse_ipv4(c, p, json_string_value(v), &vm->ipv4[0]);
	}
	if (!json_is_array(v))
		return perr(c, p, "expected an address or an array of addresses, got %s",
			    type_name(v));
	if (!json_array_size(v) || json_array_size(v) > FL_VM_IPV4_MAX)
		return perr(c, p, "%zu addresses: a VM has 1 to %d IPv4 addresses",
			    json_array_size(v), FL_VM_IPV4_MAX);
	json_array_foreach(v, i, e) {
		idxpath(q, sizeof(q), p, i);
		if (want_type(c, q, e, JSON_STRING, "an address") ||
		    parse_ipv4(c, q, json_string_value(e), &vm->ipv4[i]))
			return -1;
		for (k = 0; k < i; k++)
			if (vm->ipv4[k].s_addr == vm->ipv4[i].s_addr)
				return perr(c, q, "%s is already %s[%zu]",
					    inet_ntop(AF_INET, &vm->ipv4[i], a, sizeof(a)), p, k);
		vm->n_ipv4++;
	}
	vm->has_ipv4 = true;
	return 0;
}

/* "fd00::2" (one address, a /128) or "2001:db8:1:2::/64": what the cloud
 * routes to the VM. Shorter than a /32 would claim a whole provider's space.
 */
#define FL_VM_IPV6_MIN_LEN	32

static int parse_vm_ipv6(struct pctx *c, const char *path, json_t *o, struct fl_vm *vm)
{
	struct fl_prefix pfx;
	const char *s;
	char p[256];

	if (get_str(c, path, o, "ipv6", false, &s))
		return -1;
	if (!s)
		return 0;
	subpath(p, sizeof(p), path, "ipv6");
	if (!strchr(s, '/')) {
		if (parse_ipv6(c, p, s, &vm->ipv6))
			return -1;
		vm->ipv6_len = 128;
		vm->has_ipv6 = true;
		return 0;
	}
	if (parse_prefix(c, p, s, &pfx))
		return -1;
	if (pfx.family != AF_INET6)
		return perr(c, p, "'%s' is not an IPv6 address or prefix", s);
	if (pfx.len < FL_VM_IPV6_MIN_LEN)
		return perr(c, p, "'%s' is shorter than a /%d: give the prefix routed to this "
			    "VM (a /64, a /80...)", s, FL_VM_IPV6_MIN_LEN);
	memcpy(&vm->ipv6, pfx.addr, 16);
	vm->ipv6_len = pfx.len;
	vm->has_ipv6 = true;
	return 0;
}

static int parse_vm_addrs(struct pctx *c, const char *path, json_t *o,
			  struct fl_vm *vm)
{
	const char *s;
	char p[256];

	if (parse_vm_ipv4(c, path, o, vm) || parse_vm_ipv6(c, path, o, vm))
		return -1;
	if (!vm->has_ipv4 && !vm->has_ipv6)
		return perr(c, path, "a VM needs 'ipv4' or 'ipv6'");
	if (get_str(c, path, o, "public_ipv4", false, &s))
		return -1;
	subpath(p, sizeof(p), path, "public_ipv4");
	if (s && parse_ipv4(c, p, s, &vm->public_ipv4))
		return -1;
	vm->has_public = s;
	if (vm->has_public && !vm->has_ipv4)
		return perr(c, p, "1:1 NAT needs the VM's private 'ipv4'");
	return vm->has_public ? check_public(c, p, vm->public_ipv4) : 0;
}

/* A source of a family the VM has no address of never matches: the rule
 * would be dead, and the author meant something else.
 */
static int check_source_family(struct pctx *c, const char *path, const struct fl_vm *vm,
			       const struct fl_fwrule *r)
{
	char p[256];
	bool v6;

	if (!r->has_source)
		return 0;
	v6 = r->source.family == AF_INET6;
	if (v6 ? vm->has_ipv6 : vm->has_ipv4)
		return 0;
	subpath(p, sizeof(p), path, "source");
	return perr(c, p, "an %s source, but the VM has no '%s': the rule would never match "
		    "(give the VM an '%s' address, or an %s source)", v6 ? "IPv6" : "IPv4",
		    v6 ? "ipv6" : "ipv4", v6 ? "ipv6" : "ipv4", v6 ? "IPv4" : "IPv6");
}

static int parse_vm_firewall(struct pctx *c, const char *path, json_t *o,
			     struct fl_vm *vm)
{
	json_t *arr, *v;
	char p[256];
	size_t i;

	if (get_array(c, path, o, "firewall", &arr))
		return -1;
	vm->fw_hash = 2166136261u;
	if (!arr)
		return 0;
	vm->firewall = calloc(json_array_size(arr) + 1, sizeof(*vm->firewall));
	if (!vm->firewall)
		return perr(c, path, "out of memory");
	subpath(p, sizeof(p), path, "firewall");
	json_array_foreach(arr, i, v) {
		char q[256];

		idxpath(q, sizeof(q), p, i);
		if (parse_fwrule(c, q, v, &vm->firewall[i]) ||
		    check_source_family(c, q, vm, &vm->firewall[i]))
			return -1;
		vm->fw_hash = fwrule_hash(vm->fw_hash, &vm->firewall[i]);
		vm->n_firewall++;
	}
	return 0;
}

/* A VM's interface that is also an uplink: the anti-spoofing rule (only
 * the VM's addresses may come in by its interfaces) would drop every packet
 * forwarded in from the public network. (A VM interface may well be a
 * fast-path device: offloading the VMs' flows is what the fast path is for.)
 */
static int check_iface_roles(struct pctx *c, const char *path, const struct fl_config *cfg,
			     const struct fl_vm *vm)
{
	char p[256];
	size_t i, k;

	for (i = 0; i < vm->n_ifaces; i++)
		for (k = 0; k < cfg->n_uplinks; k++) {
			if (strcmp(vm->ifaces[i], cfg->uplinks[k]))
				continue;
			idxpath(p, sizeof(p), path, i);
			return perr(c, p, "'%s' is also uplinks[%zu]: the VM's anti-spoofing "
				    "rule would drop every packet forwarded in from the uplink "
				    "(name the VM's own tap or veth here)", vm->ifaces[i], k);
		}
	return 0;
}

static int parse_vm_fields(struct pctx *c, const char *path, json_t *o,
			   const struct fl_config *cfg, struct fl_vm *vm)
{
	const char *name, *tag, *out;
	json_t *arr;
	char p[256];

	if (want_type(c, path, o, JSON_OBJECT, "an object") ||
	    check_keys(c, path, o, vm_keys) ||
	    get_str(c, path, o, "name", true, &name))
		return -1;
	subpath(p, sizeof(p), path, "name");
	if (parse_name(c, p, name, FL_NAME_MAX, vm->name))
		return -1;
	if (get_str(c, path, o, "tag", false, &tag))
		return -1;
	if (tag) {
		subpath(p, sizeof(p), path, "tag");
		vm->tag = find_tag(cfg, tag);
		if (!vm->tag)
			return perr(c, p, "no tag named '%s' in 'tags'", tag);
	}
	if (get_array(c, path, o, "interfaces", &arr))
		return -1;
	subpath(p, sizeof(p), path, "interfaces");
	if (parse_ifnames(c, p, arr, &vm->ifaces, &vm->n_ifaces) ||
	    check_wildcards(c, p, vm->ifaces, vm->n_ifaces, false) ||
	    check_iface_roles(c, p, cfg, vm) || parse_vm_addrs(c, path, o, vm))
		return -1;
	vm->masquerade = vm->has_ipv4 && !vm->has_public;
	if (get_bool(c, path, o, "masquerade", &vm->masquerade))
		return -1;
	if (vm->masquerade && vm->has_public) {
		subpath(p, sizeof(p), path, "masquerade");
		return perr(c, p, "a VM with a 'public_ipv4' is not masqueraded");
	}
	if (!cfg->n_uplinks)
		vm->masquerade = false;		/* no uplink to masquerade behind */
	vm->outbound_accept = true;
	if (get_str(c, path, o, "outbound", false, &out))
		return -1;
	if (out) {
		subpath(p, sizeof(p), path, "outbound");
		if (!strcmp(out, "drop"))
			vm->outbound_accept = false;
		else if (strcmp(out, "accept"))
			return perr(c, p, "'%s' is not a policy (accept or drop)", out);
	}
	return parse_vm_firewall(c, path, o, vm);
}

/* A refused VM is not counted in n_vms, so fl_config_free() would not see
 * what it allocated: free it here.
 */
static int parse_vm(struct pctx *c, const char *path, json_t *o,
		    const struct fl_config *cfg, struct fl_vm *vm)
{
	if (!parse_vm_fields(c, path, o, cfg, vm))
		return 0;
	free(vm->ifaces);
	free(vm->firewall);
	vm->ifaces = NULL;
	vm->firewall = NULL;
	return -1;
}

static const char *const tag_keys[] = {
	"name", "id", "offload", "threshold", "max_flows", "timeout", NULL
};

static int parse_tag(struct pctx *c, const char *path, json_t *o,
		     const struct fl_config *cfg, struct fl_tag *t)
{
	uint32_t id = 0, max_id = cfg->tag_mask >> __builtin_ctz(cfg->tag_mask);
	const char *name;
	char p[256];

	if (max_id > 65535)
		max_id = 65535;
	if (want_type(c, path, o, JSON_OBJECT, "an object") ||
	    check_keys(c, path, o, tag_keys) ||
	    get_str(c, path, o, "name", true, &name))
		return -1;
	subpath(p, sizeof(p), path, "name");
	if (parse_name(c, p, name, FL_TAG_NAME_MAX, t->name))
		return -1;
	if (!json_object_get(o, "id"))
		return perr(c, path, "missing key 'id'");
	if (get_u32(c, path, o, "id", UINT32_MAX, &id))
		return -1;
	subpath(p, sizeof(p), path, "id");
	if (id < 1 || id > max_id)
		return perr(c, p, "%u is not a tag id (1-%u under tag_mask 0x%x)",
			    id, max_id, cfg->tag_mask);
	t->id = id;
	t->offload = true;
	t->threshold = cfg->threshold;
	return get_bool(c, path, o, "offload", &t->offload) ||
	       get_u32(c, path, o, "threshold", UINT32_MAX, &t->threshold) ||
	       get_u32(c, path, o, "max_flows", UINT32_MAX, &t->max_flows) ||
	       get_u32(c, path, o, "timeout", 86400, &t->timeout) ? -1 : 0;
}

static const char *const notrack_keys[] = { "proto", "port", "address", NULL };

static int parse_notrack(struct pctx *c, const char *path, json_t *o,
			 struct fl_notrack *n)
{
	const char *proto, *addr;
	char p[256];

	if (want_type(c, path, o, JSON_OBJECT, "an object") ||
	    check_keys(c, path, o, notrack_keys) ||
	    get_str(c, path, o, "proto", true, &proto))
		return -1;
	subpath(p, sizeof(p), path, "proto");
	if (parse_proto(c, p, proto, false, &n->proto))
		return -1;
	if (!json_object_get(o, "port"))
		return perr(c, path, "missing key 'port'");
	subpath(p, sizeof(p), path, "port");
	if (parse_ports(c, p, json_object_get(o, "port"), &n->ports) ||
	    get_str(c, path, o, "address", false, &addr))
		return -1;
	if (addr) {
		subpath(p, sizeof(p), path, "address");
		if (parse_prefix(c, p, addr, &n->address))
			return -1;
		n->has_address = true;
	}
	return 0;
}

static const char *const service_keys[] = {
	"name", "address", "proto", "port", "scheduler", "backends",
	"new_connections_per_second", "tag", NULL
};
static const char *const backend_keys[] = { "address", "port", "weight", "state", NULL };

static const char *const sched_names[] = {
	[FL_SCHED_HASH] = "hash", [FL_SCHED_ROUND_ROBIN] = "round-robin",
	[FL_SCHED_WEIGHT] = "weight", [FL_SCHED_SYMHASH] = "symhash",
};
static const char *const state_names[] = {
	[FL_BACKEND_UP] = "up", [FL_BACKEND_DOWN] = "down", [FL_BACKEND_DRAIN] = "drain",
};

const char *fl_sched_name(enum fl_sched s)
{
	return sched_names[s];
}

const char *fl_backend_state_name(uint32_t s)
{
	return state_names[s];
}

/* The required key "port" of @o: one port, not a range. */
static int get_port(struct pctx *c, const char *path, json_t *o, uint16_t *port)
{
	json_t *v = json_object_get(o, "port");
	struct fl_ports ports;
	char p[256];

	if (!v)
		return perr(c, path, "missing key 'port'");
	subpath(p, sizeof(p), path, "port");
	if (!json_is_integer(v))
		return perr(c, p, "expected a port, got %s", type_name(v));
	if (parse_ports(c, p, v, &ports))
		return -1;
	*port = ports.lo;
	return 0;
}

static int parse_backend_policy(struct pctx *c, const char *path, json_t *o,
				struct fl_backend *b)
{
	uint32_t weight = 1;
	const char *state;
	char p[256];

	if (get_u32(c, path, o, "weight", UINT32_MAX, &weight))
		return -1;
	if (!weight || weight > FL_WEIGHT_MAX) {
		subpath(p, sizeof(p), path, "weight");
		return perr(c, p, "%u is not a weight (1-%d; to take the backend out, set its "
			    "'state' to \"down\" or \"drain\")", weight, FL_WEIGHT_MAX);
	}
	b->weight = weight;
	b->state = FL_BACKEND_UP;
	if (get_str(c, path, o, "state", false, &state))
		return -1;
	if (!state)
		return 0;
	for (b->state = 0; b->state < 3; b->state++)
		if (!strcmp(state, state_names[b->state]))
			return 0;
	subpath(p, sizeof(p), path, "state");
	return perr(c, p, "'%s' is not a backend state (up, down or drain)", state);
}

/* A backend's address, of its service's family: DNAT cannot cross
 * families (the packet's header stays the client's).
 */
static int parse_backend_addr(struct pctx *c, const char *path, const char *addr,
			      const struct fl_service *s, struct fl_backend *b)
{
	char a[INET6_ADDRSTRLEN];
	bool v4 = inet_pton(AF_INET, addr, &b->addr) == 1;

	if (!v4 && inet_pton(AF_INET6, addr, &b->addr6) != 1)
		return perr(c, path, "'%s' is not an IPv4 or IPv6 address", addr);
	b->addr.s_addr = v4 ? b->addr.s_addr : 0;
	if (v4 == !s->v6)
		return 0;
	inet_ntop(s->v6 ? AF_INET6 : AF_INET, s->v6 ? (void *)&s->addr6 : (void *)&s->addr,
		  a, sizeof(a));
	return perr(c, path, "%s is an %s address and service '%s' (%s) is %s: a service's "
		    "backends are of its address's family (give the backend VM's '%s', or "
		    "make a service of its own for it)", addr, v4 ? "IPv4" : "IPv6", s->name, a,
		    s->v6 ? "IPv6" : "IPv4", s->v6 ? "ipv6" : "ipv4");
}

static int parse_backend(struct pctx *c, const char *path, json_t *o,
			 const struct fl_service *s, struct fl_backend *b)
{
	const char *addr;
	char p[256];

	if (want_type(c, path, o, JSON_OBJECT, "an object") ||
	    check_keys(c, path, o, backend_keys) ||
	    get_str(c, path, o, "address", true, &addr))
		return -1;
	subpath(p, sizeof(p), path, "address");
	if (parse_backend_addr(c, p, addr, s, b))
		return -1;
	if (get_port(c, path, o, &b->port))
		return -1;
	return parse_backend_policy(c, path, o, b);
}

static uint32_t service_hash(const struct fl_service *s)
{
	uint32_t h = fnv1a(2166136261u, s->name, strlen(s->name));
	size_t i;

	/* An IPv4 service hashes as before IPv6 services: its chain keeps
	 * its name across the upgrade.
	 */
	size_t blen = s->v6 ? sizeof(s->backends[0]) : offsetof(struct fl_backend, addr6);

	h = fnv1a(h, &s->addr, sizeof(s->addr));
	h = fnv1a(h, &s->proto, 1);
	h = fnv1a(h, &s->port, 2);
	h = fnv1a(h, &s->sched, sizeof(s->sched));
	h = fnv1a(h, &s->new_conn_rate, sizeof(s->new_conn_rate));
	for (i = 0; i < s->n_backends; i++)
		h = fnv1a(h, &s->backends[i], blen);
	if (s->v6)
		h = fnv1a(h, &s->addr6, sizeof(s->addr6));
	return h;
}

/* The class of an IPv6 address that cannot be a service's, or NULL: a
 * service is reached by unicast from beyond a link (RFC 4291's global
 * unicast, unique local addresses included).
 */
static const char *non_unicast6_class(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return "the unspecified address (::)";
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "the loopback address (::1)";
	if (IN6_IS_ADDR_MULTICAST(a))
		return "a multicast address (ff00::/8)";
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return "a link-local address (fe80::/10)";
	if (IN6_IS_ADDR_SITELOCAL(a))
		return "a site-local address (fec0::/10, deprecated)";
	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
		return "an IPv4-mapped or -compatible address (::ffff:0:0/96, ::/96)";
	return NULL;
}

/* "198.51.100.80" or "2001:db8::80": the family of the whole service. */
static int parse_service_addr(struct pctx *c, const char *path, const char *addr,
			      struct fl_service *s)
{
	const char *class;

	if (inet_pton(AF_INET, addr, &s->addr) == 1)
		return 0;
	if (inet_pton(AF_INET6, addr, &s->addr6) != 1)
		return perr(c, path, "'%s' is not an IPv4 or IPv6 address", addr);
	s->v6 = true;
	class = non_unicast6_class(&s->addr6);
	if (class)
		return perr(c, path, "%s is %s, not a global unicast address: give the address "
			    "clients reach the service by", addr, class);
	return 0;
}

static int parse_service_fields(struct pctx *c, const char *path, json_t *o,
				const struct fl_config *cfg, struct fl_service *s)
{
	const char *name, *addr, *proto, *sched, *tag;
	json_t *arr, *v;
	char p[256];
	size_t i;

	if (want_type(c, path, o, JSON_OBJECT, "an object") ||
	    check_keys(c, path, o, service_keys) ||
	    get_str(c, path, o, "name", true, &name))
		return -1;
	subpath(p, sizeof(p), path, "name");
	if (parse_name(c, p, name, FL_NAME_MAX, s->name) ||
	    get_str(c, path, o, "address", true, &addr))
		return -1;
	subpath(p, sizeof(p), path, "address");
	if (parse_service_addr(c, p, addr, s) ||
	    get_str(c, path, o, "proto", true, &proto))
		return -1;
	subpath(p, sizeof(p), path, "proto");
	if (parse_proto(c, p, proto, false, &s->proto))
		return -1;
	if (get_port(c, path, o, &s->port))
		return -1;
	s->sched = FL_SCHED_HASH;
	if (get_str(c, path, o, "scheduler", false, &sched))
		return -1;
	if (sched) {
		subpath(p, sizeof(p), path, "scheduler");
		if (!strcmp(sched, "rr"))
			sched = "round-robin";
		for (s->sched = 0; s->sched < 4; s->sched++)
			if (!strcmp(sched, sched_names[s->sched]))
				break;
		if (s->sched == 4)
			return perr(c, p, "'%s' is not a scheduler (hash, symhash, round-robin "
				    "or rr, weight)", sched);
	}
	if (get_u32(c, path, o, "new_connections_per_second", 1000000, &s->new_conn_rate) ||
	    get_str(c, path, o, "tag", false, &tag))
		return -1;
	if (tag) {
		subpath(p, sizeof(p), path, "tag");
		s->tag = find_tag(cfg, tag);
		if (!s->tag)
			return perr(c, p, "no tag named '%s' in 'tags'", tag);
	}
	if (get_array(c, path, o, "backends", &arr))
		return -1;
	subpath(p, sizeof(p), path, "backends");
	if (!arr || !json_array_size(arr))
		return perr(c, p, "a service needs at least one backend");
	if (json_array_size(arr) > 256)
		return perr(c, p, "%zu backends, at most 256", json_array_size(arr));
	s->backends = calloc(json_array_size(arr), sizeof(*s->backends));
	if (!s->backends)
		return perr(c, p, "out of memory");
	json_array_foreach(arr, i, v) {
		char q[256];

		idxpath(q, sizeof(q), p, i);
		if (parse_backend(c, q, v, s, &s->backends[i]))
			return -1;
		s->n_backends++;
	}
	if (fl_service_slots(s, NULL) > FL_SLOTS_MAX)
		return perr(c, p, "the weights of the backends that are up add up to %u, at "
			    "most %d (each weight is a slot of the service's map): lower them",
			    fl_service_slots(s, NULL), FL_SLOTS_MAX);
	s->hash = service_hash(s);
	return 0;
}

/* As parse_vm(): a refused service frees its backends itself. */
static int parse_service(struct pctx *c, const char *path, json_t *o,
			 const struct fl_config *cfg, struct fl_service *s)
{
	if (!parse_service_fields(c, path, o, cfg, s))
		return 0;
	free(s->backends);
	s->backends = NULL;
	return -1;
}

/* Parses each element of the array @key with @fn into a fresh array. */
#define PARSE_LIST(c, root, key, arr_out, n_out, fn, ...) ({		\
	json_t *a_, *v_;						\
	size_t i_;							\
	int r_ = get_array(c, "", root, key, &a_);			\
	if (!r_ && a_) {						\
		arr_out = calloc(json_array_size(a_) + 1, sizeof(*arr_out)); \
		if (!arr_out)						\
			r_ = perr(c, key, "out of memory");		\
		json_array_foreach(a_, i_, v_) {			\
			char p_[64];					\
			if (r_)						\
				break;					\
			idxpath(p_, sizeof(p_), key, i_);		\
			r_ = fn(c, p_, v_, ##__VA_ARGS__, &arr_out[i_]); \
			if (!r_)					\
				n_out++;				\
		}							\
	}								\
	r_;								\
})

static const char *const fastpath_keys[] = { "devices", "offload", "threshold", NULL };

static int parse_fastpath(struct pctx *c, json_t *root, struct fl_config *cfg)
{
	json_t *fp = json_object_get(root, "fastpath"), *arr;

	cfg->offload = true;
	if (!fp)
		return 0;
	cfg->has_fastpath = true;
	if (want_type(c, "fastpath", fp, JSON_OBJECT, "an object") ||
	    check_keys(c, "fastpath", fp, fastpath_keys) ||
	    get_array(c, "fastpath", fp, "devices", &arr) ||
	    parse_ifnames(c, "fastpath.devices", arr, &cfg->devices, &cfg->n_devices) ||
	    check_wildcards(c, "fastpath.devices", cfg->devices, cfg->n_devices, true))
		return -1;
	return get_bool(c, "fastpath", fp, "offload", &cfg->offload) ||
	       get_u32(c, "fastpath", fp, "threshold", UINT32_MAX, &cfg->threshold);
}

static int parse_tag_mask(struct pctx *c, json_t *root, struct fl_config *cfg)
{
	json_t *v = json_object_get(root, "tag_mask");
	unsigned long long m;
	char *end;

	cfg->tag_mask = 0xffff;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		m = json_integer_value(v) < 0 ? ~0ULL : (unsigned long long)json_integer_value(v);
	} else if (json_is_string(v)) {
		errno = 0;
		m = strtoull(json_string_value(v), &end, 0);
		if (errno || *end || end == json_string_value(v))
			return perr(c, "tag_mask", "'%s' is not a mask", json_string_value(v));
	} else {
		return perr(c, "tag_mask", "expected an integer or \"0x...\", got %s",
			    type_name(v));
	}
	if (!m || m > UINT32_MAX)
		return perr(c, "tag_mask", "0x%llx is not a non-zero 32-bit mask", m);
	if (((m >> __builtin_ctzll(m)) & ((m >> __builtin_ctzll(m)) + 1)))
		return perr(c, "tag_mask", "0x%llx is not a contiguous mask", m);
	cfg->tag_mask = m;
	return 0;
}

static const char *const top_keys[] = {
	"fastpath", "tag_mask", "tags", "uplinks", "conntrack_max", "vms",
	"notrack", "services", NULL
};

static int parse_root(struct pctx *c, json_t *root, struct fl_config *cfg)
{
	json_t *arr;

	if (want_type(c, "", root, JSON_OBJECT, "a JSON object at the top") ||
	    check_keys(c, "", root, top_keys) ||
	    parse_fastpath(c, root, cfg) || parse_tag_mask(c, root, cfg) ||
	    PARSE_LIST(c, root, "tags", cfg->tags, cfg->n_tags, parse_tag, cfg) ||
	    get_array(c, "", root, "uplinks", &arr) ||
	    parse_ifnames(c, "uplinks", arr, &cfg->uplinks, &cfg->n_uplinks) ||
	    check_wildcards(c, "uplinks", cfg->uplinks, cfg->n_uplinks, false) ||
	    get_u32(c, "", root, "conntrack_max", INT32_MAX, &cfg->conntrack_max) ||
	    PARSE_LIST(c, root, "vms", cfg->vms, cfg->n_vms, parse_vm, cfg) ||
	    PARSE_LIST(c, root, "notrack", cfg->notrack, cfg->n_notrack, parse_notrack) ||
	    PARSE_LIST(c, root, "services", cfg->services, cfg->n_services, parse_service,
		       cfg))
		return -1;
	return 0;
}

#define FIND_DUP(arr, n, i, k, same) ({					\
	size_t k_found = (size_t)-1;					\
	for (k = 0; k < (i) && k_found == (size_t)-1; k++)		\
		if (same)						\
			k_found = k;					\
	k_found;							\
})

static int check_tags(struct pctx *c, const struct fl_config *cfg)
{
	const struct fl_tag *t = cfg->tags;
	size_t i, k, d;

	for (i = 0; i < cfg->n_tags; i++) {
		char p[64];

		snprintf(p, sizeof(p), "tags[%zu].name", i);
		d = FIND_DUP(t, n, i, k, !strcmp(t[k].name, t[i].name));
		if (d != (size_t)-1)
			return perr(c, p, "'%s' is already the name of tags[%zu]", t[i].name, d);
		snprintf(p, sizeof(p), "tags[%zu].id", i);
		d = FIND_DUP(t, n, i, k, t[k].id == t[i].id);
		if (d != (size_t)-1)
			return perr(c, p, "%u is already the id of tags[%zu]", t[i].id, d);
	}
	return 0;
}

static const char *ntop4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* Duplicate detection in linear time: an open-addressing index from a
 * value (name, address, interface) to the first VM that has it.
 */
struct dupidx {
	struct dupslot { const void *key; uint32_t len, idx; } *slot;
	size_t cap;
};

/* Sized for @n keys at most two thirds full: with 10,000 VMs these tables
 * are most of the memory an incremental apply touches, and touching memory
 * (page faults) is what costs time on a loaded host.
 */
static int dup_init(struct dupidx *d, size_t n)
{
	d->cap = 16;
	while (d->cap < n + n / 2 + 16)
		d->cap *= 2;
	d->slot = calloc(d->cap, sizeof(*d->slot));
	return d->slot ? 0 : -1;
}

/* The index of the VM that already has @key, or -1 after recording @idx. */
static long dup_add(struct dupidx *d, const void *key, size_t len, size_t idx)
{
	size_t i = fnv1a(2166136261u, key, len) & (d->cap - 1);

	for (; d->slot[i].key; i = (i + 1) & (d->cap - 1))
		if (d->slot[i].len == len && !memcmp(d->slot[i].key, key, len))
			return d->slot[i].idx;
	d->slot[i] = (struct dupslot){ key, len, idx };
	return -1;
}

struct vmcheck {
	struct dupidx name, ipv4, pub, iface, all_ipv4;
};

static int check_vm_iface(struct pctx *c, struct vmcheck *vc, const struct fl_vm *vm,
			  size_t i)
{
	size_t j;
	long d;

	for (j = 0; j < vm->n_ifaces; j++) {
		char p[64];

		d = dup_add(&vc->iface, vm->ifaces[j], strlen(vm->ifaces[j]), i);
		if (d < 0 || (size_t)d == i)
			continue;
		snprintf(p, sizeof(p), "vms[%zu].interfaces[%zu]", i, j);
		return perr(c, p, "'%s' is already an interface of vms[%ld]", vm->ifaces[j], d);
	}
	return 0;
}

/* The path of vms[@i]'s @key, formatted only for a refusal: checking
 * 10,000 VMs must not print 40,000 paths.
 */
static const char *vmpath(char *buf, size_t size, size_t i, const char *key)
{
	snprintf(buf, size, "vms[%zu].%s", i, key);
	return buf;
}

static int check_vm(struct pctx *c, const struct fl_config *cfg, struct vmcheck *vc,
		    size_t i)
{
	const struct fl_vm *vm = &cfg->vms[i];
	char p[64], a[INET6_ADDRSTRLEN];
	unsigned int j;
	long d;

	d = dup_add(&vc->name, vm->name, strlen(vm->name), i);
	if (d >= 0)
		return perr(c, vmpath(p, sizeof(p), i, "name"),
			    "'%s' is already the name of vms[%ld]", vm->name, d);
	for (j = 0; j < vm->n_ipv4; j++) {
		d = dup_add(&vc->ipv4, &vm->ipv4[j], 4, i);
		if (d < 0)
			continue;
		if (vm->n_ipv4 > 1)
			snprintf(p, sizeof(p), "vms[%zu].ipv4[%u]", i, j);
		else
			vmpath(p, sizeof(p), i, "ipv4");
		return perr(c, p, "%s is already the address of vms[%ld]", ntop4(vm->ipv4[j], a), d);
	}
	if (!vm->has_public)
		return check_vm_iface(c, vc, vm, i);
	vmpath(p, sizeof(p), i, "public_ipv4");
	if (!cfg->n_uplinks)
		return perr(c, p, "1:1 NAT needs 'uplinks' (the interfaces towards the public network)");
	d = dup_add(&vc->pub, &vm->public_ipv4, 4, i);
	if (d >= 0)
		return perr(c, p, "%s is already the public address of vms[%ld]",
			    ntop4(vm->public_ipv4, a), d);
	d = dup_add(&vc->all_ipv4, &vm->public_ipv4, 4, (size_t)-1);
	if (d >= 0 && d != (long)(uint32_t)-1)
		return perr(c, p, "%s is the private address of vms[%ld]",
			    ntop4(vm->public_ipv4, a), d);
	return check_vm_iface(c, vc, vm, i);
}

/* IPv6 prefixes are nested or disjoint: sorted by address (then length),
 * one overlaps an earlier one exactly when it starts before the farthest
 * end seen so far. n log n, for 10,000 VMs.
 */
static const struct fl_config *sort6_cfg;

static int cmp6(const void *x, const void *y)
{
	const struct fl_vm *a = &sort6_cfg->vms[*(const size_t *)x];
	const struct fl_vm *b = &sort6_cfg->vms[*(const size_t *)y];
	int d = memcmp(&a->ipv6, &b->ipv6, 16);

	return d ? d : a->ipv6_len - b->ipv6_len;
}

static void prefix6_end(const struct fl_vm *vm, uint8_t end[16])
{
	unsigned int b;

	memcpy(end, &vm->ipv6, 16);
	for (b = vm->ipv6_len; b < 128; b++)
		end[b / 8] |= 0x80 >> (b % 8);
}

static int overlap6_err(struct pctx *c, const struct fl_config *cfg, size_t i, size_t k)
{
	const struct fl_vm *a = &cfg->vms[i], *b = &cfg->vms[k];
	char p[64], x[INET6_ADDRSTRLEN + 8], y[INET6_ADDRSTRLEN + 8];

	vmpath(p, sizeof(p), i, "ipv6");
	if (a->ipv6_len == 128 && b->ipv6_len == 128)
		return perr(c, p, "%s is already the address of vms[%zu]",
			    ntop6_vm(a, x, sizeof(x)), k);
	return perr(c, p, "%s of VM '%s' overlaps %s, the 'ipv6' of vms[%zu] ('%s'): "
		    "give each VM its own prefix", ntop6_vm(a, x, sizeof(x)), a->name,
		    ntop6_vm(b, y, sizeof(y)), k, b->name);
}

static int check_ipv6_overlaps(struct pctx *c, const struct fl_config *cfg)
{
	size_t i, n = 0, far = 0, *ix = calloc(cfg->n_vms + 1, sizeof(*ix));
	uint8_t far_end[16] = { 0 }, end[16];
	int ret = 0;

	if (!ix)
		return perr(c, "vms", "out of memory");
	for (i = 0; i < cfg->n_vms; i++)
		if (cfg->vms[i].has_ipv6)
			ix[n++] = i;
	sort6_cfg = cfg;
	qsort(ix, n, sizeof(*ix), cmp6);
	for (i = 0; i < n && !ret; i++) {
		const struct fl_vm *vm = &cfg->vms[ix[i]];

		if (i && memcmp(&vm->ipv6, far_end, 16) <= 0) {
			/* Named at the later VM of the document, as duplicates are. */
			ret = ix[i] > far ? overlap6_err(c, cfg, ix[i], far) :
					    overlap6_err(c, cfg, far, ix[i]);
			break;
		}
		prefix6_end(vm, end);
		if (!i || memcmp(end, far_end, 16) > 0) {
			memcpy(far_end, end, 16);
			far = ix[i];
		}
	}
	free(ix);
	return ret;
}

static int check_vms(struct pctx *c, struct fl_config *cfg)
{
	size_t i, k, n = cfg->n_vms, n4 = 0, npub = 0, nif = 0;
	struct vmcheck vc = { 0 };
	int ret = 0;

	for (i = 0; i < n; i++) {
		n4 += cfg->vms[i].n_ipv4;
		npub += cfg->vms[i].has_public;
		nif += cfg->vms[i].n_ifaces;
	}
	if (dup_init(&vc.name, n) || dup_init(&vc.ipv4, n4) ||
	    dup_init(&vc.pub, npub) || dup_init(&vc.iface, nif) ||
	    dup_init(&vc.all_ipv4, n4 + npub)) {
		ret = perr(c, "vms", "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		for (k = 0; k < cfg->vms[i].n_ipv4; k++)
			dup_add(&vc.all_ipv4, &cfg->vms[i].ipv4[k], 4, i);
	for (i = 0; i < n && !ret; i++)
		ret = check_vm(c, cfg, &vc, i);
	if (!ret)
		ret = check_ipv6_overlaps(c, cfg);
out:
	free(vc.name.slot);
	free(vc.ipv4.slot);
	free(vc.pub.slot);
	free(vc.iface.slot);
	free(vc.all_ipv4.slot);
	return ret;
}

static int check_notrack(struct pctx *c, const struct fl_config *cfg, size_t i)
{
	const struct fl_notrack *n = &cfg->notrack[i], *o;
	char p[64];
	size_t k;

	for (k = 0; k < i; k++) {
		o = &cfg->notrack[k];
		if (o->proto != n->proto || o->ports.hi < n->ports.lo || n->ports.hi < o->ports.lo)
			continue;
		if (o->has_address && n->has_address &&
		    !prefixes_overlap(&o->address, &n->address))
			continue;
		snprintf(p, sizeof(p), "notrack[%zu]", i);
		return perr(c, p, "overlaps notrack[%zu] (same protocol, ports and addresses)", k);
	}
	return 0;
}

/* Every backend is a VM of the document: a backend left behind when its
 * VM was removed would take its share of the connections into nothing.
 */
static int check_backends(struct pctx *c, const struct fl_config *cfg, size_t i)
{
	const struct fl_service *s = &cfg->services[i];
	char p[96], a[INET6_ADDRSTRLEN];
	size_t b, k;

	if (c->frame)
		return 0;
	for (b = 0; b < s->n_backends; b++) {
		const struct fl_backend *be = &s->backends[b];

		for (k = 0; k < cfg->n_vms; k++)
			if (s->v6 ? vm_has_ipv6(&cfg->vms[k], &be->addr6) :
			    vm_has_ipv4(&cfg->vms[k], be->addr))
				break;
		if (k < cfg->n_vms)
			continue;
		snprintf(p, sizeof(p), "services[%zu].backends[%zu].address", i, b);
		if (s->v6)
			return perr(c, p, "%s is in no VM's 'ipv6': a backend is a VM of this "
				    "document (add the VM, or remove the backend)",
				    inet_ntop(AF_INET6, &be->addr6, a, sizeof(a)));
		return perr(c, p, "%s is no VM's 'ipv4': a backend is a VM of this document "
			    "(add the VM, or remove the backend)", ntop4(be->addr, a));
	}
	return 0;
}

static bool same_service_addr(const struct fl_service *a, const struct fl_service *b)
{
	return a->v6 == b->v6 && (a->v6 ? IN6_ARE_ADDR_EQUAL(&a->addr6, &b->addr6) :
				 a->addr.s_addr == b->addr.s_addr);
}

/* Whether the service's address is one of @vm's. */
static bool vm_has_service_addr(const struct fl_vm *vm, const struct fl_service *s)
{
	if (s->v6)
		return vm_has_ipv6(vm, &s->addr6);
	return (vm->has_public && vm->public_ipv4.s_addr == s->addr.s_addr) ||
	       vm_has_ipv4(vm, s->addr);
}

static const char *ntop_service(const struct fl_service *s, char *buf)
{
	return inet_ntop(s->v6 ? AF_INET6 : AF_INET, s->v6 ? (const void *)&s->addr6 :
			 (const void *)&s->addr, buf, INET6_ADDRSTRLEN);
}

static int check_service(struct pctx *c, const struct fl_config *cfg, size_t i)
{
	const struct fl_service *s = &cfg->services[i], *o;
	char p[64], a[INET6_ADDRSTRLEN];
	size_t k;

	for (k = 0; k < i; k++) {
		o = &cfg->services[k];
		snprintf(p, sizeof(p), "services[%zu].name", i);
		if (!strcmp(o->name, s->name))
			return perr(c, p, "'%s' is already the name of services[%zu]", s->name, k);
		snprintf(p, sizeof(p), "services[%zu]", i);
		if (same_service_addr(o, s) && o->proto == s->proto && o->port == s->port)
			return perr(c, p, "%s %s port %u is already services[%zu]",
				    ntop_service(s, a), s->proto == FL_PROTO_TCP ? "tcp" : "udp",
				    s->port, k);
	}
	if (check_backends(c, cfg, i))
		return -1;
	snprintf(p, sizeof(p), "services[%zu].address", i);
	for (k = 0; k < cfg->n_vms; k++)
		if (vm_has_service_addr(&cfg->vms[k], s))
			return perr(c, p, "%s is an address of vms[%zu]", ntop_service(s, a), k);
	return 0;
}

static int check_all(struct pctx *c, struct fl_config *cfg)
{
	size_t i;

	if (check_tags(c, cfg) || check_vms(c, cfg))
		return -1;
	for (i = 0; i < cfg->n_notrack; i++)
		if (check_notrack(c, cfg, i))
			return -1;
	for (i = 0; i < cfg->n_services; i++)
		if (check_service(c, cfg, i))
			return -1;
	return 0;
}

/* Whether two VMs claim the same name, address or interface. */
static bool vms_collide(const struct fl_vm *a, const struct fl_vm *b)
{
	size_t i, j;

	if (!strcmp(a->name, b->name) || vms_share_ipv4(a, b) || vms_share_ipv6(a, b))
		return true;
	if (a->has_public && ((b->has_public && a->public_ipv4.s_addr == b->public_ipv4.s_addr) ||
			      vm_has_ipv4(b, a->public_ipv4)))
		return true;
	if (b->has_public && vm_has_ipv4(a, b->public_ipv4))
		return true;
	for (i = 0; i < a->n_ifaces; i++)
		for (j = 0; j < b->n_ifaces; j++)
			if (!strcmp(a->ifaces[i], b->ifaces[j]))
				return true;
	return false;
}

/* What check_vm() and check_service() ask of one VM, against all others.
 * The same rules, restated for a pair of VMs: tests/test_config.c tries
 * every pair of a set of colliding values on both paths.
 */
static int check_changed_vm(struct pctx *c, const struct fl_config *cfg, size_t i)
{
	const struct fl_vm *vm = &cfg->vms[i];
	char p[64];
	size_t k;

	vmpath(p, sizeof(p), i, "name");
	if (vm->has_public && (!cfg->n_uplinks || vm_has_ipv4(vm, vm->public_ipv4)))
		return perr(c, p, "a public address the whole document must be checked for");
	for (k = 0; k < cfg->n_vms; k++)
		if (k != i && vms_collide(vm, &cfg->vms[k]))
			return perr(c, p, "collides with vms[%zu]", k);
	for (k = 0; k < cfg->n_services; k++)
		if (vm_has_service_addr(vm, &cfg->services[k]))
			return perr(c, p, "collides with services[%zu]", k);
	return 0;
}

/* Whether @vm has the address of backend @be of @s. */
static bool vm_has_backend(const struct fl_vm *vm, const struct fl_service *s,
			   const struct fl_backend *be)
{
	return s->v6 ? vm_has_ipv6(vm, &be->addr6) : vm_has_ipv4(vm, be->addr);
}

/* The backends of the frame were VMs of the applied document. A removed or
 * changed VM (@old) may have been one: its backends must be in a changed VM
 * now. Not in an unchanged one: VM addresses neither repeat nor overlap, so
 * no unchanged VM had that address.
 */
static int check_old_backends(struct pctx *c, const struct fl_config *cfg,
			      const struct fl_vm *const *changed, size_t n_changed,
			      const struct fl_vm *old, size_t n_old)
{
	char p[96];
	size_t i, b, o, k;

	for (i = 0; i < cfg->n_services; i++) {
		const struct fl_service *s = &cfg->services[i];

		for (b = 0; b < s->n_backends; b++) {
			for (o = 0; o < n_old && !vm_has_backend(&old[o], s, &s->backends[b]); o++)
				;
			if (o == n_old)
				continue;
			for (k = 0; k < n_changed; k++)
				if (vm_has_backend(changed[k], s, &s->backends[b]))
					break;
			if (k < n_changed)
				continue;
			snprintf(p, sizeof(p), "services[%zu].backends[%zu].address", i, b);
			return perr(c, p, "the address of a removed or changed VM");
		}
	}
	return 0;
}

/* Few changed VMs: a scan of the others per changed VM touches less memory
 * than the indexes of check_vms() (at 10,000 VMs, a one-VM change checks in
 * a tenth of the time); many: the indexes.
 */
#define FL_CHECK_SCAN_MAX	32

int fl_config_check_changed(struct fl_config *cfg, const struct fl_vm *const *changed,
			    size_t n_changed, const struct fl_vm *old, size_t n_old,
			    char err[FL_ERR_MAX])
{
	struct pctx c = { .err = err };
	size_t i;

	if (n_changed > FL_CHECK_SCAN_MAX)
		return check_all(&c, cfg);
	for (i = 0; i < n_changed; i++)
		if (check_changed_vm(&c, cfg, (size_t)(changed[i] - cfg->vms)))
			return -1;
	return check_old_backends(&c, cfg, changed, n_changed, old, n_old);
}

struct fl_config *fl_config_parse(const char *text, const char *source,
				  char err[FL_ERR_MAX])
{
	return fl_config_parse_len(text, strlen(text), source, err);
}

static struct fl_config *parse_text(const char *text, size_t len, const char *source,
				    bool frame, char err[FL_ERR_MAX])
{
	struct pctx c = { .err = err, .frame = frame };
	struct fl_config *cfg;
	json_error_t jerr;
	json_t *root;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, FL_ERR_MAX, "%s:%d:%d: %s", source, jerr.line,
			 jerr.column, jerr.text);
		return NULL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		snprintf(err, FL_ERR_MAX, "out of memory");
	} else if (parse_root(&c, root, cfg) || check_all(&c, cfg)) {
		fl_config_free(cfg);
		cfg = NULL;
	}
	json_decref(root);
	return cfg;
}

struct fl_config *fl_config_parse_len(const char *text, size_t len, const char *source,
				      char err[FL_ERR_MAX])
{
	return parse_text(text, len, source, false, err);
}

struct fl_config *fl_config_parse_frame(const char *text, size_t len, const char *source,
					char err[FL_ERR_MAX])
{
	return parse_text(text, len, source, true, err);
}

int fl_config_parse_vm(const struct fl_config *cfg, size_t i, const char *text,
		       size_t len, struct fl_vm *vm, char err[FL_ERR_MAX])
{
	struct pctx c = { .err = err };
	json_error_t jerr;
	char path[32];
	json_t *o;
	int ret;

	memset(vm, 0, sizeof(*vm));
	idxpath(path, sizeof(path), "vms", i);
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return perr(&c, path, "%s", jerr.text);
	ret = parse_vm(&c, path, o, cfg, vm);
	json_decref(o);
	if (ret)
		fl_vm_clear(vm);
	return ret;
}

int fl_config_check(struct fl_config *cfg, char err[FL_ERR_MAX])
{
	struct pctx c = { .err = err };

	return check_all(&c, cfg);
}

/* A regular file is read in one piece: documents of thousands of VMs are
 * megabytes, and apply's incremental path has no time for a growing buffer.
 */
static char *read_regular(FILE *f)
{
	struct stat st;
	char *text;

	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode))
		return NULL;
	text = malloc(st.st_size + 1);
	if (!text)
		return NULL;
	if (fread(text, 1, st.st_size, f) != (size_t)st.st_size || fgetc(f) != EOF) {
		free(text);	/* it changed under us: read it as a stream */
		rewind(f);
		return NULL;
	}
	text[st.st_size] = '\0';
	return text;
}

/* The whole of FILE ("-": standard input), NUL-terminated; NULL and @err
 * when it cannot be read.
 */
char *fl_read_text(const char *file, char err[FL_ERR_MAX])
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *text = NULL, buf[65536];
	size_t len = 0, n;
	FILE *m;

	if (!f) {
		snprintf(err, FL_ERR_MAX, "%s: %s", file, strerror(errno));
		return NULL;
	}
	text = read_regular(f);
	if (text) {
		if (f != stdin)
			fclose(f);
		return text;
	}
	m = open_memstream(&text, &len);
	while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, m);
	if (f != stdin)
		fclose(f);
	if (!m) {
		snprintf(err, FL_ERR_MAX, "out of memory");
		return NULL;
	}
	fclose(m);
	return text;
}

/* Regular files are mapped: a copy of a document of thousands of VMs costs
 * more page faults than apply's incremental path has time for.
 */
static int text_map(struct fl_text *t, const char *file, char err[FL_ERR_MAX])
{
	struct stat st;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, FL_ERR_MAX, "%s: %s", file, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size) {
		close(fd);
		return 1;
	}
	t->map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		return 1;
	}
	t->map_len = st.st_size;
	t->p = t->map;
	t->len = st.st_size;
	return 0;
}

int fl_text_open(struct fl_text *t, const char *file, char err[FL_ERR_MAX])
{
	int ret;

	memset(t, 0, sizeof(*t));
	if (strcmp(file, "-")) {
		ret = text_map(t, file, err);
		if (ret <= 0)
			return ret;
	}
	t->buf = fl_read_text(file, err);
	if (!t->buf)
		return -EIO;
	t->p = t->buf;
	t->len = strlen(t->buf);
	return 0;
}

void fl_text_close(struct fl_text *t)
{
	if (t->map)
		munmap(t->map, t->map_len);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

struct fl_config *fl_config_load(const char *file, char err[FL_ERR_MAX])
{
	struct fl_config *cfg;
	char *text = fl_read_text(file, err);

	if (!text)
		return NULL;
	cfg = fl_config_parse(text, strcmp(file, "-") ? file : "<stdin>", err);
	free(text);
	return cfg;
}

void fl_vm_clear(struct fl_vm *vm)
{
	if (!vm->ifaces_borrowed)
		free(vm->ifaces);
	free(vm->firewall);
	memset(vm, 0, sizeof(*vm));
}

void fl_config_free(struct fl_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_vms; i++)
		fl_vm_clear(&cfg->vms[i]);
	for (i = 0; i < cfg->n_services; i++)
		free(cfg->services[i].backends);
	free(cfg->devices);
	free(cfg->tags);
	free(cfg->uplinks);
	free(cfg->vms);
	free(cfg->notrack);
	free(cfg->services);
	free(cfg);
}

/* Names added by name must exist; patterns need not. */
static int check_ifnames(const char *what, char (*names)[IFNAMSIZ], size_t n,
			 char err[FL_ERR_MAX])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr(names[i], '*') && !if_nametoindex(names[i])) {
			snprintf(err, FL_ERR_MAX, "%s[%zu]: no device named '%s'",
				 what, i, names[i]);
			return -1;
		}
	return 0;
}

/* With `fastpath` the module follows the uplinks by name (hooks them when
 * they appear): they need not exist then. VM interfaces never need to.
 */
int fl_config_check_devices(const struct fl_config *cfg, char err[FL_ERR_MAX])
{
	if (check_ifnames("fastpath.devices", cfg->devices, cfg->n_devices, err))
		return -1;
	if (cfg->has_fastpath)
		return 0;
	return check_ifnames("uplinks", cfg->uplinks, cfg->n_uplinks, err);
}

uint32_t fl_service_slots(const struct fl_service *s, uint32_t *slot_backend)
{
	uint32_t n = 0, w;
	size_t i;

	for (i = 0; i < s->n_backends; i++) {
		if (s->backends[i].state != FL_BACKEND_UP)
			continue;
		for (w = 0; w < (s->sched == FL_SCHED_ROUND_ROBIN ? 1 : s->backends[i].weight); w++) {
			if (slot_backend)
				slot_backend[n] = i;
			n++;
		}
	}
	return n;
}

uint32_t fl_config_mark(const struct fl_config *cfg, const struct fl_tag *tag)
{
	return (uint32_t)tag->id << __builtin_ctz(cfg->tag_mask);
}

bool fl_config_has_ipv6(const struct fl_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_vms; i++)
		if (cfg->vms[i].has_ipv6)
			return true;
	return false;
}
