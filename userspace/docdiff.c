// SPDX-License-Identifier: GPL-2.0
/*
 * The document-level difference (docdiff.h). Each VM, service, tag and the
 * document's other parts are described as a list of facts in nftables'
 * words ("ip daddr 10.10.0.2", "tcp dport 22 accept"); two versions of one
 * differ by the facts only one of them has, each shown on its own line.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "docdiff.h"

struct facts {
	char **v;
	size_t n, cap;
};

__attribute__((format(printf, 2, 3)))
static void fact(struct facts *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		char **v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			abort();
		f->v = v;
		f->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	f->v[f->n++] = s;
}

static void facts_free(struct facts *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static const char *prefix_words(const struct fl_prefix *p, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	unsigned int full = p->family == AF_INET6 ? 128 : 32;

	inet_ntop(p->family, p->addr, a, sizeof(a));
	if (p->len == full)
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s/%u", a, p->len);
	return buf;
}

static const char *ports_words(const struct fl_ports *p, char *buf, size_t size)
{
	if (p->lo == p->hi)
		snprintf(buf, size, "%u", p->lo);
	else
		snprintf(buf, size, "%u-%u", p->lo, p->hi);
	return buf;
}

static const char *proto_name(uint8_t proto)
{
	return proto == FL_PROTO_TCP ? "tcp" : proto == FL_PROTO_UDP ? "udp" : "icmp";
}

/* One firewall rule as nft would list it. */
static void fw_fact(struct facts *f, const struct fl_fwrule *r)
{
	char src[80] = "", p[64], ports[16];
	bool v6 = r->has_source && r->source.family == AF_INET6;

	if (r->has_source)
		snprintf(src, sizeof(src), "%s saddr %s ", v6 ? "ip6" : "ip",
			 prefix_words(&r->source, p, sizeof(p)));
	if (r->proto == FL_PROTO_ICMP)
		fact(f, "%smeta l4proto %s accept", src, !r->has_source ? "{ icmp, ipv6-icmp }" :
		     v6 ? "ipv6-icmp" : "icmp");
	else if (r->has_ports)
		fact(f, "%s%s dport %s accept", src, proto_name(r->proto),
		     ports_words(&r->ports, ports, sizeof(ports)));
	else
		fact(f, "%smeta l4proto %s accept", src, proto_name(r->proto));
}

static void vm_facts(const struct fl_vm *vm, struct facts *f)
{
	char a[INET6_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < vm->n_ipv4; i++)
		fact(f, "ip daddr %s", inet_ntop(AF_INET, &vm->ipv4[i], a, sizeof(a)));
	if (vm->has_ipv6 && vm->ipv6_len == 128)
		fact(f, "ip6 daddr %s", inet_ntop(AF_INET6, &vm->ipv6, a, sizeof(a)));
	else if (vm->has_ipv6)
		fact(f, "ip6 daddr %s/%u", inet_ntop(AF_INET6, &vm->ipv6, a, sizeof(a)),
		     vm->ipv6_len);
	if (vm->has_public)
		fact(f, "1:1 nat with %s", inet_ntop(AF_INET, &vm->public_ipv4, a, sizeof(a)));
	if (vm->masquerade)
		fact(f, "masquerade");
	if (vm->tag)
		fact(f, "tag %s (ct mark %u)", vm->tag->name, vm->tag->id);
	for (i = 0; i < vm->n_ifaces; i++)
		fact(f, "iifname \"%s\"", vm->ifaces[i]);
	if (!vm->outbound_accept)
		fact(f, "outbound drop");
	for (i = 0; i < vm->n_firewall; i++)
		fw_fact(f, &vm->firewall[i]);
}

