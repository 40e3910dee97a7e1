// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl.h"

struct family_lookup {
	const char *name;
	uint16_t id;
	uint32_t mcgrp_flows;
};

/* One CTRL_ATTR_MCAST_GRP_* nest: keep the id of the "flows" group. */
static int mcgrp_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, attr) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			id = mnl_attr_get_u32(a);
	}
	if (name && !strcmp(name, "flows"))
		((struct family_lookup *)data)->mcgrp_flows = id;
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct family_lookup *fl = data;
	const struct nlattr *grp;

	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		fl->id = mnl_attr_get_u16(attr);
	if (mnl_attr_get_type(attr) == CTRL_ATTR_MCAST_GROUPS)
		mnl_attr_for_each_nested(grp, attr)
			mcgrp_attr_cb(grp, fl);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      data);
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct fl_nl *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(nl->ext_msg, sizeof(nl->ext_msg), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* The kernel sends -errno, -4095..-1; anything else is a broken reply
 * (negating INT_MIN would even be undefined: found by fuzz_replies).
 */
static int errno_of(int err)
{
	return err < 0 && err >= -4095 ? -err : EPROTO;
}

/* NLMSG_ERROR: an ACK (error 0) ends the exchange; a refusal keeps the
 * extack message. With NETLINK_CAP_ACK the request is not echoed, so the
 * TLVs follow struct nlmsgerr directly.
 */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct fl_nl *nl = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, sizeof(*err), extack_attr_cb, nl);
	errno = errno_of(err->error);
	return MNL_CB_ERROR;
}

/* NLMSG_DONE ends a dump; it carries an int, negative when the dump
 * failed part-way.
 */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	const int *err = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*err) && *err < 0) {
		errno = errno_of(*err);
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

struct talk_ctx {
	struct fl_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *t = data;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

static int ctl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *t = data;

	return error_cb(nlh, t->nl);
}

/* Every header is checked before libmnl sees the buffer (both found by
 * userspace/fuzz/fuzz_replies): libmnl 1.0.4's mnl_nlmsg_ok() compares
 * the length as an int, so a header claiming 2 GiB or more passes and
 * mnl_cb_run2() walks off the buffer; and its attribute walk runs to the
 * 4-byte aligned end of a message, which the kernel always pads, so a
 * message whose aligned end is past the buffer is refused too.
 */
static bool lengths_ok(const char *p, size_t len)
{
	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len ||
		    step > len)
			return false;
		p += step;
		len -= step;
	}
	return true;
}

int fl_nl_parse(struct fl_nl *nl, const void *buf, size_t len,
		unsigned int seq, mnl_cb_t cb, void *data)
{
	/* libmnl uses its defaults only past the end of this array, so every
	 * control type is handled here.
	 */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = ctl_error_cb,
		[NLMSG_DONE] = done_cb,
		[NLMSG_OVERRUN] = noop_cb,
	};
	struct talk_ctx t = { .nl = nl, .cb = cb, .data = data };

	if (!lengths_ok(buf, len)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return mnl_cb_run2(buf, len, seq, nl->portid, data_cb, &t, ctl,
			   NLMSG_MIN_TYPE);
}

int fl_nl_talk(struct fl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[FL_NL_RECV_SIZE];
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	nl->ext_msg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = fl_nl_parse(nl, buf, n, seq, cb, data);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -errno : 0;
}

struct nlmsghdr *fl_nl_msg(struct fl_nl *nl, char *buf, uint8_t cmd,
			   uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = nl->family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = 1;
	return nlh;
}

static int resolve_family(struct fl_nl *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct family_lookup fl = { .name = name };
	struct nlmsghdr *nlh;
	int err;

	nl->family_id = GENL_ID_CTRL;
	nlh = fl_nl_msg(nl, buf, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	err = fl_nl_talk(nl, nlh, family_cb, &fl);
	if (err)
		return err;
	if (!fl.id)
		return -ENOENT;
	nl->family_id = fl.id;
	nl->mcgrp_flows = fl.mcgrp_flows;
	return 0;
}

int fl_nl_open(struct fl_nl *nl)
{
	int one = 1;
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->seq = (unsigned int)time(NULL);
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	/* Ask for the kernel's reason with every refusal, without the echo. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	err = resolve_family(nl, "flowlane");
	if (err) {
		fl_nl_close(nl);
		return err;
	}
	return 0;
err:
	err = -errno;
	fl_nl_close(nl);
	return err;
}

void fl_nl_close(struct fl_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

void fl_nl_perror(const struct fl_nl *nl, int err, const char *what)
{
	if (nl->ext_msg[0])
		fprintf(stderr, "flowlane: %s: kernel error: %s\n", what,
			nl->ext_msg);
	else
		fprintf(stderr, "flowlane: %s: kernel error: %s\n", what,
			strerror(-err));
}
