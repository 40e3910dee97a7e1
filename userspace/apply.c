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
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tool.h"
#include "config.h"
#include "ruleset.h"
#include "delta.h"
#include "apply.h"
#include "report.h"
#include "docdiff.h"

struct apply_args {
	const char *file;
	bool nft_only, rebuild, verbose, dry_run, remove;
};

/* The report of the verb being run (one per process). */
static struct fl_report rep;

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
		} else if (options && !strcmp(argv[i], "--dry-run")) {
			a->dry_run = true;
		} else if (options && !strcmp(argv[i], "--remove")) {
			a->remove = true;
		} else if ((options || !strcmp(verb, "diff")) &&
			   (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))) {
			a->verbose = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			if (options)
				fl_report_fail(&rep, "unknown option '%s' (apply takes --nft-only, "
					       "--rebuild, --dry-run, --remove and -v; see 'flowlane help apply')",
					       argv[i]);
			else
				fl_report_fail(&rep, "unknown option '%s' (%s; see 'flowlane help "
					       "%s')", argv[i], !strcmp(verb, "diff") ?
					       "diff takes -v and FILE" : "check takes only FILE", verb);
			return -1;
		} else if (a->file) {
			fl_report_fail(&rep, "unexpected argument '%s' (%s takes one FILE)",
				       argv[i], verb);
			return -1;
		} else {
			a->file = argv[i];
		}
	}
	if (a->remove && (a->file || a->dry_run || a->rebuild)) {
		fl_report_fail(&rep, "--remove takes no FILE and no other option but --nft-only "
			       "and -v (type 'flowlane apply --remove')");
		return -1;
	}
	if (a->remove)
		return 0;
	if (!a->file) {
		fl_report_fail(&rep, "missing FILE (type 'flowlane %s FILE'; see "
			       "'flowlane help %s')", verb, verb);
		return -1;
	}
	if (rep.json)
		json_object_set_new(rep.obj, "file", json_string(a->file));
	return 0;
}


/* Prints a refusal of FILE's content. */
static void refuse(const char *verb, const char *file, const char *err)
{
	/* JSON syntax errors already start with FILE:LINE:COL. */
	(void)verb;
	if (!strncmp(err, file, strlen(file)))
		fl_report_fail(&rep, "%s", err);
	else
		fl_report_fail(&rep, "%s: %s", file, err);
}

/* Parses and validates the whole text, devices included; prints the error. */
static struct fl_config *parse_all(const char *verb, const char *file,
				   const struct fl_text *text)
{
	char err[FL_ERR_MAX];
	struct fl_config *cfg;

	cfg = fl_config_parse_len(text->p, text->len, file, err);
	if (cfg && fl_config_check_devices(cfg, err)) {
		fl_config_free(cfg);
		cfg = NULL;
	}
	if (!cfg)
		refuse(verb, file, err);
	return cfg;
}

/* Reads, parses and validates FILE, devices included; prints the error. */
static struct fl_config *load(const char *verb, const char *file)
{
	char err[FL_ERR_MAX];
	struct fl_config *cfg;
	struct fl_text text;

	if (fl_text_open(&text, file, err)) {
		(void)verb;
		fl_report_fail(&rep, "%s", err);
		return NULL;
	}
	cfg = parse_all(verb, file, &text);
	fl_text_close(&text);
	return cfg;
}

/* A document on its way to the kernel, and how its plan is made. */
struct doc {
	const char *file;
	struct fl_text text;
	struct fl_doc_split split;
	bool split_ok;
	struct fl_config *cfg;		/* delta.cfg, or the whole document parsed */
	bool incremental;
	struct fl_delta delta;
	struct fl_plan_delta pd;
	struct fl_state state;		/* the last apply's, when readable */
	struct fl_ruleset_id rid;	/* the kernel the plan is made for */
	char why[FL_ERR_MAX + 64];	/* why the plan is not incremental */
};

/* The document and the state are mapped: truncating one while it is read
 * raises SIGBUS. Every read of them comes before the commit, and the guard
 * comes down once the commit changed something, so the message is true.
 */
