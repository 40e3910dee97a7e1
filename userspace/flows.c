// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane flows [tag NAME] [addr ADDR] [proto tcp|udp|gre]: the offloaded
 * flows, one line each like conntrack -L; flowlane flush [tag NAME |
 * addr ADDR]: pull flows back to the slow path.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "verbs.h"

/* What the kernel is asked to select (FLOW_GET dump filters, FLUSH) or,
 * with an id, the one flow to show.
 */
struct flow_filter {
	bool by_tag, by_addr, by_proto, by_family;
	const char *tag_name;		/* resolved to tag once connected */
	uint16_t tag;
	struct fl_addr addr;
	uint8_t proto, family;
	uint64_t id;
};

struct flow_out {
	const struct fl_opts *opts;
	int n;
};

static const char *proto_name(uint64_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" :
	       proto == IPPROTO_GRE ? "gre" : "?";
}

static const char *addr_str(const struct fl_attrs *a, int attr, char *buf)
{
	int family = a->binlen[attr] == 16 ? AF_INET6 : AF_INET;

	if (!inet_ntop(family, a->bin[attr], buf, INET6_ADDRSTRLEN))
		strcpy(buf, "?");
	return buf;
}

static const char *dev_str(uint64_t ifindex, char *buf)
{
	if (!if_indextoname((unsigned int)ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "%llu", (unsigned long long)ifindex);
	return buf;
}

/* Fields of a flow as JSON keys, in output order. */
static const struct fl_field flow_fields[] = {
	{ FLOWLANE_A_FLOW_ID, "id", FL_U64 },
	{ FLOWLANE_A_FLOW_TAG, "tag", FL_U64 },
	{ FLOWLANE_A_FLOW_IIF, "iif", FL_U64 },
	{ FLOWLANE_A_FLOW_OIF, "oif", FL_U64 },
	{ FLOWLANE_A_FLOW_ORIG_SPORT, "orig_sport", FL_U64 },
	{ FLOWLANE_A_FLOW_ORIG_DPORT, "orig_dport", FL_U64 },
	{ FLOWLANE_A_FLOW_REPLY_SPORT, "reply_sport", FL_U64 },
	{ FLOWLANE_A_FLOW_REPLY_DPORT, "reply_dport", FL_U64 },
	{ FLOWLANE_A_FLOW_ORIG_SLOW_PACKETS, "orig_slow_packets", FL_U64 },
	{ FLOWLANE_A_FLOW_ORIG_SLOW_BYTES, "orig_slow_bytes", FL_U64 },
	{ FLOWLANE_A_FLOW_ORIG_FAST_PACKETS, "orig_fast_packets", FL_U64 },
	{ FLOWLANE_A_FLOW_ORIG_FAST_BYTES, "orig_fast_bytes", FL_U64 },
	{ FLOWLANE_A_FLOW_REPLY_SLOW_PACKETS, "reply_slow_packets", FL_U64 },
	{ FLOWLANE_A_FLOW_REPLY_SLOW_BYTES, "reply_slow_bytes", FL_U64 },
	{ FLOWLANE_A_FLOW_REPLY_FAST_PACKETS, "reply_fast_packets", FL_U64 },
	{ FLOWLANE_A_FLOW_REPLY_FAST_BYTES, "reply_fast_bytes", FL_U64 },
	{ FLOWLANE_A_FLOW_AGE, "age", FL_U64 },
	{ FLOWLANE_A_FLOW_IDLE, "idle", FL_U64 },
};

static void flow_json(const struct fl_attrs *a)
{
	char s[4][INET6_ADDRSTRLEN], d[2][IF_NAMESIZE];

	printf("{\"family\":\"%s\",\"proto\":\"%s\",\"state\":\"%s\","
	       "\"orig_src\":\"%s\",\"orig_dst\":\"%s\",\"reply_src\":\"%s\",\"reply_dst\":\"%s\","
	       "\"iif_name\":\"%s\",\"oif_name\":\"%s\",",
	       a->u[FLOWLANE_A_FLOW_FAMILY] == AF_INET6 ? "ipv6" : "ipv4",
	       proto_name(a->u[FLOWLANE_A_FLOW_PROTO]),
	       a->u[FLOWLANE_A_FLOW_STATE] == FLOWLANE_FLOW_STATE_TEARDOWN ? "teardown" : "offloaded",
	       addr_str(a, FLOWLANE_A_FLOW_ORIG_SRC, s[0]), addr_str(a, FLOWLANE_A_FLOW_ORIG_DST, s[1]),
	       addr_str(a, FLOWLANE_A_FLOW_REPLY_SRC, s[2]), addr_str(a, FLOWLANE_A_FLOW_REPLY_DST, s[3]),
	       dev_str(a->u[FLOWLANE_A_FLOW_IIF], d[0]), dev_str(a->u[FLOWLANE_A_FLOW_OIF], d[1]));
	fl_attrs_json(stdout, a, flow_fields, sizeof(flow_fields) / sizeof(flow_fields[0]));
	fputs("}", stdout);
}

static void flow_human(const struct fl_attrs *a)
{
	char s[4][INET6_ADDRSTRLEN], d[2][IF_NAMESIZE];
	const uint64_t *u = a->u;

	printf("%s src=%s dst=%s sport=%llu dport=%llu src=%s dst=%s sport=%llu dport=%llu "
	       "tag=%llu %s>%s orig slow=%llu/%llu fast=%llu/%llu reply slow=%llu/%llu fast=%llu/%llu "
	       "age=%llus idle=%llus [%s]\n",
	       proto_name(u[FLOWLANE_A_FLOW_PROTO]),
	       addr_str(a, FLOWLANE_A_FLOW_ORIG_SRC, s[0]), addr_str(a, FLOWLANE_A_FLOW_ORIG_DST, s[1]),
	       (unsigned long long)u[FLOWLANE_A_FLOW_ORIG_SPORT],
	       (unsigned long long)u[FLOWLANE_A_FLOW_ORIG_DPORT],
	       addr_str(a, FLOWLANE_A_FLOW_REPLY_SRC, s[2]), addr_str(a, FLOWLANE_A_FLOW_REPLY_DST, s[3]),
	       (unsigned long long)u[FLOWLANE_A_FLOW_REPLY_SPORT],
	       (unsigned long long)u[FLOWLANE_A_FLOW_REPLY_DPORT],
	       (unsigned long long)u[FLOWLANE_A_FLOW_TAG],
	       dev_str(u[FLOWLANE_A_FLOW_IIF], d[0]), dev_str(u[FLOWLANE_A_FLOW_OIF], d[1]),
	       (unsigned long long)u[FLOWLANE_A_FLOW_ORIG_SLOW_PACKETS],
	       (unsigned long long)u[FLOWLANE_A_FLOW_ORIG_SLOW_BYTES],
	       (unsigned long long)u[FLOWLANE_A_FLOW_ORIG_FAST_PACKETS],
	       (unsigned long long)u[FLOWLANE_A_FLOW_ORIG_FAST_BYTES],
	       (unsigned long long)u[FLOWLANE_A_FLOW_REPLY_SLOW_PACKETS],
	       (unsigned long long)u[FLOWLANE_A_FLOW_REPLY_SLOW_BYTES],
	       (unsigned long long)u[FLOWLANE_A_FLOW_REPLY_FAST_PACKETS],
	       (unsigned long long)u[FLOWLANE_A_FLOW_REPLY_FAST_BYTES],
	       (unsigned long long)u[FLOWLANE_A_FLOW_AGE],
	       (unsigned long long)u[FLOWLANE_A_FLOW_IDLE],
	       u[FLOWLANE_A_FLOW_STATE] == FLOWLANE_FLOW_STATE_TEARDOWN ? "TEARDOWN" : "OFFLOADED");
}

void fl_flow_print(const struct fl_attrs *a, bool json)
{
	if (json)
		flow_json(a);
	else
		flow_human(a);
}

static void print_flow(const struct fl_attrs *a, void *data)
{
	struct flow_out *o = data;

	if (o->opts->json && o->n)
		fputc(',', stdout);
	fl_flow_print(a, o->opts->json);
	o->n++;
}

static bool known_key(const char *key, bool flows)
{
	return !strcmp(key, "tag") || !strcmp(key, "addr") ||
	       (flows && (!strcmp(key, "family") || !strcmp(key, "id") ||
			  !strcmp(key, "proto")));
}

/* Parses "tag NAME", "addr ADDR" and, for flows, "proto tcp|udp|gre",
 * "family ipv4|ipv6", "id N" (each at most once).
 */
static int parse_filter(const char *verb, int argc, char **argv,
			struct flow_filter *f, bool flows)
{
	int i;

	for (i = 0; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val && known_key(key, flows)) {
			fprintf(stderr, "flowlane: %s: '%s' needs a value (see 'flowlane help %s')\n",
				verb, key, verb);
			return -1;
		}
		if (!val) {
			fprintf(stderr, "flowlane: %s: unexpected '%s' (see 'flowlane help %s')\n",
				verb, key, verb);
			return -1;
		}
		if (!strcmp(key, "tag") && !f->by_tag) {
			if (fl_parse_tag_name(verb, val))
				return -1;
			f->tag_name = val;
			f->by_tag = true;
		} else if (!strcmp(key, "addr") && !f->by_addr) {
			if (fl_parse_addr(verb, val, &f->addr))
				return -1;
			f->by_addr = true;
		} else if (flows && !strcmp(key, "family") && !f->by_family) {
			if (strcmp(val, "ipv4") && strcmp(val, "ipv6")) {
				fprintf(stderr, "flowlane: %s: family '%s' is neither 'ipv4' nor 'ipv6'\n",
					verb, val);
				return -1;
			}
			f->family = !strcmp(val, "ipv4") ? AF_INET : AF_INET6;
			f->by_family = true;
		} else if (flows && !strcmp(key, "id") && !f->id) {
			char *end;

			f->id = strtoull(val, &end, 10);
			if (!f->id || *end || val[0] == '-') {
				fprintf(stderr, "flowlane: %s: id '%s' is not a flow id (a number from 1)\n",
					verb, val);
				return -1;
			}
		} else if (flows && !strcmp(key, "proto") && !f->by_proto) {
			if (strcmp(val, "tcp") && strcmp(val, "udp") && strcmp(val, "gre")) {
				fprintf(stderr, "flowlane: %s: proto '%s' is not 'tcp', 'udp' or 'gre'\n",
					verb, val);
				return -1;
			}
			f->proto = !strcmp(val, "tcp") ? IPPROTO_TCP :
				   !strcmp(val, "udp") ? IPPROTO_UDP : IPPROTO_GRE;
			f->by_proto = true;
		} else {
			fprintf(stderr, "flowlane: %s: unexpected '%s' (see 'flowlane help %s')\n",
				verb, key, verb);
			return -1;
		}
	}
	return 0;
}

