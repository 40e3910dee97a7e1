// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the tool's handling of netlink replies. The input is
 * taken as what the kernel sent: a buffer of netlink messages (data,
 * ACKs, errors with extack TLVs, NLMSG_DONE), run through the same receive
 * path as fl_nl_talk, each data message decoded with every attribute table
 * of the tool and printed in both output forms (to /dev/null).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../verbs.h"

static int decode_cb(const struct nlmsghdr *nlh, void *data)
{
	const uint8_t *tables[] = { fl_tag_payloads, fl_dev_payloads,
				    fl_flow_payloads, NULL };
	struct fl_attrs a;
	size_t i;

	(void)data;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (fl_attrs_parse_msg(nlh, &a, tables[i]) < 0)
			continue;
		fl_flow_print(&a, false);
		fl_flow_print(&a, true);
		fl_attrs_json(stdout, &a, fl_tag_fields, fl_tag_nfields);
		fl_attrs_json(stdout, &a, fl_counter_fields, fl_counter_nfields);
	}
	return MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static bool quiet;
	struct fl_nl nl = { 0 };
	void *copy;

	if (!quiet) {
		quiet = true;
		/* stdout only: libFuzzer reports on stderr. */
		if (!freopen("/dev/null", "w", stdout))
			abort();
	}
	/* libmnl reads the buffer in place, as it would a recv() buffer:
	 * give it an exactly sized, aligned copy so overreads are caught.
	 */
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, buf, len);
	fl_nl_parse(&nl, copy, len, 0, decode_cb, NULL);
	free(copy);
	return 0;
}