static void on_sigbus(int sig)
{
	static const char msg[] = "flowlane: the document or flowlane's state file was "
				  "truncated while being read; nothing was changed\n";
	ssize_t r;

	(void)sig;
	r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)r;
	_exit(1);
}

static int doc_read(struct doc *d, const char *verb, const char *file)
{
	char err[FL_ERR_MAX];

	memset(d, 0, sizeof(*d));
	d->file = file;
	signal(SIGBUS, on_sigbus);
	if (fl_text_open(&d->text, file, err)) {
		(void)verb;
		fl_report_fail(&rep, "%s", err);
		return -1;
	}
	d->split_ok = fl_doc_split(d->text.p, d->text.len, &d->split) == 0;
	return 0;
}

static void doc_unload(struct doc *d)
{
	if (d->incremental)
		fl_delta_free(&d->delta);
	else
		fl_config_free(d->cfg);
	d->cfg = NULL;
	d->incremental = false;
	fl_state_free(&d->state);
}

static void doc_free(struct doc *d)
{
	doc_unload(d);
	fl_doc_split_free(&d->split);
	fl_text_close(&d->text);
}

/* Both tables an incremental plan edits, and the IPv6 NAT table as it
 * was (present with the same handle, or absent in both).
 */
static bool same_tables(const struct fl_ruleset_id *a, const struct fl_ruleset_id *b)
{
	return a->handle[0] && a->handle[1] && a->handle[0] == b->handle[0] &&
	       a->handle[1] == b->handle[1] && a->handle[2] == b->handle[2];
}

static bool no_tables(const struct fl_ruleset_id *id)
{
	return !id->handle[0] && !id->handle[1] && !id->handle[2];
}

/* The state still describes the kernel: nobody committed anything to
 * nf_tables since the last apply did (the generation), and flowlane's
 * tables are those it left (their handles).
 */
static bool state_current(struct doc *d)
{
	const struct fl_state *st = &d->state;

	if (!st->same_host || !st->indexed) {
		if (!st->indexed)
			snprintf(d->why, sizeof(d->why), "the last apply left no index of its VMs");
		return false;
	}
	if (!st->rid.genid || st->rid.genid != d->rid.genid) {
		snprintf(d->why, sizeof(d->why), "the ruleset changed since the last apply "
			 "(generation %u, now %u)", st->rid.genid, d->rid.genid);
		return false;
	}
	if (!same_tables(&st->rid, &d->rid)) {
		snprintf(d->why, sizeof(d->why), "flowlane's tables are not those of the last apply");
		return false;
	}
	return true;
}

/* The model from the last applied document and the changed VMs only. */
static bool try_incremental(struct doc *d)
{
	char err[FL_ERR_MAX];

	if (!d->split_ok) {
		snprintf(d->why, sizeof(d->why), "the document's VMs could not be told apart");
		return false;
	}
	if (fl_state_read(&d->state, d->why, sizeof(d->why)) || !state_current(d))
		return false;
	if (fl_delta_make(&d->delta, &d->state, d->text.p, d->file, &d->split, d->why,
			  sizeof(d->why)))
		return false;
	if (fl_config_check_devices(d->delta.cfg, err)) {
		snprintf(d->why, sizeof(d->why), "%s", err);
		fl_delta_free(&d->delta);
		return false;
	}
	d->pd = (struct fl_plan_delta){ d->delta.old, d->delta.n_old, d->delta.new,
					d->delta.n_new };
	d->cfg = d->delta.cfg;
	d->incremental = true;
	return true;
}

/* Makes d->cfg: incremental when @incremental allows and the state holds,
 * else the whole document. 0, or -1 after printing why the document is
 * refused.
 */
