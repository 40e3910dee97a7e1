/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Replies decoded into flat tables: one slot per attribute of a nest level,
 * integers of any width widened to u64, strings and addresses kept aside.
 * One table of names per level drives both the human and the JSON output,
 * so the two cannot disagree.
 */
#ifndef FLOWLANE_ATTRS_H
#define FLOWLANE_ATTRS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/flowlane.h>

#define FL_ATTRS_MAX 32

struct fl_attrs {
	bool has[FL_ATTRS_MAX];
	uint64_t u[FL_ATTRS_MAX];
	char str[FL_ATTRS_MAX][32];	/* strings (names, the module's version) */
	uint8_t bin[FL_ATTRS_MAX][16];	/* addresses */
	uint8_t binlen[FL_ATTRS_MAX];
};

/* How one attribute is shown: JSON key, and its kind. */
enum fl_kind { FL_U64, FL_BOOL, FL_STR, FL_HEX };

struct fl_field {
	int attr;
	const char *key;
	enum fl_kind kind;
};

/* What an attribute's payload is, where it is not an integer. */
enum fl_payload { FL_P_INT, FL_P_STRING, FL_P_BINARY };

/* Parses the attributes of a genl message (after the genl header);
 * @payloads[type] says which are strings or binary, the rest are integers
 * of any width.
 */
int fl_attrs_parse_msg(const void *nlh, struct fl_attrs *a,
		       const uint8_t payloads[FL_ATTRS_MAX]);

/* Writes the fields present in @a as JSON members ("key":value,...). */
void fl_attrs_json(FILE *f, const struct fl_attrs *a,
		   const struct fl_field *fields, size_t n);

extern const struct fl_field fl_tag_fields[];
extern const size_t fl_tag_nfields;
extern const struct fl_field fl_counter_fields[];
extern const size_t fl_counter_nfields;

#endif
