// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "attrs.h"
#include "tool.h"

struct parse_ctx {
	struct fl_attrs *a;
	const uint8_t *payloads;
};

static int put_int(struct fl_attrs *a, unsigned int type,
		   const struct nlattr *attr)
{
	switch (mnl_attr_get_payload_len(attr)) {
	case 1: a->u[type] = mnl_attr_get_u8(attr); return 0;
	case 2: a->u[type] = mnl_attr_get_u16(attr); return 0;
	case 4: a->u[type] = mnl_attr_get_u32(attr); return 0;
	case 8: a->u[type] = mnl_attr_get_u64(attr); return 0;
	default: return -1;
	}
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct parse_ctx *ctx = data;
	unsigned int type = mnl_attr_get_type(attr);
	uint16_t len = mnl_attr_get_payload_len(attr);
	struct fl_attrs *a = ctx->a;

	if (type >= FL_ATTRS_MAX)
		return MNL_CB_OK;	/* a newer module's attribute: skip */
	switch (ctx->payloads ? ctx->payloads[type] : FL_P_INT) {
	case FL_P_STRING:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			return MNL_CB_OK;
		snprintf(a->str[type], sizeof(a->str[type]), "%s",
			 mnl_attr_get_str(attr));
		break;
	case FL_P_BINARY:
		if (len > sizeof(a->bin[type]))
			return MNL_CB_OK;
		memcpy(a->bin[type], mnl_attr_get_payload(attr), len);
		a->binlen[type] = (uint8_t)len;
		break;
	default:
		if (put_int(a, type, attr))
			return MNL_CB_OK;
		break;
	}
	a->has[type] = true;
	return MNL_CB_OK;
}

int fl_attrs_parse_msg(const void *nlh, struct fl_attrs *a,
		       const uint8_t payloads[FL_ATTRS_MAX])
{
	struct parse_ctx ctx = { .a = a, .payloads = payloads };

	memset(a, 0, sizeof(*a));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, &ctx);
}

void fl_attrs_json(FILE *f, const struct fl_attrs *a,
		   const struct fl_field *fields, size_t n)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < n; i++) {
		const struct fl_field *fd = &fields[i];

		if (!a->has[fd->attr])
			continue;
		fprintf(f, "%s\"%s\":", sep, fd->key);
		sep = ",";
		switch (fd->kind) {
		case FL_BOOL:
			fputs(a->u[fd->attr] ? "true" : "false", f);
			break;
		case FL_STR:
			fl_json_string(f, a->str[fd->attr]);
			break;
		case FL_HEX:
			fprintf(f, "\"0x%llx\"", (unsigned long long)a->u[fd->attr]);
			break;
		default:
			fprintf(f, "%llu", (unsigned long long)a->u[fd->attr]);
			break;
		}
	}
}

const struct fl_field fl_tag_fields[] = {
	{ FLOWLANE_A_TAG_NAME, "name", FL_STR },
	{ FLOWLANE_A_TAG_ID, "id", FL_U64 },
	{ FLOWLANE_A_TAG_OFFLOAD, "offload", FL_BOOL },
	{ FLOWLANE_A_TAG_THRESHOLD, "threshold", FL_U64 },
	{ FLOWLANE_A_TAG_MAX_FLOWS, "max_flows", FL_U64 },
	{ FLOWLANE_A_TAG_TIMEOUT, "timeout", FL_U64 },
	{ FLOWLANE_A_TAG_MASK, "tag_mask", FL_HEX },
};
const size_t fl_tag_nfields = sizeof(fl_tag_fields) / sizeof(fl_tag_fields[0]);

const struct fl_field fl_counter_fields[] = {
	{ FLOWLANE_A_TAG_FLOWS, "flows", FL_U64 },
	{ FLOWLANE_A_TAG_OFFLOADS_TOTAL, "offloads_total", FL_U64 },
	{ FLOWLANE_A_TAG_REFUSED_CAP, "refused_cap", FL_U64 },
	{ FLOWLANE_A_TAG_TEARDOWN_FINRST, "teardown_finrst", FL_U64 },
	{ FLOWLANE_A_TAG_TEARDOWN_IDLE, "teardown_idle", FL_U64 },
	{ FLOWLANE_A_TAG_TEARDOWN_FLUSH, "teardown_flush", FL_U64 },
	{ FLOWLANE_A_TAG_TEARDOWN_POLICY, "teardown_policy", FL_U64 },
	{ FLOWLANE_A_TAG_TEARDOWN_DEVICE, "teardown_device", FL_U64 },
	{ FLOWLANE_A_TAG_TEARDOWN_CONNTRACK, "teardown_conntrack", FL_U64 },
	{ FLOWLANE_A_TAG_TEARDOWN_ROUTE, "teardown_route", FL_U64 },
	{ FLOWLANE_A_TAG_FASTPATH_PACKETS, "fastpath_packets", FL_U64 },
	{ FLOWLANE_A_TAG_FASTPATH_BYTES, "fastpath_bytes", FL_U64 },
};
const size_t fl_counter_nfields =
	sizeof(fl_counter_fields) / sizeof(fl_counter_fields[0]);
