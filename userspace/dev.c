// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane dev add|del DEV...  /  flowlane dev list
 * The devices whose ingress carries flowlane's fast path.
 */
#include <string.h>
#include <net/if.h>

#include "verbs.h"

static int fill_dev(struct nlmsghdr *nlh, void *data)
{
	mnl_attr_put_strz(nlh, FLOWLANE_A_DEV_NAME, data);
	return 0;
}

static int dev_change(struct fl_nl *nl, uint8_t cmd, int argc, char **argv)
{
	const char *verb = cmd == FLOWLANE_CMD_DEV_ADD ? "dev add" : "dev del";
	char what[64];
	int i;

	if (argc < 1) {
		fprintf(stderr, "flowlane: %s: name at least one device\n", verb);
		return 1;
	}
	/* Check every name before changing anything: nothing half applied. */
	for (i = 0; i < argc; i++) {
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

struct dev_list {
	const struct fl_opts *opts;
	int n;
};

static void print_dev(const struct fl_attrs *a, void *data)
{
	struct dev_list *l = data;

	if (l->opts->json) {
		fprintf(stdout, "%s{\"name\":", l->n ? "," : "");
		fl_json_string(stdout, a->str[FLOWLANE_A_DEV_NAME]);
		fprintf(stdout, ",\"ifindex\":%llu}",
			(unsigned long long)a->u[FLOWLANE_A_DEV_IFINDEX]);
	} else {
		printf("%s\n", a->str[FLOWLANE_A_DEV_NAME]);
	}
	l->n++;
}

static int dev_list(struct fl_nl *nl, const struct fl_opts *opts)
{
	struct dev_list l = { opts, 0 };
	int rc;

	if (opts->json)
		fputs("[", stdout);
	rc = fl_request(nl, "dev list", FLOWLANE_CMD_DEV_GET, NLM_F_DUMP, NULL,
			NULL, fl_dev_payloads, print_dev, &l);
	if (opts->json)
		fputs("]\n", stdout);
	return rc;
}

int cmd_dev(int argc, char **argv, const struct fl_opts *opts)
{
	struct fl_nl nl;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "add") && strcmp(argv[1], "del") &&
			 strcmp(argv[1], "list"))) {
		fprintf(stderr, "flowlane: dev: expected 'add DEV...', 'del DEV...' or 'list', got '%s'\n",
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