static void service_facts(const struct fl_service *s, struct facts *f)
{
	int af = s->v6 ? AF_INET6 : AF_INET;
	char a[INET6_ADDRSTRLEN];
	size_t i;

	fact(f, "%s daddr %s %s dport %u", s->v6 ? "ip6" : "ip",
	     inet_ntop(af, s->v6 ? (const void *)&s->addr6 : (const void *)&s->addr, a, sizeof(a)),
	     proto_name(s->proto), s->port);
	fact(f, "scheduler %s", fl_sched_name(s->sched));
	if (s->new_conn_rate)
		fact(f, "new connections over %u/second dropped", s->new_conn_rate);
	for (i = 0; i < s->n_backends; i++) {
		const struct fl_backend *b = &s->backends[i];
		char w[32] = "";

		if (b->weight != 1)
			snprintf(w, sizeof(w), " weight %u", b->weight);
		/* [2001:db8::11]:8080, as `flowlane backend` takes it. */
		fact(f, "backend %s%s%s:%u%s%s%s", s->v6 ? "[" : "",
		     inet_ntop(af, s->v6 ? (const void *)&b->addr6 : (const void *)&b->addr, a,
			       sizeof(a)), s->v6 ? "]" : "", b->port,
		     w, b->state == FL_BACKEND_UP ? "" : " ", b->state == FL_BACKEND_UP ? "" :
		     fl_backend_state_name(b->state));
	}
}

static void tag_facts(const struct fl_tag *t, struct facts *f)
{
	fact(f, "id %u offload %s threshold %u max-flows %u timeout %u", t->id,
	     t->offload ? "on" : "off", t->threshold, t->max_flows, t->timeout);
}

/* The document outside its VMs, services and tags. */
static void frame_facts(const struct fl_config *c, struct facts *f)
{
	char p[64], ports[16];
	size_t i;

	for (i = 0; i < c->n_uplinks; i++)
		fact(f, "uplink \"%s\"", c->uplinks[i]);
	for (i = 0; i < c->n_devices; i++)
		fact(f, "fast-path device \"%s\"", c->devices[i]);
	if (c->n_devices || c->n_tags || c->n_vms) {
		fact(f, "default policy: offload %s threshold %u", c->offload ? "on" : "off",
		     c->threshold);
		fact(f, "tag_mask 0x%x", c->tag_mask);
	}
	for (i = 0; i < c->n_notrack; i++) {
		const struct fl_notrack *n = &c->notrack[i];

		fact(f, "%s%s%s%s dport %s notrack", n->has_address ?
		     (n->address.family == AF_INET6 ? "ip6 daddr " : "ip daddr ") : "",
		     n->has_address ? prefix_words(&n->address, p, sizeof(p)) : "",
		     n->has_address ? " " : "", proto_name(n->proto),
		     ports_words(&n->ports, ports, sizeof(ports)));
	}
}

/* The facts only one side has (a multiset difference), one line each. */
static size_t facts_diff(FILE *out, const char *what, const struct facts *a,
			 const struct facts *b, char sign)
{
	bool *used = calloc(b->n + 1, sizeof(*used));
	size_t i, k, n = 0;

	if (!used)
		abort();
	for (i = 0; i < a->n; i++) {
		for (k = 0; k < b->n; k++)
			if (!used[k] && !strcmp(a->v[i], b->v[k]))
				break;
		if (k < b->n) {
			used[k] = true;
			continue;
		}
		fprintf(out, "%c %s: %s\n", sign, what, a->v[i]);
		n++;
	}
	free(used);
	return n;
}

static size_t entity(FILE *out, const char *what, struct facts *old, struct facts *new)
{
	size_t n = facts_diff(out, what, old, new, '-') + facts_diff(out, what, new, old, '+');

	facts_free(old);
	facts_free(new);
	return n;
}

static int vm_name_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct fl_vm *const *)a)->name, (*(const struct fl_vm *const *)b)->name);
}

/* @c's VMs sorted by name, for lookups across 10,000 of them. */
static const struct fl_vm **by_name(const struct fl_config *c)
{
	const struct fl_vm **v = calloc(c ? c->n_vms + 1 : 1, sizeof(*v));
	size_t i;

	if (!v)
		abort();
	for (i = 0; c && i < c->n_vms; i++)
		v[i] = &c->vms[i];
	if (c && c->n_vms)
		qsort(v, c->n_vms, sizeof(*v), vm_name_cmp);
	return v;
}

