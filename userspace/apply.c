// SPDX-License-Identifier: GPL-2.0
/*
 * The declarative verbs: apply, check, diff, show-config.
 *
 *   check FILE    parse and validate (schema, cross-references, devices)
 *   diff FILE     what apply would change, one line per change
 *   apply FILE    one nftables transaction with only the differences, then
 *                 the module's tags, policy and devices, the flushes of the
 *                 changed VMs' flows, and the sysctls the design needs
 *   show-config   the document applied last in this network namespace
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tool.h"
#include "config.h"
#include "ruleset.h"
#include "apply.h"

struct apply_args {
	const char *file;
	bool nft_only, rebuild, verbose;
};

static int parse_args(const char *verb, int argc, char **argv, struct apply_args *a,
		      bool options)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (options && !strcmp(argv[i], "--nft-only")) {
			a->nft_only = true;
		} else if (options && !strcmp(argv[i], "--rebuild")) {
			a->rebuild = true;
		} else if (options && (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))) {
			a->verbose = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "flowlane: %s: unknown option '%s' (see 'flowlane help')\n",
				verb, argv[i]);
			return -1;
		} else if (a->file) {
			fprintf(stderr, "flowlane: %s: unexpected argument '%s' (%s takes one FILE)\n",
				verb, argv[i], verb);
			return -1;
		} else {
			a->file = argv[i];
		}
	}
	if (!a->file) {
		fprintf(stderr, "flowlane: %s: missing FILE (see 'flowlane help')\n", verb);
		return -1;
	}
	return 0;
}


/* Reads, parses and validates FILE, devices included; prints the error. */
static struct fl_config *load(const char *verb, const char *file, char **text_out)
{
	char err[FL_ERR_MAX];
	struct fl_config *cfg;
	char *text;

	text = fl_read_text(file, err);
	if (!text) {
		fprintf(stderr, "flowlane: %s: %s\n", verb, err);
		return NULL;
	}
	cfg = fl_config_parse(text, file, err);
	if (cfg && fl_config_check_devices(cfg, err)) {
		fl_config_free(cfg);
		cfg = NULL;
	}
	if (!cfg) {
		/* JSON syntax errors already start with FILE:LINE:COL. */
		if (!strncmp(err, file, strlen(file)))
			fprintf(stderr, "flowlane: %s: %s\n", verb, err);
		else
			fprintf(stderr, "flowlane: %s: %s: %s\n", verb, file, err);
		free(text);
		return NULL;
	}
	if (text_out)
		*text_out = text;
	else
		free(text);
	return cfg;
}

int cmd_check(int argc, char **argv, const struct fl_opts *opts)
{
	struct apply_args a;
	struct fl_config *cfg;

	(void)opts;
	if (parse_args("check", argc, argv, &a, false))
		return 1;
	cfg = load("check", a.file, NULL);
	if (!cfg)
		return 1;
	printf("%s: valid (%zu VMs, %zu tags, %zu notrack services, %zu load-balanced services)\n",
	       a.file, cfg->n_vms, cfg->n_tags, cfg->n_notrack, cfg->n_services);
	fl_config_free(cfg);
	return 0;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int cmd_diff(int argc, char **argv, const struct fl_opts *opts)
{
	struct fl_plan_opts po = { .describe = true };
	struct fl_config *cfg;
	struct apply_args a;
	struct fl_plan p;
	size_t i;
	int ret = 0;

	(void)opts;
	if (parse_args("diff", argc, argv, &a, false))
		return 1;
	cfg = load("diff", a.file, NULL);
	if (!cfg)
		return 1;
	if (fl_plan_make(&p, cfg, &po)) {
		fprintf(stderr, "flowlane: diff: %s\n", p.nft.err);
		ret = 1;
	} else {
		for (i = 0; i < p.n_lines; i++)
			printf("%s\n", p.lines[i]);
		fl_sysctl_plan(cfg, stdout, false);
	}
	fl_plan_free(&p);
	fl_config_free(cfg);
	return ret;
}

/* The applied document lives in the state directory, one per network
 * namespace (named by the namespace's inode).
 */
static int state_path(char *buf, size_t size, bool mkdirs)
{
	const char *dir = getenv("FLOWLANE_STATE_DIR");
	struct stat st;

	if (!dir || !*dir)
		dir = "/run/flowlane";
	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	if (mkdirs && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	snprintf(buf, size, "%s/applied-net%lu.json", dir, (unsigned long)st.st_ino);
	return 0;
}

static int save_state(const char *text)
{
	char path[4096], tmp[4200];
	FILE *f;

	if (state_path(path, sizeof(path), true))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f) || rename(tmp, path))
		return -1;
	return 0;
}

