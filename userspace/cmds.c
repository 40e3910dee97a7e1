// SPDX-License-Identifier: GPL-2.0
/*
 * The dispatch table of the tool's verbs, and the usage text made from it.
 */
#include <string.h>

#include "tool.h"
#include "apply.h"

static int cmd_help(int argc, char **argv, const struct fl_opts *opts);

static const struct fl_cmd fl_cmds[] = {
	{ "status", cmd_status, "status",
	  "module version and this namespace's fast-path totals" },
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
		fprintf(f, "  %-20s %s\n", fl_cmds[i].usage, fl_cmds[i].help);
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
