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
	{ "dev", cmd_dev, "dev add|del DEV|PATTERN... | dev list",
	  "devices whose ingress carries the fast path" },
	{ "tag", cmd_tag, "tag add NAME id ID [POLICY] | tag set NAME POLICY | tag del NAME | tag list",
	  "per-tenant tags (the value in the conntrack mark) and their policy" },
	{ "set", cmd_set, "set POLICY [tag-mask MASK]",
	  "the namespace's default policy, for flows without a known tag" },
	{ "flows", cmd_flows, "flows [tag NAME] [addr ADDR] [proto tcp|udp|gre] [family ipv4|ipv6] | flows id N",
	  "offloaded flows with slow/fast packets and bytes per direction" },
	{ "stats", cmd_stats, "stats [--prometheus]",
	  "namespace totals and per-tag counters (or Prometheus text format)" },
	{ "top", cmd_top, "top [interval SEC] [count N]",
	  "live per-tag flows, offloads/s, fast-path packets/s and bits/s" },
	{ "monitor", cmd_monitor, "monitor [count N]",
	  "offload and teardown events as they happen (with final counters)" },
	{ "flush", cmd_flush, "flush [tag NAME | addr ADDR]",
	  "send offloaded flows back to the slow path now" },
	{ "apply", cmd_apply, "apply [--nft-only] [--rebuild] [--dry-run] [-v] FILE | apply --remove",
	  "make this host match FILE (Documentation/config.rst); --remove: take flowlane's tables and state away" },
	{ "check", cmd_check, "check FILE",
	  "validate FILE and what apply would refuse here, change nothing" },
	{ "diff", cmd_diff, "diff [-v] FILE",
	  "what 'apply FILE' would change, per VM and service (-v: the nftables plan); exit 0 same, 1 different, 2 error" },
	{ "backend", cmd_backend, "backend SERVICE ADDR[:PORT] up|down|drain [--nft-only] [FILE]",
	  "set a load-balanced backend's state in FILE (default /etc/flowlane/flowlane.json) and apply it" },
	{ "show-config", cmd_show_config, "show-config",
	  "print the document applied last in this network namespace" },
	{ "help", cmd_help, "help [VERB]", "this text, or only VERB's usage" },
};

#define FL_N_CMDS	(sizeof(fl_cmds) / sizeof(fl_cmds[0]))
#define FL_POLICY_HELP \
	"POLICY is any of: offload on|off, threshold N (packets on the slow\n" \
	"path first), max-flows M (0: no cap), timeout SEC (fast-path idle).\n"

const struct fl_cmd *fl_find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < FL_N_CMDS; i++)
		if (!strcmp(fl_cmds[i].name, name))
			return &fl_cmds[i];
	return NULL;
}

/* "one of: status, dev, ...": what a refused verb could have been. */
void fl_verbs_list(FILE *f)
{
	size_t i;

	fprintf(f, "one of:");
	for (i = 0; i < FL_N_CMDS; i++)
		fprintf(f, "%s %s", i ? "," : "", fl_cmds[i].name);
}

void fl_cmd_usage(FILE *f, const struct fl_cmd *cmd)
{
	fprintf(f, "Usage: flowlane [--json] %s\n  %s\n", cmd->usage, cmd->help);
	if (!strcmp(cmd->name, "tag") || !strcmp(cmd->name, "set"))
		fprintf(f, "\n" FL_POLICY_HELP);
}

int fl_json_refused(const char *verb, const struct fl_opts *opts)
{
	if (!opts->json)
		return 0;
	fprintf(stderr, "flowlane: %s: --json is not supported: '%s' prints no report "
		"(run it without --json; its exit code says whether it worked)\n", verb, verb);
	return 1;
}

void fl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: flowlane [--json] [VERB [ARGS...]]\n\n"
		"With no verb, flowlane shows 'status'. Verbs:\n");
	for (i = 0; i < FL_N_CMDS; i++)
		fprintf(f, "  %s\n      %s\n", fl_cmds[i].usage, fl_cmds[i].help);
	fprintf(f, "\n" FL_POLICY_HELP);
	fprintf(f, "\nOptions (before or after the verb):\n"
		"  -j, --json           machine-readable output (stable schema)\n"
		"  -V, --version        print the tool's version\n"
		"  -h, --help           this text; after a verb, that verb's usage\n");
}

static int cmd_help(int argc, char **argv, const struct fl_opts *opts)
{
	const struct fl_cmd *cmd;

	(void)opts;
	if (argc < 2) {
		fl_usage(stdout);
		return 0;
	}
	if (argc > 2) {
		fprintf(stderr, "flowlane: help: unexpected argument '%s' (help takes one VERB)\n",
			argv[2]);
		return 1;
	}
	cmd = fl_find_cmd(argv[1]);
	if (!cmd) {
		fprintf(stderr, "flowlane: help: unknown verb '%s' (", argv[1]);
		fl_verbs_list(stderr);
		fprintf(stderr, ")\n");
		return 1;
	}
	fl_cmd_usage(stdout, cmd);
	return 0;
}
