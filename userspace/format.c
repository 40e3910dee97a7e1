// SPDX-License-Identifier: GPL-2.0
/*
 * Output of the reading verbs: a human form and the stable --json form
 * (Documentation/flowlane.8 and Documentation/tool.rst describe both).
 */
#include <inttypes.h>
#include <string.h>

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

/* "devices":["a","b"],"policy":{...},"tags":N */
static void status_policy_json(FILE *f, const struct fl_status *st)
{
	char devs[sizeof(st->devices)], *save = NULL, *name;
	const char *sep = "";

	fputs(",\"devices\":[", f);
	snprintf(devs, sizeof(devs), "%s", st->devices);
	for (name = strtok_r(devs, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		fputs(sep, f);
		fl_json_string(f, name);
		sep = ",";
	}
	fprintf(f, "],\"policy\":{\"offload\":%s,\"threshold\":%u,\"max_flows\":%u,"
		"\"timeout\":%u,\"tag_mask\":\"0x%x\"},\"tags\":%u",
		st->offload ? "true" : "false", st->threshold, st->max_flows,
		st->timeout, st->tag_mask, st->ntags);
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
		",\"sweep_slice_max_ns\":%" PRIu64,
		st->flows, st->offloads_total, st->fastpath_packets,
		st->fastpath_bytes, st->sweep_slice_max_ns);
	if (st->has_policy)
		status_policy_json(f, st);
	fputs("}\n", f);
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
	fprintf(f, "  sweep slice max:   %" PRIu64 ".%03" PRIu64 " ms\n",
		st->sweep_slice_max_ns / 1000000, st->sweep_slice_max_ns / 1000 % 1000);
	if (!st->has_policy)
		return;
	fprintf(f, "  devices:           %s\n", st->devices[0] ? st->devices : "(none)");
	fprintf(f, "  default policy:    offload %s, threshold %u, max-flows %u, timeout %u, tag-mask 0x%x\n",
		st->offload ? "on" : "off", st->threshold, st->max_flows,
		st->timeout, st->tag_mask);
	fprintf(f, "  tags:              %u\n", st->ntags);
}

void fl_status_print_absent(FILE *f, const char *tool_version, bool json)
{
	if (!json)
		return;
	fputs("{\"tool_version\":", f);
	fl_json_string(f, tool_version);
	fputs(",\"module_loaded\":false}\n", f);
}