static int doc_load(struct doc *d, const char *verb, bool incremental)
{
	char err[512];

	doc_unload(d);
	d->why[0] = '\0';
	if (fl_ruleset_id_read(&d->rid, err, sizeof(err))) {
		/* The plan will say what is wrong with nf_tables. */
		snprintf(d->why, sizeof(d->why), "%s", err);
		memset(&d->rid, 0, sizeof(d->rid));
	} else if (!incremental) {
		snprintf(d->why, sizeof(d->why), "asked to rebuild");
	} else if (try_incremental(d)) {
		return 0;
	}
	fl_state_free(&d->state);
	d->cfg = parse_all(verb, d->file, &d->text);
	return d->cfg ? 0 : -1;
}

static void plan_opts(const struct doc *d, struct fl_plan_opts *po)
{
	po->genid = d->rid.genid;
	po->delta = d->incremental ? &d->pd : NULL;
}

int cmd_check(int argc, char **argv, const struct fl_opts *opts)
{
	struct apply_args a;
	struct fl_config *cfg;

	fl_report_init(&rep, "check", opts->json, NULL);
	if (parse_args("check", argc, argv, &a, false))
		return fl_report_end(&rep, 1);
	cfg = load("check", a.file);
	if (!cfg)
		return fl_report_end(&rep, 1);
	/* What apply would refuse here, after its commit otherwise. */
	if (fl_sysctl_probe(cfg, "check")) {
		fl_config_free(cfg);
		snprintf(rep.err, sizeof(rep.err), "a sysctl the document needs cannot be set "
			 "in this network namespace");
		return fl_report_end(&rep, 1);
	}
	if (rep.json) {
		json_object_set_new(rep.obj, "valid", json_true());
		json_object_set_new(rep.obj, "vms", json_integer(cfg->n_vms));
		json_object_set_new(rep.obj, "tags", json_integer(cfg->n_tags));
		json_object_set_new(rep.obj, "notrack_services", json_integer(cfg->n_notrack));
		json_object_set_new(rep.obj, "load_balanced_services",
				    json_integer(cfg->n_services));
	} else {
		printf("%s: valid (%zu VMs, %zu tags, %zu notrack services, %zu load-balanced "
		       "services)\n", a.file, cfg->n_vms, cfg->n_tags, cfg->n_notrack,
		       cfg->n_services);
	}
	fl_config_free(cfg);
	return fl_report_end(&rep, 0);
}

/* The sysctl lines of @cfg ("~ sysctl ..."), in a string to free. */
static char *sysctl_lines(const struct fl_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fl_sysctl_plan(cfg, f, FL_SYSCTL_SHOW);
	fclose(f);
	return buf;
}

static void print_lines(FILE *f, char *const *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
}

/* What someone changed by hand since the last apply of @old: the plan
 * from the kernel back to @old, when anything was committed since.
 */
static void hand_changes(const struct doc *d, const struct fl_state *st,
			 const struct fl_config *old, FILE *f)
{
	struct fl_plan_opts po = { .describe = true, .genid = d->rid.genid };
	struct fl_plan p;

	if (st->same_host && st->rid.genid == d->rid.genid && same_tables(&st->rid, &d->rid))
		return;
	if (!fl_plan_make(&p, old, &po))
		print_lines(f, p.lines, p.n_lines);
	fl_plan_free(&p);
}

/* The difference in the document's words (docdiff.h): from the last
 * applied document, after the hand changes since; from nothing on a host
 * without flowlane's tables. Without a record of the last apply, the
 * nftables plan itself. In a string to free.
 */
static char *document_lines(const struct doc *d, const struct fl_plan *p)
{
	char why[FL_ERR_MAX + 64], err[FL_ERR_MAX];
	struct fl_config *old = NULL;
	struct fl_state st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		abort();
	r = fl_state_read(&st, why, sizeof(why));
	if (!r)
		old = fl_config_parse_len(st.doc, st.doc_len, "the applied document", err);
	if (old) {
		hand_changes(d, &st, old, f);
		fl_docdiff(old, d->cfg, f);
	} else if (no_tables(&d->rid)) {
		fl_docdiff(NULL, d->cfg, f);
	} else {
		print_lines(f, p->lines, p->n_lines);
	}
	fl_config_free(old);
	if (!r)
		fl_state_free(&st);
	fclose(f);
	return buf;
}