static const struct fl_vm *find_vm(const struct fl_vm **sorted, size_t n, const char *name)
{
	struct fl_vm key;
	const struct fl_vm *kp = &key, **r;

	snprintf(key.name, sizeof(key.name), "%s", name);
	r = n ? bsearch(&kp, sorted, n, sizeof(*sorted), vm_name_cmp) : NULL;
	return r ? *r : NULL;
}

static size_t vms_diff(FILE *out, const struct fl_config *old, const struct fl_config *new)
{
	const struct fl_vm **o = by_name(old), **nw = by_name(new), *vm;
	size_t i, n = 0, n_old = old ? old->n_vms : 0;
	struct facts a = { 0 }, b = { 0 };
	char what[FL_NAME_MAX + 8];

	for (i = 0; i < new->n_vms; i++) {
		vm = find_vm(o, n_old, new->vms[i].name);
		snprintf(what, sizeof(what), "vm %s", new->vms[i].name);
		if (vm)
			vm_facts(vm, &a);
		vm_facts(&new->vms[i], &b);
		n += entity(out, what, &a, &b);
	}
	for (i = 0; i < n_old; i++) {
		if (find_vm(nw, new->n_vms, old->vms[i].name))
			continue;
		snprintf(what, sizeof(what), "vm %s", old->vms[i].name);
		vm_facts(&old->vms[i], &a);
		n += entity(out, what, &a, &b);
	}
	free(o);
	free(nw);
	return n;
}

static const struct fl_service *find_service(const struct fl_config *c, const char *name)
{
	size_t i;

	for (i = 0; c && i < c->n_services; i++)
		if (!strcmp(c->services[i].name, name))
			return &c->services[i];
	return NULL;
}

static const struct fl_tag *find_tag(const struct fl_config *c, const char *name)
{
	size_t i;

	for (i = 0; c && i < c->n_tags; i++)
		if (!strcmp(c->tags[i].name, name))
			return &c->tags[i];
	return NULL;
}

static size_t named_diff(FILE *out, const struct fl_config *old, const struct fl_config *new)
{
	struct facts a = { 0 }, b = { 0 };
	char what[FL_NAME_MAX + 16];
	const struct fl_service *s;
	const struct fl_tag *t;
	size_t i, n = 0;

	for (i = 0; i < new->n_tags; i++) {
		if ((t = find_tag(old, new->tags[i].name)))
			tag_facts(t, &a);
		tag_facts(&new->tags[i], &b);
		snprintf(what, sizeof(what), "tag %s", new->tags[i].name);
		n += entity(out, what, &a, &b);
	}
	for (i = 0; old && i < old->n_tags; i++) {
		if (find_tag(new, old->tags[i].name))
			continue;
		tag_facts(&old->tags[i], &a);
		snprintf(what, sizeof(what), "tag %s", old->tags[i].name);
		n += entity(out, what, &a, &b);
	}
	for (i = 0; i < new->n_services; i++) {
		if ((s = find_service(old, new->services[i].name)))
			service_facts(s, &a);
		service_facts(&new->services[i], &b);
		snprintf(what, sizeof(what), "service %s", new->services[i].name);
		n += entity(out, what, &a, &b);
	}
	for (i = 0; old && i < old->n_services; i++) {
		if (find_service(new, old->services[i].name))
			continue;
		service_facts(&old->services[i], &a);
		snprintf(what, sizeof(what), "service %s", old->services[i].name);
		n += entity(out, what, &a, &b);
	}
	return n;
}

size_t fl_docdiff(const struct fl_config *old, const struct fl_config *new, FILE *f)
{
	struct facts a = { 0 }, b = { 0 };
	size_t n;

	if (old)
		frame_facts(old, &a);
	frame_facts(new, &b);
	n = entity(f, "host", &a, &b);
	n += named_diff(f, old, new);
	return n + vms_diff(f, old, new);
}
