/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A generic netlink session with the flowlane family over libmnl: resolve
 * the family, send one request, run the standard receive loop, and keep
 * the kernel's extack message for the caller to print.
 */
#ifndef FLOWLANE_NL_H
#define FLOWLANE_NL_H

#include <stdint.h>
#include <libmnl/libmnl.h>

/* Large enough for the biggest dump skb the kernel builds (32 KiB). */
#define FL_NL_RECV_SIZE 32768

struct fl_nl {
	struct mnl_socket *sock;
	uint16_t family_id;
	uint32_t mcgrp_flows;	/* the "flows" event group, 0: none */
	unsigned int portid;
	unsigned int seq;
	char ext_msg[256];	/* the kernel's extack text of the last error */
};

/* Opens the socket and resolves the family. Returns 0, -ENOENT when the
 * family is not registered (module not loaded), or another -errno.
 */
int fl_nl_open(struct fl_nl *nl);
void fl_nl_close(struct fl_nl *nl);

/* Starts a request for @cmd in @buf (MNL_SOCKET_BUFFER_SIZE bytes). */
struct nlmsghdr *fl_nl_msg(struct fl_nl *nl, char *buf, uint8_t cmd,
			   uint16_t flags);

/* Sends @nlh and feeds every reply message to @cb. Returns 0 or -errno;
 * on a kernel refusal nl->ext_msg holds the kernel's reason (maybe empty).
 */
int fl_nl_talk(struct fl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* Runs the reply messages in @buf through @cb, as fl_nl_talk does with
 * what it receives: MNL_CB_OK (more to come), MNL_CB_STOP, MNL_CB_ERROR.
 */
int fl_nl_parse(struct fl_nl *nl, const void *buf, size_t len,
		unsigned int seq, mnl_cb_t cb, void *data);

/* Prints "kernel error: <extack>" (or strerror) for a failed request. */
void fl_nl_perror(const struct fl_nl *nl, int err, const char *what);

#endif
