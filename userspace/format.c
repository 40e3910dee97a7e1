// SPDX-License-Identifier: GPL-2.0
/*
 * Output of the reading verbs: a human form and the stable --json form
 * (Documentation/flowlane.8 and Documentation/tool.rst describe both).
 */
#include <inttypes.h>

#include "tool.h"

void fl_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void status_json(FILE *f, const struct fl_status *st,
			const char *tool_version)
{
	fputs("{\"tool_version\":", f);
	fl_json_string(f, tool_version);
	fputs(",\"module_loaded\":true,\"module_version\":", f);
	fl_json_string(f, st->version);
	fprintf(f, ",\"flows\":%" PRIu64 ",\"offloads_total\":%" PRIu64
		",\"fastpath_packets\":%" PRIu64 ",\"fastpath_bytes\":%" PRIu64
		"}\n", st->flows, st->offloads_total, st->fastpath_packets,
		st->fastpath_bytes);
}

void fl_status_print(FILE *f, const struct fl_status *st,
		     const char *tool_version, bool json)
{
	if (json) {
		status_json(f, st, tool_version);
		return;
	}
	fprintf(f, "flowlane %s, kernel module %s\n", tool_version, st->version);
	fprintf(f, "  flows offloaded:   %" PRIu64 "\n", st->flows);
	fprintf(f, "  offloads total:    %" PRIu64 "\n", st->offloads_total);
	fprintf(f, "  fast-path packets: %" PRIu64 "\n", st->fastpath_packets);
	fprintf(f, "  fast-path bytes:   %" PRIu64 "\n", st->fastpath_bytes);
}

void fl_status_print_absent(FILE *f, const char *tool_version, bool json)
{
	if (!json)
		return;
	fputs("{\"tool_version\":", f);
	fl_json_string(f, tool_version);
	fputs(",\"module_loaded\":false}\n", f);
}