static int apply_nft(const struct apply_args *a, const struct fl_config *cfg,
		     struct fl_plan *p)
{
	struct fl_plan_opts po = { .rebuild = a->rebuild, .describe = a->verbose };
	int err, tries;

	for (tries = 0; tries < 3; tries++) {
		if (fl_plan_make(p, cfg, &po)) {
			fprintf(stderr, "flowlane: apply: %s\n", p->nft.err);
			return -1;
		}
		err = fl_plan_commit(p);
		if (err != -ERESTART)
			break;
		fl_plan_free(p);	/* the ruleset moved meanwhile: plan again */
	}
	if (err) {
		fprintf(stderr, "flowlane: apply: %s; nothing was changed\n", p->nft.err);
		return -1;
	}
	return 0;
}

int cmd_apply(int argc, char **argv, const struct fl_opts *opts)
{
	struct fl_config *cfg;
	struct timespec t0;
	struct apply_args a;
	struct fl_plan p;
	char *text = NULL;
	size_t i;
	int ret = 1;

	(void)opts;
	if (parse_args("apply", argc, argv, &a, true))
		return 1;
	cfg = load("apply", a.file, &text);
	if (!cfg)
		return 1;
	if (!a.nft_only && !fl_module_present()) {
		fprintf(stderr, "flowlane: apply: the flowlane kernel module is not loaded: "
			"run 'modprobe flowlane' as root, or use --nft-only to program only "
			"the nftables part\n");
		goto out;
	}
	if (!a.nft_only && !fl_module_api()) {
		fprintf(stderr, "flowlane: apply: this flowlane was built without the module's "
			"tag and policy API (include/uapi/linux/flowlane.h): use --nft-only\n");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (apply_nft(&a, cfg, &p))
		goto out_plan;
	for (i = 0; i < p.n_lines; i++)
		printf("%s\n", p.lines[i]);
	if (!a.nft_only && fl_module_apply(cfg, p.flush, p.n_flush, a.verbose))
		goto out_plan;
	if (fl_sysctl_plan(cfg, stdout, true))
		goto out_plan;
	if (save_state(text))
		fprintf(stderr, "flowlane: apply: warning: could not record the applied "
			"document for show-config: %s\n", strerror(errno));
	if (p.n_changes)
		printf("applied %s: %zu changes in %.1f ms\n", a.file, p.n_changes,
		       ms_since(&t0));
	else
		printf("applied %s: unchanged\n", a.file);
	ret = 0;
out_plan:
	fl_plan_free(&p);
out:
	free(text);
	fl_config_free(cfg);
	return ret;
}

int cmd_show_config(int argc, char **argv, const struct fl_opts *opts)
{
	struct fl_plan_opts po = { 0 };
	char path[4096], err[FL_ERR_MAX];
	struct fl_config *cfg;
	struct fl_plan p;
	char *text;

	(void)opts;
	if (argc > 1) {
		fprintf(stderr, "flowlane: show-config: unexpected argument '%s' "
			"(show-config takes none)\n", argv[1]);
		return 1;
	}
	state_path(path, sizeof(path), false);
	if (access(path, R_OK)) {
		fprintf(stderr, "flowlane: show-config: nothing applied in this network namespace\n");
		return 1;
	}
	text = fl_read_text(path, err);
	cfg = text ? fl_config_parse(text, path, err) : NULL;
	if (!cfg) {
		fprintf(stderr, "flowlane: show-config: %s\n", err);
		free(text);
		return 1;
	}
	fputs(text, stdout);
	if (fl_plan_make(&p, cfg, &po) == 0 && p.n_changes)
		fprintf(stderr, "flowlane: show-config: warning: the kernel's flowlane tables "
			"differ from this document in %zu places (see 'flowlane diff')\n",
			p.n_changes);
	fl_plan_free(&p);
	fl_config_free(cfg);
	free(text);
	return 0;
}