static int fill_flow_get(struct nlmsghdr *nlh, void *data)
{
	const struct flow_filter *f = data;

	if (f->id)
		mnl_attr_put_u64(nlh, FLOWLANE_A_FLOW_ID, f->id);
	if (f->by_family)
		mnl_attr_put_u8(nlh, FLOWLANE_A_FLOW_FAMILY, f->family);
	if (f->by_proto)
		mnl_attr_put_u8(nlh, FLOWLANE_A_FLOW_PROTO, f->proto);
	if (f->by_tag)
		mnl_attr_put_u16(nlh, FLOWLANE_A_FLOW_TAG, f->tag);
	if (f->by_addr)
		mnl_attr_put(nlh, FLOWLANE_A_FLOW_ADDR, f->addr.len, f->addr.bytes);
	return 0;
}

int cmd_flows(int argc, char **argv, const struct fl_opts *opts)
{
	struct flow_filter f = { 0 };
	struct flow_out o = { opts, 0 };
	struct fl_nl nl;
	int rc = 1;

	if (parse_filter("flows", argc - 1, argv + 1, &f, true))
		return 1;
	if (f.id && (f.by_tag || f.by_addr || f.by_proto || f.by_family)) {
		fprintf(stderr, "flowlane: flows: 'id' shows one flow and takes no other filter\n");
		return 1;
	}
	if (fl_open(&nl))
		return 1;
	if (f.by_tag && !(f.tag = fl_tag_id(&nl, "flows", f.tag_name)))
		goto out;
	if (opts->json)
		fputs("[", stdout);
	/* The kernel filters: a dump of a million flows sends only those. */
	rc = fl_request(&nl, "flows", FLOWLANE_CMD_FLOW_GET, f.id ? 0 : NLM_F_DUMP,
			fill_flow_get, &f, fl_flow_payloads, print_flow, &o);
	if (opts->json)
		fputs("]\n", stdout);
out:
	fl_nl_close(&nl);
	return rc;
}