/* What the document changes, in words or in rep's object: the document's
 * lines (the plan's with -v) and the sysctls. Returns diff(1)'s exit code:
 * 0 the same, 1 different.
 */
static int show_changes(const struct doc *d, const struct fl_plan *p, bool raw)
{
	char *sys = sysctl_lines(d->cfg), *doc = NULL;
	bool same = !p->n_changes && !sys[0];

	if (p->n_changes && (rep.json || !raw))
		doc = document_lines(d, p);
	if (rep.json) {
		json_object_set_new(rep.obj, "plan", json_string(d->incremental ? "incremental"
								  : "full"));
		json_object_set_new(rep.obj, "changes", json_integer(p->n_changes));
		fl_report_text(&rep, "document", doc);
		fl_report_lines(&rep, "nftables", p->lines, p->n_lines);
		fl_report_text(&rep, "sysctls", sys);
		json_object_set_new(rep.obj, "same", json_boolean(same));
	} else if (raw) {
		print_lines(stdout, p->lines, p->n_lines);
		fputs(sys, stdout);
	} else {
		fputs(doc ? doc : "", stdout);
		fputs(sys, stdout);
	}
	free(doc);
	free(sys);
	return same ? 0 : 1;
}

/* diff, and apply --dry-run: exit 0 the same, 1 different, 2 refused. */
static int dry_run(const struct apply_args *a, const char *verb)
{
	struct fl_plan_opts po = { .describe = true, .rebuild = a->rebuild };
	struct fl_plan p;
	struct doc d;
	int ret = 2;

	if (doc_read(&d, verb, a->file))
		return 2;
	if (doc_load(&d, verb, !a->rebuild))
		goto out;
	if (fl_sysctl_probe(d.cfg, verb))
		goto out;
	plan_opts(&d, &po);
	if (fl_plan_make(&p, d.cfg, &po))
		fl_report_fail(&rep, "%s", p.nft.err);
	else
		ret = show_changes(&d, &p, a->verbose);
	fl_plan_free(&p);
out:
	doc_free(&d);
	return ret;
}

int cmd_diff(int argc, char **argv, const struct fl_opts *opts)
{
	struct apply_args a;

	fl_report_init(&rep, "diff", opts->json, NULL);
	if (parse_args("diff", argc, argv, &a, false))
		return fl_report_end(&rep, 2);
	return fl_report_end(&rep, dry_run(&a, "diff"));
}

/* The phases of an apply, timed: for its "applied ... in X ms" line and,
 * with FLOWLANE_TIMING=1, a line on stderr that says where the time went
 * (bench/apply.sh reads it).
 */
struct phases {
	bool print;
	struct timespec last;
	char line[256];
	size_t len;
};

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

/* Ends phase @name (NULL: starts the first); returns when. */
static struct timespec phase(struct phases *ph, const char *name)
{
	struct timespec now;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ph->print && name) {
		n = snprintf(ph->line + ph->len, sizeof(ph->line) - ph->len, " %s=%.1f", name,
			     ms_between(&ph->last, &now));
		if (n > 0 && (size_t)n < sizeof(ph->line) - ph->len)
			ph->len += n;
	}
	ph->last = now;
	return now;
}

static int apply_nft(const struct apply_args *a, struct doc *d, struct fl_plan *p,
		     struct phases *ph)
{
	struct fl_plan_opts po = { .rebuild = a->rebuild, .describe = a->verbose };
	int err, tries;

	for (tries = 0;; tries++) {
		plan_opts(d, &po);
		if (fl_plan_make(p, d->cfg, &po)) {
			fl_report_fail(&rep, "%s", p->nft.err);
			return -1;
		}
		phase(ph, "plan");
		err = fl_plan_commit(p);
		phase(ph, "commit");
		if (err != -ERESTART || tries == 2)
			break;
		/* The ruleset moved meanwhile: plan again, from what it is now. */
		fl_plan_free(p);
		if (doc_load(d, "apply", !a->rebuild))
			return -1;
	}
	if (err == -ERESTART) {
		fl_report_fail(&rep, "the nftables ruleset changed under each of %d tries (%s): another program keeps writing it; stop it, or run apply again when it is done; nothing was changed",
			       tries + 1, p->nft.err);
		return -1;
	}
	if (err) {
		fl_report_fail(&rep, "%s; nothing was changed", p->nft.err);
		return -1;
	}
	if (p->nft.n_changes)
		signal(SIGBUS, SIG_DFL);	/* committed: on_sigbus would lie */
	return 0;
}

