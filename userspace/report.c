// SPDX-License-Identifier: GPL-2.0
/* The declarative verbs' reports (report.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void fl_report_init(struct fl_report *r, const char *verb, bool json, const char *file)
{
	memset(r, 0, sizeof(*r));
	r->verb = verb;
	r->json = json;
	if (!json)
		return;
	r->obj = json_object();
	json_object_set_new(r->obj, "verb", json_string(verb));
	if (file)
		json_object_set_new(r->obj, "file", json_string(file));
}

void fl_report_fail(struct fl_report *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	fprintf(stderr, "flowlane: %s: %s\n", r->verb, r->err);
}

void fl_report_lines(struct fl_report *r, const char *key, char *const *lines, size_t n)
{
	json_t *a;
	size_t i;

	if (!r->json)
		return;
	a = json_array();
	for (i = 0; i < n; i++)
		if (lines[i])
			json_array_append_new(a, json_string(lines[i]));
	json_object_set_new(r->obj, key, a);
}

void fl_report_text(struct fl_report *r, const char *key, const char *text)
{
	json_t *a;
	const char *p, *nl;

	if (!r->json)
		return;
	a = json_array();
	for (p = text ? text : ""; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		json_array_append_new(a, json_stringn(p, nl - p));
		if (!*nl)
			break;
	}
	json_object_set_new(r->obj, key, a);
}

int fl_report_end(struct fl_report *r, int rc)
{
	char *s;

	if (!r->json)
		return rc;
	json_object_set_new(r->obj, "exit", json_integer(rc));
	if (r->err[0])
		json_object_set_new(r->obj, "error", json_string(r->err));
	s = json_dumps(r->obj, JSON_COMPACT);
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(r->obj);
	r->obj = NULL;
	return rc;
}