static int fill_flush(struct nlmsghdr *nlh, void *data)
{
	const struct flow_filter *f = data;

	if (f->by_tag)
		mnl_attr_put_u16(nlh, FLOWLANE_A_FLUSH_TAG, f->tag);
	if (f->by_addr)
		mnl_attr_put(nlh, FLOWLANE_A_FLUSH_ADDR, f->addr.len, f->addr.bytes);
	return 0;
}

static void print_flushed(const struct fl_attrs *a, void *data)
{
	const struct fl_opts *opts = data;

	if (opts->json)
		printf("{\"flushed\":%llu}\n", (unsigned long long)a->u[FLOWLANE_A_FLUSH_COUNT]);
	else
		printf("flushed %llu flows\n", (unsigned long long)a->u[FLOWLANE_A_FLUSH_COUNT]);
}

int cmd_flush(int argc, char **argv, const struct fl_opts *opts)
{
	struct flow_filter f = { 0 };
	struct fl_nl nl;
	int rc = 1;

	if (parse_filter("flush", argc - 1, argv + 1, &f, false))
		return 1;
	if (f.by_tag && f.by_addr) {
		fprintf(stderr, "flowlane: flush: give 'tag NAME' or 'addr ADDR', not both\n");
		return 1;
	}
	if (fl_open(&nl))
		return 1;
	if (f.by_tag && !(f.tag = fl_tag_id(&nl, "flush", f.tag_name)))
		goto out;
	rc = fl_request(&nl, "flush", FLOWLANE_CMD_FLUSH, 0, fill_flush, &f,
			NULL, print_flushed, (void *)opts);
out:
	fl_nl_close(&nl);
	return rc;
}
