// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane top [interval SEC] [count N]: a live table of flows, offloads
 * per second, fast-path packets and bits per second, for the namespace and
 * each tag, refreshed every interval until interrupted (or N times).
 * Fast-path counters are folded in by the kernel about once a second, so
 * rates over intervals shorter than that are lumpy. With --json each frame
 * is one JSON object on its own line, its rates null in the first.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "verbs.h"

static volatile sig_atomic_t fl_top_stop;

static void on_signal(int sig)
{
	(void)sig;
	fl_top_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A counter's rate between two reads; a counter that went back (a tag
 * deleted and re-created, the module reloaded) restarts from zero.
 */
static double rate(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (now - before) / dt : now / dt;
}

static const struct fl_attrs *find_tag(const struct fl_stats *s, uint64_t id)
{
	size_t i;

	for (i = 0; s && i < s->ntags; i++)
		if (s->tags[i].u[FLOWLANE_A_TAG_ID] == id)
			return &s->tags[i];
	return NULL;
}

/* What a row shows of a tag (or the namespace) between two reads. */
struct top_rates {
	double offloads, packets, bits;	/* per second */
};

static bool top_rates(const struct fl_attrs *a, const struct fl_attrs *prev,
		      double dt, struct top_rates *r)
{
	if (!prev)
		return false;
	r->offloads = rate(a->u[FLOWLANE_A_TAG_OFFLOADS_TOTAL],
			   prev->u[FLOWLANE_A_TAG_OFFLOADS_TOTAL], dt);
	r->packets = rate(a->u[FLOWLANE_A_TAG_FASTPATH_PACKETS],
			  prev->u[FLOWLANE_A_TAG_FASTPATH_PACKETS], dt);
	r->bits = 8 * rate(a->u[FLOWLANE_A_TAG_FASTPATH_BYTES],
			   prev->u[FLOWLANE_A_TAG_FASTPATH_BYTES], dt);
	return true;
}

static void row(const char *name, const char *id, const struct fl_attrs *a,
		const struct fl_attrs *prev, double dt)
{
	struct top_rates r;

	printf("%-15s %5s %8llu", name, id,
	       (unsigned long long)a->u[FLOWLANE_A_TAG_FLOWS]);
	if (top_rates(a, prev, dt, &r))
		printf(" %11.1f %12.1f %14.0f\n", r.offloads, r.packets, r.bits);
	else
		printf(" %11s %12s %14s\n", "-", "-", "-");
}

/* The rates of a JSON row: null in the first frame (no earlier read). */
static void json_row(const struct fl_attrs *a, const struct fl_attrs *prev,
		     double dt)
{
	struct top_rates r;

	printf("\"flows\":%llu", (unsigned long long)a->u[FLOWLANE_A_TAG_FLOWS]);
	if (top_rates(a, prev, dt, &r))
		printf(",\"offloads_per_s\":%.3f,\"fastpath_packets_per_s\":%.3f,"
		       "\"fastpath_bits_per_s\":%.3f", r.offloads, r.packets, r.bits);
	else
		fputs(",\"offloads_per_s\":null,\"fastpath_packets_per_s\":null,"
		      "\"fastpath_bits_per_s\":null", stdout);
}

/* --json: a frame is one line (JSON Lines), for scripts and collectors. */
static void json_frame(const struct fl_stats *s, const struct fl_stats *prev,
		       double dt)
{
	size_t i;

	if (prev)
		printf("{\"interval_s\":%.3f,\"namespace\":{", dt);
	else
		fputs("{\"interval_s\":null,\"namespace\":{", stdout);
	json_row(&s->ns, prev ? &prev->ns : NULL, dt);
	fputs("},\"tags\":[", stdout);
	for (i = 0; i < s->ntags; i++) {
		const struct fl_attrs *t = &s->tags[i];

		fputs(i ? ",{" : "{", stdout);
		fl_attrs_json(stdout, t, fl_tag_fields, 2);	/* name, id */
		fputs(",", stdout);
		json_row(t, find_tag(prev, t->u[FLOWLANE_A_TAG_ID]), dt);
		fputs("}", stdout);
	}
	fputs("]}\n", stdout);
	fflush(stdout);
}

static void frame(const struct fl_stats *s, const struct fl_stats *prev,
		  double dt, unsigned int interval)
{
	char id[8];
	size_t i;

	if (isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
	printf("flowlane top, every %us (Ctrl-C stops)\n", interval);
	printf("%-15s %5s %8s %11s %12s %14s\n", "TAG", "ID", "FLOWS",
	       "OFFLOADS/S", "FAST-PKTS/S", "FAST-BITS/S");
	row("(namespace)", "-", &s->ns, prev ? &prev->ns : NULL, dt);
	for (i = 0; i < s->ntags; i++) {
		const struct fl_attrs *t = &s->tags[i];

		snprintf(id, sizeof(id), "%llu", (unsigned long long)t->u[FLOWLANE_A_TAG_ID]);
		row(t->str[FLOWLANE_A_TAG_NAME], id, t,
		    find_tag(prev, t->u[FLOWLANE_A_TAG_ID]), dt);
	}
	if (!isatty(STDOUT_FILENO))
		putchar('\n');
	fflush(stdout);
}

static int parse_top(int argc, char **argv, uint32_t *interval, uint32_t *count)
{
	int i;

	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			fprintf(stderr, "flowlane: top: '%s' needs a value (top [interval SEC] [count N])\n",
				argv[i]);
			return -1;
		}
		if (!strcmp(argv[i], "interval")) {
			if (fl_parse_u32("top", "interval", argv[i + 1], 1, 3600, interval))
				return -1;
		} else if (!strcmp(argv[i], "count")) {
			if (fl_parse_u32("top", "count", argv[i + 1], 1, UINT32_MAX, count))
				return -1;
		} else {
			fprintf(stderr, "flowlane: top: unexpected '%s' (top [interval SEC] [count N])\n",
				argv[i]);
			return -1;
		}
	}
	return 0;
}

int cmd_top(int argc, char **argv, const struct fl_opts *opts)
{
	uint32_t interval = 1, count = 0, n;
	struct fl_stats cur, prev = { 0 };
	double t, t_prev = 0;
	struct fl_nl nl;
	int rc = 0;

	if (parse_top(argc, argv, &interval, &count))
		return 1;
	if (fl_open(&nl))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (n = 0; !fl_top_stop && (!count || n < count); n++) {
		if (n)
			sleep(interval);
		if (fl_top_stop)
			break;
		t = now_s();
		rc = fl_stats_read(&nl, &cur);
		if (rc) {
			free(cur.tags);
			break;
		}
		if (opts->json)
			json_frame(&cur, n ? &prev : NULL, t - t_prev);
		else
			frame(&cur, n ? &prev : NULL, t - t_prev, interval);
		free(prev.tags);
		prev = cur;
		t_prev = t;
	}
	free(prev.tags);
	fl_nl_close(&nl);
	return rc;
}
