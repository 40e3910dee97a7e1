// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane dev add|del DEV|PATTERN...  /  flowlane dev list
 * The devices whose ingress carries flowlane's fast path. A name ending in
 * '*' ("vmtap*") is a pattern: the module follows every device of the
 * namespace whose name starts with what precedes the '*', now and later.
 */
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "verbs.h"

static bool is_pattern(const char *arg)
{
	size_t len = strlen(arg);

	return len && arg[len - 1] == '*';
}

static int fill_dev(struct nlmsghdr *nlh, void *data)
{
	const char *arg = data;

	mnl_attr_put_strz(nlh, is_pattern(arg) ? FLOWLANE_A_DEV_PATTERN :
			  FLOWLANE_A_DEV_NAME, arg);
	return 0;
}

static int dev_change(struct fl_nl *nl, uint8_t cmd, int argc, char **argv)
{
	const char *verb = cmd == FLOWLANE_CMD_DEV_ADD ? "dev add" : "dev del";
	char what[64];
	int i;

	if (argc < 1) {
		fprintf(stderr, "flowlane: %s: name at least one device or pattern\n", verb);
		return 1;
	}
	/* Check every name before changing anything: nothing half applied.
	 * A pattern's devices need not exist; the module checks its form.
	 */
	for (i = 0; i < argc; i++) {
		if (is_pattern(argv[i]))
			continue;
		if (strlen(argv[i]) >= IFNAMSIZ || !if_nametoindex(argv[i])) {
			fprintf(stderr, "flowlane: %s: no device '%s' in this network namespace\n",
				verb, argv[i]);
			return 1;
		}
	}
	for (i = 0; i < argc; i++) {
		snprintf(what, sizeof(what), "%s %s", verb, argv[i]);
		if (fl_request(nl, what, cmd, 0, fill_dev, argv[i], NULL, NULL, NULL))
			return 1;
	}
	return 0;
}

/* The dump sends the devices first, each with the pattern that matches it,
 * then the patterns: a pattern's devices are known when it arrives.
 */
struct dev_seen {
	char name[IFNAMSIZ];
	char pattern[IFNAMSIZ];
};

struct dev_list {
	const struct fl_opts *opts;
	int n;
	struct dev_seen *devs;
	size_t ndevs;
	int err;
};

static void keep_dev(struct dev_list *l, const struct fl_attrs *a)
{
	struct dev_seen *more;

	if (!a->has[FLOWLANE_A_DEV_PATTERN])
		return;
	more = realloc(l->devs, (l->ndevs + 1) * sizeof(*more));
	if (!more) {
		l->err = 1;
		return;
	}
	l->devs = more;
	snprintf(more[l->ndevs].name, IFNAMSIZ, "%.15s", a->str[FLOWLANE_A_DEV_NAME]);
	snprintf(more[l->ndevs].pattern, IFNAMSIZ, "%.15s", a->str[FLOWLANE_A_DEV_PATTERN]);
	l->ndevs++;
}

static void print_device(struct dev_list *l, const struct fl_attrs *a)
{
	const char *pat = a->has[FLOWLANE_A_DEV_PATTERN] ?
			  a->str[FLOWLANE_A_DEV_PATTERN] : NULL;

	if (l->opts->json) {
		fprintf(stdout, "%s{\"name\":", l->n ? "," : "");
		fl_json_string(stdout, a->str[FLOWLANE_A_DEV_NAME]);
		fprintf(stdout, ",\"ifindex\":%llu,\"explicit\":%s",
			(unsigned long long)a->u[FLOWLANE_A_DEV_IFINDEX],
			a->u[FLOWLANE_A_DEV_EXPLICIT] ? "true" : "false");
		if (pat) {
			fputs(",\"pattern\":", stdout);
			fl_json_string(stdout, pat);
		}
		fputs("}", stdout);
	} else if (pat) {
		printf("%s (%s%s%s)\n", a->str[FLOWLANE_A_DEV_NAME],
		       is_pattern(pat) ? "pattern " : "followed", is_pattern(pat) ? pat : "",
		       a->u[FLOWLANE_A_DEV_EXPLICIT] ? ", also by name" : "");
	} else {
		printf("%s\n", a->str[FLOWLANE_A_DEV_NAME]);
	}
	keep_dev(l, a);
}

static void print_pattern(struct dev_list *l, const struct fl_attrs *a)
{
	const char *pat = a->str[FLOWLANE_A_DEV_PATTERN];
	unsigned long long failures = a->u[FLOWLANE_A_DEV_HOOK_FAILURES];
	const char *sep = "";
	size_t i;

	if (l->opts->json) {
		fprintf(stdout, "%s{\"pattern\":", l->n ? "," : "");
		fl_json_string(stdout, pat);
		fputs(",\"devices\":[", stdout);
	} else {
		/* A pattern without '*' (apply's VM interfaces) follows one name. */
		printf("%s %s:", is_pattern(pat) ? "pattern" : "follow", pat);
	}
	for (i = 0; i < l->ndevs; i++) {
		if (strcmp(l->devs[i].pattern, pat))
			continue;
		if (l->opts->json) {
			fputs(sep, stdout);
			fl_json_string(stdout, l->devs[i].name);
			sep = ",";
		} else {
			printf(" %s", l->devs[i].name);
		}
	}
	if (l->opts->json)
		fprintf(stdout, "],\"hook_failures\":%llu}", failures);
	else if (failures)	/* devices it matched but could not hook */
		printf(" (%llu hook failures: see the kernel log)\n", failures);
	else
		putchar('\n');
}

static void print_dev(const struct fl_attrs *a, void *data)
{
	struct dev_list *l = data;

	if (a->has[FLOWLANE_A_DEV_IFINDEX])
		print_device(l, a);
	else
		print_pattern(l, a);
	l->n++;
}

static int dev_list(struct fl_nl *nl, const struct fl_opts *opts)
{
	struct dev_list l = { .opts = opts };
	int rc;

	if (opts->json)
		fputs("[", stdout);
	rc = fl_request(nl, "dev list", FLOWLANE_CMD_DEV_GET, NLM_F_DUMP, NULL,
			NULL, fl_dev_payloads, print_dev, &l);
	if (opts->json)
		fputs("]\n", stdout);
	free(l.devs);
	if (l.err)
		fprintf(stderr, "flowlane: dev list: out of memory: patterns show no devices\n");
	return rc || l.err;
}

int cmd_dev(int argc, char **argv, const struct fl_opts *opts)
{
	struct fl_nl nl;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "del") &&
			 strcmp(argv[1], "list"))) {
		fprintf(stderr, "flowlane: dev: expected 'add DEV|PATTERN...', 'del DEV|PATTERN...' or 'list', got '%s'\n",
			argc < 2 ? "" : argv[1]);
		return 1;
	}
	if (strcmp(argv[1], "list") && fl_json_refused(argv[1][0] == 'a' ? "dev add" : "dev del",
							opts))
		return 1;
	if (fl_open(&nl))
		return 1;
	if (!strcmp(argv[1], "list"))
		rc = dev_list(&nl, opts);
	else
		rc = dev_change(&nl, !strcmp(argv[1], "add") ? FLOWLANE_CMD_DEV_ADD :
				FLOWLANE_CMD_DEV_DEL, argc - 2, argv + 2);
	fl_nl_close(&nl);
	return rc;
}