static void print_plan(const struct doc *d, const struct fl_plan *p)
{
	size_t i;

	if (d->incremental)
		printf("plan: incremental: %zu VMs new or changed, %zu gone or changed, "
		       "the rest as the last apply left it\n", d->delta.n_new, d->delta.n_old);
	else
		printf("plan: full: read flowlane's tables (%s)\n", d->why);
	for (i = 0; i < p->n_lines; i++)
		printf("%s\n", p->lines[i]);
}

/* The kernel as this apply left it. The commit moved the generation by
 * one; more means someone else committed right after, and what the
 * kernel holds is then not known from here.
 */
static void ruleset_after(const struct doc *d, const struct fl_plan *p,
			  struct fl_ruleset_id *rid)
{
	uint32_t expect = p->nft.genid + 1;
	char err[512];

	if (!p->nft.n_changes) {
		*rid = d->rid;
		return;
	}
	if (!expect)
		expect = 1;		/* the kernel skips 0 */
	if (fl_ruleset_id_read(rid, err, sizeof(err)) || rid->genid != expect)
		rid->genid = 0;
}

/* For show-config and the next apply's incremental plan. An unchanged
 * apply of the same text has nothing new to record.
 */
static void save_state(const struct doc *d, const struct fl_plan *p)
{
	struct fl_ruleset_id rid;
	int err;

	ruleset_after(d, p, &rid);
	if (d->incremental && !p->nft.n_changes && d->state.doc_len == d->text.len &&
	    !memcmp(d->state.doc, d->text.p, d->text.len))
		return;
	err = fl_state_write(d->text.p, d->text.len, d->split_ok ? &d->split : NULL, d->cfg,
			     &rid);
	if (err)
		fprintf(stderr, "flowlane: apply: warning: could not record the applied "
			"document (the next apply reads the kernel instead): %s\n",
			strerror(-err));
}

static bool module_ready(const struct apply_args *a)
{
	if (a->nft_only)
		return true;
	if (!fl_module_present()) {
		fl_report_fail(&rep, "the flowlane kernel module is not loaded: "
			       "run 'modprobe flowlane' as root, or use --nft-only to program only "
			       "the nftables part");
		return false;
	}
	if (!fl_module_api()) {
		fl_report_fail(&rep, "this flowlane was built without the module's "
			       "tag and policy API (include/uapi/linux/flowlane.h): use --nft-only");
		return false;
	}
	return true;
}

/* The sysctls, set after the commit: their changes in words, or in
 * rep's object. 0 or -1.
 */
static int apply_sysctls(const struct fl_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!rep.json)
		return fl_sysctl_plan(cfg, stdout, FL_SYSCTL_WRITE);
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	err = fl_sysctl_plan(cfg, f, FL_SYSCTL_WRITE);
	fclose(f);
	fl_report_text(&rep, "sysctls", buf);
	free(buf);
	return err;
}

static void report_applied(const struct apply_args *a, const struct doc *d,
			   const struct fl_plan *p, double ms)
{
	if (rep.json) {
		json_object_set_new(rep.obj, "plan", json_string(d->incremental ? "incremental"
								  : "full"));
		if (!d->incremental)
			json_object_set_new(rep.obj, "full_because", json_string(d->why));
		json_object_set_new(rep.obj, "changes", json_integer(p->n_changes));
		json_object_set_new(rep.obj, "ms", json_real(ms));
		if (a->verbose)
			fl_report_lines(&rep, "nftables", p->lines, p->n_lines);
	} else if (p->n_changes) {
		printf("applied %s: %zu changes in %.1f ms\n", a->file, p->n_changes, ms);
	} else {
		printf("applied %s: unchanged\n", a->file);
	}
}

