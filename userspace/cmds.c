// SPDX-License-Identifier: GPL-2.0
/*
 * The dispatch table of the tool's verbs, and the usage text made from it.
 */
#include <string.h>

#include "tool.h"
#include "verbs.h"
#include "apply.h"

static int cmd_help(int argc, char **argv, const struct fl_opts *opts);

static const struct fl_cmd fl_cmds[] = {
	{ "status", cmd_status, "status",
	  "module version and this namespace's fast-path totals" },
	{ "dev", cmd_dev, "dev add|del DEV... | dev list",
	  "devices whose ingress carries the fast path" },
	{ "tag", cmd_tag, "tag add NAME id ID [POLICY] | tag set NAME POLICY | tag del NAME | tag list",
	  "per-tenant tags (the value in the conntrack mark) and their policy" },
	{ "set", cmd_set, "set POLICY [tag-mask MASK]",
	  "the namespace's default policy, for flows without a known tag" },
	{ "flows", cmd_flows, "flows [tag NAME] [addr ADDR] [proto tcp|udp] [family ipv4|ipv6] | flows id N",
	  "offloaded flows with slow/fast packets and bytes per direction" },
	{ "stats", cmd_stats, "stats [--prometheus]",
	  "namespace totals and per-tag counters (or Prometheus text format)" },
	{ "top", cmd_top, "top [interval SEC] [count N]",
	  "live per-tag flows, offloads/s, fast-path packets/s and bits/s" },
	{ "monitor", cmd_monitor, "monitor [count N]",
	  "offload and teardown events as they happen (with final counters)" },
	{ "flush", cmd_flush, "flush [tag NAME | addr ADDR]",
	  "send offloaded flows back to the slow path now" },
	{ "apply", cmd_apply, "apply [--nft-only] [--rebuild] [-v] FILE",
	  "make this host match FILE (Documentation/config.rst)" },
	{ "check", cmd_check, "check FILE", "validate FILE, change nothing" },
	{ "diff", cmd_diff, "diff FILE", "print what 'apply FILE' would change" },
	{ "show-config", cmd_show_config, "show-config",
	  "print the document applied last in this network namespace" },
	{ "help", cmd_help, "help", "this text" },
};

const struct fl_cmd *fl_find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fl_cmds) / sizeof(fl_cmds[0]); i++)
		if (!strcmp(fl_cmds[i].name, name))
			return &fl_cmds[i];
	return NULL;
}

void fl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: flowlane [--json] [VERB [ARGS...]]\n\n"
		"With no verb, flowlane shows 'status'. Verbs:\n");
	for (i = 0; i < sizeof(fl_cmds) / sizeof(fl_cmds[0]); i++)
		fprintf(f, "  %s\n      %s\n", fl_cmds[i].usage, fl_cmds[i].help);
	fprintf(f, "\nPOLICY is any of: offload on|off, threshold N (packets on the slow\n"
		"path first), max-flows M (0: no cap), timeout SEC (fast-path idle).\n");
	fprintf(f, "\nOptions:\n"
		"  -j, --json           machine-readable output (stable schema)\n"
		"  -V, --version        print the tool's version\n"
		"  -h, --help           this text\n");
}

static int cmd_help(int argc, char **argv, const struct fl_opts *opts)
{
	(void)argc;
	(void)argv;
	(void)opts;
	fl_usage(stdout);
	return 0;
}
