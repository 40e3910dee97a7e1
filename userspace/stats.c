// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane stats [--prometheus]: this namespace's totals and every tag's
 * counters, as text, --json, or the Prometheus text exposition format
 * (for node_exporter's textfile collector).
 */
#include <stdlib.h>
#include <string.h>

#include "verbs.h"

static void keep_ns(const struct fl_attrs *a, void *data)
{
	((struct fl_stats *)data)->ns = *a;
}

static void keep_tag(const struct fl_attrs *a, void *data)
{
	struct fl_stats *s = data;
	struct fl_attrs *t = realloc(s->tags, (s->ntags + 1) * sizeof(*t));

	if (!t) {
		fprintf(stderr, "flowlane: out of memory reading tags\n");
		exit(1);
	}
	s->tags = t;
	s->tags[s->ntags++] = *a;
}


int fl_stats_read(struct fl_nl *nl, struct fl_stats *s)
{
	memset(s, 0, sizeof(*s));
	return fl_request(nl, "stats", FLOWLANE_CMD_STATS_GET, 0, NULL, NULL,
			  fl_tag_payloads, keep_ns, s) ||
	       fl_request(nl, "stats", FLOWLANE_CMD_TAG_GET, NLM_F_DUMP, NULL,
			  NULL, fl_tag_payloads, keep_tag, s);
}

static void print_human(const char *who, const struct fl_attrs *a)
{
	size_t i;

	printf("%s\n", who);
	for (i = 0; i < fl_counter_nfields; i++) {
		const struct fl_field *fd = &fl_counter_fields[i];

		if (a->has[fd->attr])
			printf("  %-20s %llu\n", fd->key,
			       (unsigned long long)a->u[fd->attr]);
	}
}

static void print_json(const struct fl_stats *s)
{
	size_t i;

	fputs("{\"namespace\":{", stdout);
	fl_attrs_json(stdout, &s->ns, fl_counter_fields, fl_counter_nfields);
	fputs("},\"tags\":[", stdout);
	for (i = 0; i < s->ntags; i++) {
		fputs(i ? ",{" : "{", stdout);
		fl_attrs_json(stdout, &s->tags[i], fl_tag_fields, 2); /* name, id */
		fputs(",", stdout);
		fl_attrs_json(stdout, &s->tags[i], fl_counter_fields,
			      fl_counter_nfields);
		fputs("}", stdout);
	}
	fputs("]}\n", stdout);
}

/* One Prometheus metric family: a namespace sample, then one per tag. */
struct fl_metric {
	int attr;
	const char *name;
	const char *type;
	const char *help;
	const char *reason;	/* teardowns: the value of the reason label */
};

static const struct fl_metric fl_metrics[] = {
	{ FLOWLANE_A_TAG_FLOWS, "flows", "gauge", "Flows in the fast path now.", NULL },
	{ FLOWLANE_A_TAG_OFFLOADS_TOTAL, "offloads_total", "counter", "Flows offloaded to the fast path.", NULL },
	{ FLOWLANE_A_TAG_REFUSED_CAP, "offloads_refused_cap_total", "counter", "Offloads refused because max-flows was reached.", NULL },
	{ FLOWLANE_A_TAG_FASTPATH_PACKETS, "fastpath_packets_total", "counter", "Packets forwarded by the fast path.", NULL },
	{ FLOWLANE_A_TAG_FASTPATH_BYTES, "fastpath_bytes_total", "counter", "Bytes forwarded by the fast path.", NULL },
	{ FLOWLANE_A_TAG_TEARDOWN_FINRST, "teardowns_total", "counter", "Flows that left the fast path, by reason.", "finrst" },
	{ FLOWLANE_A_TAG_TEARDOWN_IDLE, "teardowns_total", NULL, NULL, "idle" },
	{ FLOWLANE_A_TAG_TEARDOWN_FLUSH, "teardowns_total", NULL, NULL, "flush" },
	{ FLOWLANE_A_TAG_TEARDOWN_POLICY, "teardowns_total", NULL, NULL, "policy" },
	{ FLOWLANE_A_TAG_TEARDOWN_DEVICE, "teardowns_total", NULL, NULL, "device" },
	{ FLOWLANE_A_TAG_TEARDOWN_CONNTRACK, "teardowns_total", NULL, NULL, "conntrack" },
	{ FLOWLANE_A_TAG_TEARDOWN_ROUTE, "teardowns_total", NULL, NULL, "route" },
};
#define FL_NMETRICS (sizeof(fl_metrics) / sizeof(fl_metrics[0]))

/* Namespace samples are flowlane_<name>; per-tag ones flowlane_tag_<name>
 * with tag and tag_id labels, so that no family mixes a total with its
 * parts. Rows of one family follow each other, as the format requires.
 */
static void print_family(const struct fl_stats *s, bool per_tag)
{
	const char *pfx = per_tag ? "flowlane_tag_" : "flowlane_";
	size_t m, i;

	for (m = 0; m < FL_NMETRICS; m++) {
		const struct fl_metric *fm = &fl_metrics[m];
		char reason[32] = "";

		if (fm->type)
			printf("# HELP %s%s %s\n# TYPE %s%s %s\n", pfx, fm->name,
			       fm->help, pfx, fm->name, fm->type);
		if (fm->reason)
			snprintf(reason, sizeof(reason), "reason=\"%s\"", fm->reason);
		if (!per_tag) {
			printf("flowlane_%s%s%s%s %llu\n", fm->name, *reason ? "{" : "",
			       reason, *reason ? "}" : "",
			       (unsigned long long)s->ns.u[fm->attr]);
			continue;
		}
		for (i = 0; i < s->ntags; i++)
			printf("flowlane_tag_%s{tag=\"%s\",tag_id=\"%llu\"%s%s} %llu\n",
			       fm->name, s->tags[i].str[FLOWLANE_A_TAG_NAME],
			       (unsigned long long)s->tags[i].u[FLOWLANE_A_TAG_ID],
			       *reason ? "," : "", reason,
			       (unsigned long long)s->tags[i].u[fm->attr]);
	}
}

int cmd_stats(int argc, char **argv, const struct fl_opts *opts)
{
	bool prometheus = argc > 1 && !strcmp(argv[1], "--prometheus");
	struct fl_stats s;
	struct fl_nl nl;
	size_t i;
	int rc;

	if (argc > (prometheus ? 2 : 1)) {
		fprintf(stderr, "flowlane: stats: unexpected argument '%s' (stats takes only --prometheus)\n",
			argv[prometheus ? 2 : 1]);
		return 1;
	}
	if (prometheus && opts->json) {
		fprintf(stderr, "flowlane: stats: --json and --prometheus are two formats: "
			"give one ('flowlane stats --json' or 'flowlane stats --prometheus')\n");
		return 1;
	}
	if (fl_open(&nl))
		return 1;
	rc = fl_stats_read(&nl, &s);
	fl_nl_close(&nl);
	if (rc)
		goto out;
	if (prometheus) {
		print_family(&s, false);
		print_family(&s, true);
	} else if (opts->json) {
		print_json(&s);
	} else {
		print_human("namespace", &s.ns);
		for (i = 0; i < s.ntags; i++) {
			char who[64];

			snprintf(who, sizeof(who), "tag %s (id %llu)",
				 s.tags[i].str[FLOWLANE_A_TAG_NAME],
				 (unsigned long long)s.tags[i].u[FLOWLANE_A_TAG_ID]);
			print_human(who, &s.tags[i]);
		}
	}
out:
	free(s.tags);
	return rc;
}
