// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane tag add NAME id ID [POLICY...] / tag set NAME POLICY... /
 * tag del NAME / tag list, and flowlane set POLICY... (the namespace's
 * default policy). POLICY is any of: offload on|off, threshold N,
 * max-flows M, timeout SEC; 'set' also takes tag-mask MASK.
 */
#include <string.h>

#include "args.h"
#include "verbs.h"

/* A keyword of a policy, and the attribute it becomes. */
struct fl_kw {
	const char *name;
	uint16_t attr;
	uint8_t width;		/* bytes: 1 (on/off), 2, 4 */
	uint32_t min, max;
	unsigned int only;	/* KW_TAG_ADD, KW_SET: where it is accepted */
};

#define KW_ANY		0
#define KW_TAG_ADD	1
#define KW_SET		2

static const struct fl_kw fl_kws[] = {
	{ "id", FLOWLANE_A_TAG_ID, 2, 1, 65535, KW_TAG_ADD },
	{ "offload", FLOWLANE_A_TAG_OFFLOAD, 1, 0, 1, KW_ANY },
	{ "threshold", FLOWLANE_A_TAG_THRESHOLD, 4, 0, UINT32_MAX, KW_ANY },
	{ "max-flows", FLOWLANE_A_TAG_MAX_FLOWS, 4, 0, UINT32_MAX, KW_ANY },
	{ "timeout", FLOWLANE_A_TAG_TIMEOUT, 4, 0, 86400, KW_ANY },
	{ "tag-mask", FLOWLANE_A_TAG_MASK, 4, 1, UINT32_MAX, KW_SET },
};
#define FL_NKWS (sizeof(fl_kws) / sizeof(fl_kws[0]))

struct fl_policy_args {
	const char *name;		/* the tag, or NULL for 'set' */
	unsigned int n;
	const struct fl_kw *kw[FL_NKWS];
	uint32_t val[FL_NKWS];
};

static const struct fl_kw *find_kw(const char *name, unsigned int where)
{
	size_t i;

	for (i = 0; i < FL_NKWS; i++)
		if (!strcmp(fl_kws[i].name, name) &&
		    (fl_kws[i].only == KW_ANY || fl_kws[i].only == where))
			return &fl_kws[i];
	return NULL;
}

static int parse_policy(const char *verb, unsigned int where, int argc,
			char **argv, struct fl_policy_args *p)
{
	const struct fl_kw *kw;
	unsigned int j;
	bool on;
	int i;

	for (i = 0; i < argc; i += 2) {
		kw = find_kw(argv[i], where);
		if (!kw) {
			fprintf(stderr, "flowlane: %s: unknown keyword '%s' (see 'flowlane help %.*s')\n",
				verb, argv[i], (int)strcspn(verb, " "), verb);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "flowlane: %s: '%s' needs a value (see 'flowlane help %.*s')\n",
				verb, argv[i], (int)strcspn(verb, " "), verb);
			return -1;
		}
		for (j = 0; j < p->n; j++)
			if (p->kw[j] == kw) {
				fprintf(stderr, "flowlane: %s: '%s' given twice\n", verb, argv[i]);
				return -1;
			}
		p->kw[p->n] = kw;
		if (kw->width == 1) {
			if (fl_parse_onoff(verb, kw->name, argv[i + 1], &on))
				return -1;
			p->val[p->n] = on;
		} else if (fl_parse_u32(verb, kw->name, argv[i + 1], kw->min,
					kw->max, &p->val[p->n])) {
			return -1;
		}
		p->n++;
	}
	return 0;
}

static int fill_policy(struct nlmsghdr *nlh, void *data)
{
	const struct fl_policy_args *p = data;
	unsigned int i;

	if (p->name)
		mnl_attr_put_strz(nlh, FLOWLANE_A_TAG_NAME, p->name);
	for (i = 0; i < p->n; i++) {
		switch (p->kw[i]->width) {
		case 1: mnl_attr_put_u8(nlh, p->kw[i]->attr, (uint8_t)p->val[i]); break;
		case 2: mnl_attr_put_u16(nlh, p->kw[i]->attr, (uint16_t)p->val[i]); break;
		default: mnl_attr_put_u32(nlh, p->kw[i]->attr, p->val[i]); break;
		}
	}
	return 0;
}

static int policy_request(const char *verb, uint8_t cmd,
			  const struct fl_policy_args *p)
{
	char what[64];
	struct fl_nl nl;
	int rc;

	/* "tag add vm1: kernel error: ..." names what was refused. */
	snprintf(what, sizeof(what), "%s%s%s", verb, p->name ? " " : "",
		 p->name ? p->name : "");
	if (fl_open(&nl))
		return 1;
	rc = fl_request(&nl, what, cmd, 0, fill_policy, (void *)p, NULL, NULL, NULL);
	fl_nl_close(&nl);
	return rc;
}

