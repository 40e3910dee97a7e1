// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane stats: this namespace's totals and every tag's counters.
 */
#include <string.h>

#include "verbs.h"

struct stats_out {
	const struct fl_opts *opts;
	int ntags;
};

static void print_counters_human(const char *who, const struct fl_attrs *a)
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

static void print_total(const struct fl_attrs *a, void *data)
{
	const struct stats_out *o = data;

	if (o->opts->json) {
		fputs("{\"namespace\":{", stdout);
		fl_attrs_json(stdout, a, fl_counter_fields, fl_counter_nfields);
		fputs("},\"tags\":[", stdout);
	} else {
		print_counters_human("namespace", a);
	}
}

static void print_tag(const struct fl_attrs *a, void *data)
{
	struct stats_out *o = data;
	char who[64];

	if (o->opts->json) {
		fputs(o->ntags ? ",{" : "{", stdout);
		fl_attrs_json(stdout, a, fl_tag_fields, 2);	/* name, id */
		fputs(",", stdout);
		fl_attrs_json(stdout, a, fl_counter_fields, fl_counter_nfields);
		fputs("}", stdout);
	} else {
		snprintf(who, sizeof(who), "tag %s (id %llu)",
			 a->str[FLOWLANE_A_TAG_NAME],
			 (unsigned long long)a->u[FLOWLANE_A_TAG_ID]);
		print_counters_human(who, a);
	}
	o->ntags++;
}

int cmd_stats(int argc, char **argv, const struct fl_opts *opts)
{
	struct stats_out o = { opts, 0 };
	struct fl_nl nl;
	int rc;

	if (argc > 1) {
		fprintf(stderr, "flowlane: stats: unexpected argument '%s' (stats takes none)\n",
			argv[1]);
		return 1;
	}
	if (fl_open(&nl))
		return 1;
	rc = fl_request(&nl, "stats", FLOWLANE_CMD_STATS_GET, 0, NULL, NULL,
			fl_tag_payloads, print_total, &o);
	if (!rc)
		rc = fl_request(&nl, "stats", FLOWLANE_CMD_TAG_GET, NLM_F_DUMP,
				NULL, NULL, fl_tag_payloads, print_tag, &o);
	if (!rc && opts->json)
		fputs("]}\n", stdout);
	fl_nl_close(&nl);
	return rc;
}
