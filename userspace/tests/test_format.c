// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the tool's output formats (human and --json) and dispatch. */
#include <stdlib.h>
#include <jansson.h>

#include "tool.h"
#include "tap.h"

static char *render(const struct fl_status *st, bool json)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fl_status_print(f, st, "9.9.9", json);
	fclose(f);
	return out;
}

static void test_status_human(void)
{
	struct fl_status st = { .version = "0.1.0", .flows = 3, .offloads_total = 7,
				.fastpath_packets = 18446744073709551615ULL,
				.fastpath_bytes = 42, .sweep_slice_max_ns = 1234567 };
	char *out = render(&st, false);

	tap_streq(out,
		  "flowlane 9.9.9, kernel module 0.1.0\n"
		  "  flows offloaded:   3\n"
		  "  offloads total:    7\n"
		  "  fast-path packets: 18446744073709551615\n"
		  "  fast-path bytes:   42\n"
		  "  sweep slice max:   1.234 ms\n",
		  "status: human form, u64 max printed exactly");
	free(out);
}

static void test_status_json(void)
{
	struct fl_status st = { .version = "0.1.0", .flows = 3, .offloads_total = 7,
				.fastpath_packets = 4611686018427387904ULL,
				.fastpath_bytes = 42, .sweep_slice_max_ns = 999 };
	struct fl_status max = { .version = "0.1.0",
				 .fastpath_packets = 18446744073709551615ULL };
	char *out = render(&st, true), *out_max;
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);

	tap_ok(j != NULL, "status: --json parses (%s)", j ? "ok" : jerr.text);
	if (!j)
		return;
	tap_ok(json_is_true(json_object_get(j, "module_loaded")),
	       "status: module_loaded is true");
	tap_streq(json_string_value(json_object_get(j, "module_version")),
		  "0.1.0", "status: module_version");
	tap_streq(json_string_value(json_object_get(j, "tool_version")),
		  "9.9.9", "status: tool_version");
	tap_ok(json_integer_value(json_object_get(j, "flows")) == 3 &&
	       json_integer_value(json_object_get(j, "offloads_total")) == 7 &&
	       json_integer_value(json_object_get(j, "fastpath_packets")) ==
	       4611686018427387904LL &&
	       json_integer_value(json_object_get(j, "fastpath_bytes")) == 42 &&
	       json_integer_value(json_object_get(j, "sweep_slice_max_ns")) == 999,
	       "status: counters");
	json_decref(j);
	free(out);

	/* jansson's integers are signed; JSON's are not bounded: the u64
	 * maximum must come out whole, checked by its text.
	 */
	out_max = render(&max, true);
	tap_ok(strstr(out_max, "\"fastpath_packets\":18446744073709551615,") != NULL,
	       "status: counters keep all 64 bits in --json");
	free(out_max);
}

static void test_status_policy(void)
{
	struct fl_status st = { .version = "0.1.0", .has_policy = true,
				.devices = "r0 r1", .offload = true,
				.threshold = 20, .max_flows = 100, .timeout = 30,
				.tag_mask = 0xff00, .ntags = 2 };
	char *human = render(&st, false), *json = render(&st, true);
	json_error_t jerr;
	json_t *j = json_loads(json, 0, &jerr), *p;

	tap_ok(strstr(human, "\n  devices:           r0 r1\n"
			      "  default policy:    offload on, threshold 20, max-flows 100, timeout 30, tag-mask 0xff00\n"
			      "  tags:              2\n") != NULL,
	       "status: devices, default policy and tag count (human)");
	tap_ok(j && json_array_size(json_object_get(j, "devices")) == 2 &&
	       tap_strsame(json_string_value(json_array_get(json_object_get(j, "devices"), 1)), "r1"),
	       "status --json: devices array");
	p = j ? json_object_get(j, "policy") : NULL;
	tap_ok(p && json_is_true(json_object_get(p, "offload")) &&
	       json_integer_value(json_object_get(p, "threshold")) == 20 &&
	       json_integer_value(json_object_get(p, "max_flows")) == 100 &&
	       json_integer_value(json_object_get(p, "timeout")) == 30 &&
	       tap_strsame(json_string_value(json_object_get(p, "tag_mask")), "0xff00"),
	       "status --json: policy object");
	tap_ok(j && json_integer_value(json_object_get(j, "tags")) == 2,
	       "status --json: tag count");
	json_decref(j);
	free(human);
	free(json);
}

static void test_json_escape(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fl_json_string(f, "a\"b\\c\n\x01");
	fclose(f);
	tap_streq(out, "\"a\\\"b\\\\c\\u000a\\u0001\"",
		  "json: quotes, backslashes and control characters escaped");
	free(out);
}

static void test_dispatch(void)
{
	tap_ok(fl_find_cmd("status") != NULL, "dispatch: 'status' is a verb");
	tap_ok(fl_find_cmd("help") != NULL, "dispatch: 'help' is a verb");
	tap_ok(fl_find_cmd("stat") == NULL, "dispatch: no prefix matching ('stat')");
	tap_ok(fl_find_cmd("") == NULL, "dispatch: empty verb is unknown");
}

int main(void)
{
	/* Every check below; update it with them. */
	tap_plan(16);
	test_status_human();
	test_status_json();
	test_status_policy();
	test_json_escape();
	test_dispatch();
	return tap_done();
}