static int tag_change(const char *verb, uint8_t cmd, unsigned int where,
		      int argc, char **argv)
{
	struct fl_policy_args p = { 0 };

	if (argc < 1) {
		fprintf(stderr, "flowlane: %s: name the tag\n", verb);
		return 1;
	}
	if (fl_parse_tag_name(verb, argv[0]))
		return 1;
	p.name = argv[0];
	if (cmd == FLOWLANE_CMD_TAG_DEL && argc > 1) {
		fprintf(stderr, "flowlane: %s: unexpected argument '%s' (tag del takes only the name)\n",
			verb, argv[1]);
		return 1;
	}
	if (parse_policy(verb, where, argc - 1, argv + 1, &p))
		return 1;
	if (cmd == FLOWLANE_CMD_TAG_NEW) {
		unsigned int i;
		bool has_id = false;

		for (i = 0; i < p.n; i++)
			has_id |= p.kw[i]->attr == FLOWLANE_A_TAG_ID;
		if (!has_id) {
			fprintf(stderr, "flowlane: %s: tag '%s' needs 'id ID' (1 to 65535, the value in the conntrack mark)\n",
				verb, p.name);
			return 1;
		}
	}
	if (cmd == FLOWLANE_CMD_TAG_SET && p.n == 0) {
		fprintf(stderr, "flowlane: %s: nothing to set for tag '%s' (offload, threshold, max-flows, timeout)\n",
			verb, p.name);
		return 1;
	}
	return policy_request(verb, cmd, &p);
}

struct tag_list {
	const struct fl_opts *opts;
	int n;
};

static void print_tag(const struct fl_attrs *a, void *data)
{
	struct tag_list *l = data;

	if (l->opts->json) {
		fputs(l->n ? ",{" : "{", stdout);
		fl_attrs_json(stdout, a, fl_tag_fields, fl_tag_nfields);
		fputs(",", stdout);
		fl_attrs_json(stdout, a, fl_counter_fields, fl_counter_nfields);
		fputs("}", stdout);
	} else {
		if (!l->n)
			printf("%-15s %5s %-7s %9s %9s %7s %7s %9s %12s %14s\n", "NAME",
			       "ID", "OFFLOAD", "THRESHOLD", "MAX-FLOWS", "TIMEOUT",
			       "FLOWS", "OFFLOADS", "FAST-PKTS", "FAST-BYTES");
		printf("%-15s %5llu %-7s %9llu %9llu %7llu %7llu %9llu %12llu %14llu\n",
		       a->str[FLOWLANE_A_TAG_NAME],
		       (unsigned long long)a->u[FLOWLANE_A_TAG_ID],
		       a->u[FLOWLANE_A_TAG_OFFLOAD] ? "on" : "off",
		       (unsigned long long)a->u[FLOWLANE_A_TAG_THRESHOLD],
		       (unsigned long long)a->u[FLOWLANE_A_TAG_MAX_FLOWS],
		       (unsigned long long)a->u[FLOWLANE_A_TAG_TIMEOUT],
		       (unsigned long long)a->u[FLOWLANE_A_TAG_FLOWS],
		       (unsigned long long)a->u[FLOWLANE_A_TAG_OFFLOADS_TOTAL],
		       (unsigned long long)a->u[FLOWLANE_A_TAG_FASTPATH_PACKETS],
		       (unsigned long long)a->u[FLOWLANE_A_TAG_FASTPATH_BYTES]);
	}
	l->n++;
}

static int tag_list(const struct fl_opts *opts)
{
	struct tag_list l = { opts, 0 };
	struct fl_nl nl;
	int rc;

	if (fl_open(&nl))
		return 1;
	if (opts->json)
		fputs("[", stdout);
	rc = fl_request(&nl, "tag list", FLOWLANE_CMD_TAG_GET, NLM_F_DUMP, NULL,
			NULL, fl_tag_payloads, print_tag, &l);
	if (opts->json)
		fputs("]\n", stdout);
	fl_nl_close(&nl);
	return rc;
}

int cmd_tag(int argc, char **argv, const struct fl_opts *opts)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "list") && strcmp(sub, "") && fl_json_refused(
		    !strcmp(sub, "add") ? "tag add" : !strcmp(sub, "set") ? "tag set" :
		    !strcmp(sub, "del") ? "tag del" : "tag", opts))
		return 1;
	if (!strcmp(sub, "add"))
		return tag_change("tag add", FLOWLANE_CMD_TAG_NEW, KW_TAG_ADD,
				  argc - 2, argv + 2);
	if (!strcmp(sub, "set"))
		return tag_change("tag set", FLOWLANE_CMD_TAG_SET, KW_ANY,
				  argc - 2, argv + 2);
	if (!strcmp(sub, "del"))
		return tag_change("tag del", FLOWLANE_CMD_TAG_DEL, KW_ANY,
				  argc - 2, argv + 2);
	if (!strcmp(sub, "list"))
		return tag_list(opts);
	fprintf(stderr, "flowlane: tag: expected 'add', 'set', 'del' or 'list', got '%s'\n", sub);
	return 1;
}

int cmd_set(int argc, char **argv, const struct fl_opts *opts)
{
	struct fl_policy_args p = { 0 };

	if (fl_json_refused("set", opts))
		return 1;
	if (argc < 2) {
		fprintf(stderr, "flowlane: set: nothing to set (offload, threshold, max-flows, timeout, tag-mask)\n");
		return 1;
	}
	if (parse_policy("set", KW_SET, argc - 1, argv + 1, &p))
		return 1;
	return policy_request("set", FLOWLANE_CMD_POLICY_SET, &p);
}