/* The previous ruleset, from before @d's commit: flowlane's tables as the
 * last applied document builds them, or none if there were none. Says
 * what it did. 0, or -1 when it could not.
 */
static int restore_previous(const struct doc *d)
{
	char why[FL_ERR_MAX + 64], err[FL_ERR_MAX];
	struct fl_plan_opts po = { 0 };
	struct fl_config *cfg;
	struct fl_state st;
	struct fl_plan p;
	int ret = -1;

	if (no_tables(&d->rid))
		return fl_ruleset_delete(err, sizeof(err)) < 0 ? -1 : 0;
	if (fl_state_read(&st, why, sizeof(why)))
		return -1;
	cfg = fl_config_parse_len(st.doc, st.doc_len, "the previous document", err);
	if (cfg && !fl_plan_make(&p, cfg, &po)) {
		ret = fl_plan_commit(&p) ? -1 : 0;
		fl_plan_free(&p);
	}
	fl_config_free(cfg);
	fl_state_free(&st);
	return ret;
}

/* A step after the commit failed (said already): nothing half applied.
 * The ruleset goes back to the previous document's, the module (@mod, NULL
 * with --nft-only) to what it had before this apply.
 */
static void roll_back(const struct doc *d, const struct fl_plan *p,
		      const struct fl_module_before *mod)
{
	static const char module_part[] = "the module's policy, devices and tags";
	bool nft = p->nft.n_changes, nft_ok, mod_ok;
	char what[sizeof(rep.err)];

	if (!nft && !mod)
		return;
	snprintf(what, sizeof(what), "%s", rep.err);
	nft_ok = !nft || !restore_previous(d);
	mod_ok = !mod || !fl_module_restore(mod);
	if (!nft_ok || !mod_ok)
		fl_report_fail(&rep, "%s; could not restore %s%s%s: apply the previous document "
			       "again", what, nft_ok ? "" : "the previous ruleset",
			       !nft_ok && !mod_ok ? " nor " : "", mod_ok ? "" : module_part);
	else if (nft && mod)
		fl_report_fail(&rep, "%s; the previous ruleset and %s were restored", what,
			       module_part);
	else
		fl_report_fail(&rep, "%s; %s restored", what,
			       nft ? "the previous ruleset was" : "the module's policy, devices "
			       "and tags were");
}

static int do_apply(const struct apply_args *a)
{
	struct phases ph = { .print = getenv("FLOWLANE_TIMING") != NULL };
	struct fl_module_before *mod = NULL;
	struct fl_plan p = { 0 };
	struct timespec t0, t1;
	struct doc d;
	int ret = 1;

	phase(&ph, NULL);
	if (doc_read(&d, "apply", a->file))
		return 1;
	phase(&ph, "split");
	if (doc_load(&d, "apply", !a->rebuild) || !module_ready(a) ||
	    fl_sysctl_probe(d.cfg, "apply"))
		goto out;
	t0 = phase(&ph, d.incremental ? "delta" : "parse");
	if (apply_nft(a, &d, &p, &ph))
		goto out;
	if (a->verbose && !rep.json)
		print_plan(&d, &p);
	if (!a->nft_only && fl_module_apply(d.cfg, p.flush, p.n_flush, a->verbose && !rep.json,
					    &mod)) {
		snprintf(rep.err, sizeof(rep.err), "the module refused part of %s", a->file);
		roll_back(&d, &p, mod);
		goto out;
	}
	/* Fault injection for the rollback test: a step after the commit fails. */
	if (getenv("FLOWLANE_TEST_FAIL_AFTER_COMMIT")) {
		snprintf(rep.err, sizeof(rep.err), "FLOWLANE_TEST_FAIL_AFTER_COMMIT: a step "
			 "after the commit failed");
		roll_back(&d, &p, mod);
		goto out;
	}
	if (apply_sysctls(d.cfg)) {
		snprintf(rep.err, sizeof(rep.err), "a sysctl could not be set");
		roll_back(&d, &p, mod);
		goto out;
	}
	phase(&ph, "module_sysctl");
	save_state(&d, &p);
	t1 = phase(&ph, "state");
	report_applied(a, &d, &p, ms_between(&t0, &t1));
	ret = 0;
out:
	fl_module_before_free(mod);
	fl_plan_free(&p);
	doc_free(&d);
	phase(&ph, "free");
	if (ph.print)
		fprintf(stderr, "timing ms:%s\n", ph.line);
	return ret;
}

