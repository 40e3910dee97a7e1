// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane: configure and observe the flowlane fast path.
 *
 *   flowlane [OPTIONS] [VERB [ARGS...]]
 *
 * One dispatch table of verbs; no verb means "status". The options every
 * verb shares (--json, --help, --version) are taken wherever they stand,
 * before or after the verb, as git, systemctl and kubectl take theirs; a
 * verb's own options (apply -v) may stand before the verb too. "--" ends
 * the options: what follows goes to the verb as it is.
 */
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "version.h"

struct cmdline {
	struct fl_opts opts;
	bool help, version;
	const char *verb;
	char **args;		/* the verb's arguments, verb first */
	int n_args;
	char **early;		/* options met before the verb, not ours */
	int n_early;
};

static bool is_opt(const char *a, const char *s, const char *l)
{
	return !strcmp(a, s) || !strcmp(a, l);
}

/* Takes the shared options out of argv; the rest, in order, for the verb. */
static void split_cmdline(int argc, char **argv, struct cmdline *c)
{
	bool opts_end = false;
	int i;

	c->args = calloc(argc + 1, sizeof(*c->args));
	c->early = calloc(argc + 1, sizeof(*c->early));
	if (!c->args || !c->early)
		abort();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_end && !strcmp(a, "--")) {
			opts_end = true;
		} else if (!opts_end && is_opt(a, "-j", "--json")) {
			c->opts.json = true;
		} else if (!opts_end && is_opt(a, "-h", "--help")) {
			c->help = true;
		} else if (!opts_end && is_opt(a, "-V", "--version")) {
			c->version = true;
		} else if (!c->verb && a[0] == '-' && a[1] && !opts_end) {
			c->early[c->n_early++] = argv[i];
		} else if (!c->verb) {
			c->verb = a;
			c->args[c->n_args++] = argv[i];
		} else {
			c->args[c->n_args++] = argv[i];
		}
	}
}

static int run(struct cmdline *c)
{
	const struct fl_cmd *cmd;
	char **argv;
	int argc, i;

	if (c->version) {
		printf("flowlane %s\n", FLOWLANE_VERSION);
		return 0;
	}
	if (!c->verb && c->n_early) {
		fprintf(stderr, "flowlane: unknown option '%s' (the options are --json, --help "
			"and --version; see 'flowlane help')\n",
			c->early[0]);
		return 1;
	}
	if (!c->verb) {
		if (c->help) {
			fl_usage(stdout);
			return 0;
		}
		return cmd_status(1, (char *[]){ "status", NULL }, &c->opts);
	}
	cmd = fl_find_cmd(c->verb);
	if (!cmd) {
		fprintf(stderr, "flowlane: unknown verb '%s' (", c->verb);
		fl_verbs_list(stderr);
		fprintf(stderr, "; see 'flowlane help')\n");
		return 1;
	}
	if (c->help) {
		fl_cmd_usage(stdout, cmd);
		return 0;
	}
	/* The verb, its options met before it, then the rest. */
	argv = calloc(c->n_args + c->n_early + 1, sizeof(*argv));
	if (!argv)
		abort();
	argc = 0;
	argv[argc++] = c->args[0];
	for (i = 0; i < c->n_early; i++)
		argv[argc++] = c->early[i];
	for (i = 1; i < c->n_args; i++)
		argv[argc++] = c->args[i];
	i = cmd->run(argc, argv, &c->opts);
	free(argv);
	return i;
}

int main(int argc, char **argv)
{
	struct cmdline c = { 0 };
	int ret;

	split_cmdline(argc, argv, &c);
	ret = run(&c);
	free(c.args);
	free(c.early);
	return ret;
}
