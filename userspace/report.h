/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the declarative verbs (check, diff, apply, show-config) report: in
 * words on stdout, or with --json as one JSON object on stdout that a
 * script or a control plane parses. Refusals are said on stderr in both
 * cases; with --json the object carries them too ("error").
 */
#ifndef FLOWLANE_REPORT_H
#define FLOWLANE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

struct fl_report {
	bool json;
	const char *verb;
	json_t *obj;		/* with json: the object being filled */
	char err[1024];		/* the last refusal, without "flowlane: VERB: " */
};

void fl_report_init(struct fl_report *r, const char *verb, bool json, const char *file);
/* Says a refusal on stderr as "flowlane: VERB: ..." and keeps it. */
__attribute__((format(printf, 2, 3)))
void fl_report_fail(struct fl_report *r, const char *fmt, ...);
/* Adds KEY: an array of @lines, or of the lines of @text (a memstream's). */
void fl_report_lines(struct fl_report *r, const char *key, char *const *lines, size_t n);
void fl_report_text(struct fl_report *r, const char *key, const char *text);
/* With json, prints the object ("ok" and "exit" added); returns @rc. */
int fl_report_end(struct fl_report *r, int rc);

#endif