/* apply --remove: flowlane's tables and the state of its last apply go,
 * in one transaction and one unlink. The module's devices, policy and
 * tags stay (flowlane dev del, tag del).
 */
static int do_remove(void)
{
	char err[512];
	int tables, state;

	tables = fl_ruleset_delete(err, sizeof(err));
	if (tables < 0) {
		fl_report_fail(&rep, "%s; nothing was removed", err);
		return 1;
	}
	state = fl_state_remove();
	if (state < 0) {
		fl_report_fail(&rep, "removed flowlane's tables, but not the state of the last "
			       "apply: %s", strerror(-state));
		return 1;
	}
	if (rep.json) {
		json_object_set_new(rep.obj, "tables_removed", json_integer(tables));
		json_object_set_new(rep.obj, "state_removed", json_boolean(state));
	} else if (!tables && !state) {
		printf("nothing to remove: no flowlane tables, no state in this network namespace\n");
	} else {
		printf("removed %d flowlane table%s and %s\n", tables, tables == 1 ? "" : "s",
		       state ? "the state of the last apply" : "no state (there was none)");
	}
	return 0;
}

int cmd_apply(int argc, char **argv, const struct fl_opts *opts)
{
	struct apply_args a;

	fl_report_init(&rep, "apply", opts->json, NULL);
	if (parse_args("apply", argc, argv, &a, true))
		return fl_report_end(&rep, a.dry_run ? 2 : 1);
	if (a.dry_run)
		return fl_report_end(&rep, dry_run(&a, "apply"));
	if (a.remove)
		return fl_report_end(&rep, do_remove());
	return fl_report_end(&rep, do_apply(&a));
}

int cmd_show_config(int argc, char **argv, const struct fl_opts *opts)
{
	struct fl_plan_opts po = { 0 };
	char why[FL_ERR_MAX], err[FL_ERR_MAX];
	struct fl_config *cfg;
	struct fl_state st;
	struct fl_plan p;
	int r;

	fl_report_init(&rep, "show-config", opts->json, NULL);
	if (argc > 1) {
		fl_report_fail(&rep, "unexpected argument '%s' (show-config takes none)", argv[1]);
		return fl_report_end(&rep, 1);
	}
	r = fl_state_read(&st, why, sizeof(why));
	if (r == -ENOENT) {
		fl_report_fail(&rep, "nothing applied in this network namespace");
		return fl_report_end(&rep, 1);
	}
	cfg = r ? NULL : fl_config_parse_len(st.doc, st.doc_len, "the applied document", err);
	if (!cfg) {
		fl_report_fail(&rep, "%s", r ? why : err);
		fl_state_free(&st);
		return fl_report_end(&rep, 1);
	}
	if (rep.json)
		json_object_set_new(rep.obj, "document", json_loadb(st.doc, st.doc_len, 0, NULL));
	else
		fwrite(st.doc, 1, st.doc_len, stdout);
	r = fl_plan_make(&p, cfg, &po);
	if (rep.json)
		json_object_set_new(rep.obj, "kernel_differences",
				    r ? json_null() : json_integer(p.n_changes));
	else if (!r && p.n_changes)
		fprintf(stderr, "flowlane: show-config: warning: the kernel's flowlane tables "
			"differ from this document in %zu places (see 'flowlane diff')\n",
			p.n_changes);
	fl_plan_free(&p);
	fl_config_free(cfg);
	fl_state_free(&st);
	return fl_report_end(&rep, 0);
}
