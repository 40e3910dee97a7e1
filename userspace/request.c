// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>

#include "verbs.h"

const uint8_t fl_status_payloads[FL_ATTRS_MAX] = {
	[FLOWLANE_A_STATUS_VERSION] = FL_P_STRING,
};
const uint8_t fl_tag_payloads[FL_ATTRS_MAX] = {
	[FLOWLANE_A_TAG_NAME] = FL_P_STRING,
};
const uint8_t fl_dev_payloads[FL_ATTRS_MAX] = {
	[FLOWLANE_A_DEV_NAME] = FL_P_STRING,
	[FLOWLANE_A_DEV_PATTERN] = FL_P_STRING,
};
const uint8_t fl_flow_payloads[FL_ATTRS_MAX] = {
	[FLOWLANE_A_FLOW_ORIG_SRC] = FL_P_BINARY,
	[FLOWLANE_A_FLOW_ORIG_DST] = FL_P_BINARY,
	[FLOWLANE_A_FLOW_REPLY_SRC] = FL_P_BINARY,
	[FLOWLANE_A_FLOW_REPLY_DST] = FL_P_BINARY,
};

int fl_open(struct fl_nl *nl)
{
	int err = fl_nl_open(nl);

	if (err == -ENOENT) {
		fprintf(stderr, "flowlane: %s\n", FL_MODULE_ABSENT_MSG);
		return 1;
	}
	if (err) {
		fprintf(stderr, "flowlane: cannot open generic netlink: %s\n",
			strerror(-err));
		return 1;
	}
	return 0;
}

struct each_ctx {
	const uint8_t *payloads;
	fl_each_fn each;
	void *data;
};

static int each_cb(const struct nlmsghdr *nlh, void *data)
{
	struct each_ctx *ctx = data;
	struct fl_attrs a;

	if (fl_attrs_parse_msg(nlh, &a, ctx->payloads) < 0)
		return MNL_CB_ERROR;
	if (ctx->each)
		ctx->each(&a, ctx->data);
	return MNL_CB_OK;
}

int fl_request(struct fl_nl *nl, const char *what, uint8_t cmd, uint16_t flags,
	       fl_fill_fn fill, void *fill_data, const uint8_t *payloads,
	       fl_each_fn each, void *each_data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct each_ctx ctx = { payloads, each, each_data };
	struct nlmsghdr *nlh = fl_nl_msg(nl, buf, cmd, flags);
	int err;

	if (fill && fill(nlh, fill_data))
		return 1;
	err = fl_nl_talk(nl, nlh, each_cb, &ctx);
	if (err) {
		fl_nl_perror(nl, err, what);
		return 1;
	}
	return 0;
}

struct tag_lookup {
	uint16_t id;
};

static int fill_tag_name(struct nlmsghdr *nlh, void *data)
{
	mnl_attr_put_strz(nlh, FLOWLANE_A_TAG_NAME, data);
	return 0;
}

static void keep_tag_id(const struct fl_attrs *a, void *data)
{
	struct tag_lookup *t = data;

	if (a->has[FLOWLANE_A_TAG_ID])
		t->id = (uint16_t)a->u[FLOWLANE_A_TAG_ID];
}

uint16_t fl_tag_id(struct fl_nl *nl, const char *verb, const char *name)
{
	struct tag_lookup t = { 0 };

	if (fl_request(nl, verb, FLOWLANE_CMD_TAG_GET, 0, fill_tag_name,
		       (void *)name, fl_tag_payloads, keep_tag_id, &t))
		return 0;
	return t.id;
}
