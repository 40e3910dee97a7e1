// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane: configure and observe the flowlane fast path.
 *
 *   flowlane [--json] [VERB [ARGS...]]
 *
 * One dispatch table of verbs; no verb means "status".
 */
#include <string.h>

#include "tool.h"
#include "version.h"

int main(int argc, char **argv)
{
	struct fl_opts opts = { 0 };
	const struct fl_cmd *cmd;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			opts.json = true;
		} else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("flowlane %s\n", FLOWLANE_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fl_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "flowlane: unknown option '%s' (see 'flowlane help')\n",
				argv[i]);
			return 1;
		}
	}
	if (i == argc)
		return cmd_status(1, (char *[]){ "status", NULL }, &opts);
	cmd = fl_find_cmd(argv[i]);
	if (!cmd) {
		fprintf(stderr, "flowlane: unknown verb '%s' (see 'flowlane help')\n",
			argv[i]);
		return 1;
	}
	return cmd->run(argc - i, argv + i, &opts);
}
