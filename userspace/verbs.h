/* SPDX-License-Identifier: GPL-2.0 */
/* Shared plumbing of the verbs that talk to the module. */
#ifndef FLOWLANE_VERBS_H
#define FLOWLANE_VERBS_H

#include "attrs.h"
#include "nl.h"
#include "tool.h"

/* Opens the session; on failure prints why (module absent: what to run)
 * and returns non-zero.
 */
int fl_open(struct fl_nl *nl);

/* One request: @cmd with @flags, attributes added by @fill (may be NULL),
 * every reply message decoded with @payloads and handed to @each (may be
 * NULL). Prints "kernel error: ..." on a refusal. Returns 0 or 1.
 */
typedef int (*fl_fill_fn)(struct nlmsghdr *nlh, void *data);
typedef void (*fl_each_fn)(const struct fl_attrs *a, void *data);

int fl_request(struct fl_nl *nl, const char *what, uint8_t cmd, uint16_t flags,
	       fl_fill_fn fill, void *fill_data, const uint8_t *payloads,
	       fl_each_fn each, void *each_data);

/* Resolves a tag name to its id through TAG_GET; 0 and a message if none. */
uint16_t fl_tag_id(struct fl_nl *nl, const char *verb, const char *name);

/* The namespace's counters and every tag's (STATS_GET, TAG_GET dump);
 * free tags with free().
 */
struct fl_stats {
	struct fl_attrs ns;
	struct fl_attrs *tags;
	size_t ntags;
};

int fl_stats_read(struct fl_nl *nl, struct fl_stats *s);

extern const uint8_t fl_status_payloads[FL_ATTRS_MAX];
extern const uint8_t fl_tag_payloads[FL_ATTRS_MAX];
extern const uint8_t fl_dev_payloads[FL_ATTRS_MAX];
extern const uint8_t fl_flow_payloads[FL_ATTRS_MAX];

int cmd_dev(int argc, char **argv, const struct fl_opts *opts);
int cmd_tag(int argc, char **argv, const struct fl_opts *opts);
int cmd_set(int argc, char **argv, const struct fl_opts *opts);
int cmd_stats(int argc, char **argv, const struct fl_opts *opts);
int cmd_flows(int argc, char **argv, const struct fl_opts *opts);
int cmd_flush(int argc, char **argv, const struct fl_opts *opts);
int cmd_top(int argc, char **argv, const struct fl_opts *opts);
int cmd_monitor(int argc, char **argv, const struct fl_opts *opts);

/* One flow: a human line (newline included) or a JSON object. */
void fl_flow_print(const struct fl_attrs *a, bool json);

#endif
