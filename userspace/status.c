// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane status: is the module there, which version, and the caller's
 * namespace totals.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/flowlane.h>

#include "tool.h"
#include "nl.h"
#include "verbs.h"
#include "version.h"

static void keep_status(const struct fl_attrs *a, void *data)
{
	struct fl_status *st = data;

	snprintf(st->version, sizeof(st->version), "%s", a->str[FLOWLANE_A_STATUS_VERSION]);
	st->flows = a->u[FLOWLANE_A_STATUS_FLOWS];
	st->offloads_total = a->u[FLOWLANE_A_STATUS_OFFLOADS_TOTAL];
	st->fastpath_packets = a->u[FLOWLANE_A_STATUS_FASTPATH_PACKETS];
	st->fastpath_bytes = a->u[FLOWLANE_A_STATUS_FASTPATH_BYTES];
	st->sweep_slice_max_ns = a->u[FLOWLANE_A_STATUS_SWEEP_SLICE_MAX_NS];
}

/* /sys/module/flowlane exists exactly while the module is loaded. Looking
 * there first keeps a read-only verb from depending on netlink details.
 */
static int module_loaded(void)
{
	if (access("/sys/module", F_OK))
		return -1;	/* no sysfs: let netlink decide */
	return access("/sys/module/flowlane", F_OK) == 0;
}

static int module_absent(const struct fl_opts *opts)
{
	fl_status_print_absent(stdout, FLOWLANE_VERSION, opts->json);
	fprintf(stderr, "flowlane: %s\n", FL_MODULE_ABSENT_MSG);
	return 1;
}

static void add_dev(const struct fl_attrs *a, void *data)
{
	struct fl_status *st = data;
	size_t len = strlen(st->devices);

	if (!a->has[FLOWLANE_A_DEV_IFINDEX])
		return;		/* a pattern (dev list shows them) */
	snprintf(st->devices + len, sizeof(st->devices) - len, "%s%s",
		 len ? " " : "", a->str[FLOWLANE_A_DEV_NAME]);
}

static void keep_policy(const struct fl_attrs *a, void *data)
{
	struct fl_status *st = data;

	st->has_policy = true;
	st->offload = a->u[FLOWLANE_A_TAG_OFFLOAD];
	st->threshold = (uint32_t)a->u[FLOWLANE_A_TAG_THRESHOLD];
	st->max_flows = (uint32_t)a->u[FLOWLANE_A_TAG_MAX_FLOWS];
	st->timeout = (uint32_t)a->u[FLOWLANE_A_TAG_TIMEOUT];
	st->tag_mask = (uint32_t)a->u[FLOWLANE_A_TAG_MASK];
}

static void count_tag(const struct fl_attrs *a, void *data)
{
	(void)a;
	((struct fl_status *)data)->ntags++;
}

/* Devices, default policy and tags; an error has been printed if non-zero. */
static int status_policy(struct fl_nl *nl, struct fl_status *st)
{
	return fl_request(nl, "status", FLOWLANE_CMD_DEV_GET, NLM_F_DUMP, NULL,
			  NULL, fl_dev_payloads, add_dev, st) ||
	       fl_request(nl, "status", FLOWLANE_CMD_POLICY_GET, 0, NULL, NULL,
			  fl_tag_payloads, keep_policy, st) ||
	       fl_request(nl, "status", FLOWLANE_CMD_TAG_GET, NLM_F_DUMP, NULL,
			  NULL, fl_tag_payloads, count_tag, st);
}

int cmd_status(int argc, char **argv, const struct fl_opts *opts)
{
	struct fl_status st = { 0 };
	struct fl_nl nl;
	int err;

	if (argc > 1) {
		fprintf(stderr, "flowlane: status: unexpected argument '%s' (status takes none)\n",
			argv[1]);
		return 1;
	}
	if (module_loaded() == 0)
		return module_absent(opts);
	err = fl_nl_open(&nl);
	if (err == -ENOENT)
		return module_absent(opts);
	if (err) {
		fprintf(stderr, "flowlane: cannot open generic netlink: %s\n",
			strerror(-err));
		return 1;
	}
	if (fl_request(&nl, "status", FLOWLANE_CMD_STATUS_GET, 0, NULL, NULL,
		       fl_status_payloads, keep_status, &st) ||
	    status_policy(&nl, &st)) {
		fl_nl_close(&nl);
		return 1;
	}
	fl_nl_close(&nl);
	fl_status_print(stdout, &st, FLOWLANE_VERSION, opts->json);
	return 0;
}
