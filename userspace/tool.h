/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FLOWLANE_TOOL_TOOL_H
#define FLOWLANE_TOOL_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Options that apply to every verb. */
struct fl_opts {
	bool json;	/* --json: the stable machine format */
};

/* One verb of the dispatch table. */
struct fl_cmd {
	const char *name;
	int (*run)(int argc, char **argv, const struct fl_opts *opts);
	const char *usage;
	const char *help;
};

const struct fl_cmd *fl_find_cmd(const char *name);
void fl_usage(FILE *f);
/* One verb's usage, for 'VERB --help' and 'help VERB'. */
void fl_cmd_usage(FILE *f, const struct fl_cmd *cmd);
/* "one of: status, dev, ...", for the refusal of an unknown verb. */
void fl_verbs_list(FILE *f);
/* A verb (or sub-verb) that has no report refuses --json: 1 after saying
 * so, 0 without --json.
 */
int fl_json_refused(const char *verb, const struct fl_opts *opts);

/* What the kernel reports for the caller's namespace: STATUS_GET, and
 * (has_policy) the devices, the default policy and the number of tags.
 */
struct fl_status {
	char version[32];
	uint64_t flows;
	uint64_t offloads_total;
	uint64_t fastpath_packets;
	uint64_t fastpath_bytes;
	uint64_t sweep_slice_max_ns;	/* 0: a module that does not say */
	bool has_policy;
	char devices[256];	/* names, space separated */
	bool offload;
	uint32_t threshold, max_flows, timeout, tag_mask;
	unsigned int ntags;
};

void fl_status_print(FILE *f, const struct fl_status *st,
		     const char *tool_version, bool json);
void fl_status_print_absent(FILE *f, const char *tool_version, bool json);
void fl_json_string(FILE *f, const char *s);

int cmd_status(int argc, char **argv, const struct fl_opts *opts);

#define FL_MODULE_ABSENT_MSG \
	"the flowlane kernel module is not loaded: run 'modprobe flowlane' as root"

#endif
