/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * flowlane: per-tenant policy and statistics for the netfilter flowtable
 * software fast path.
 *
 * This header is the protocol of the generic netlink family "flowlane":
 * each command's attribute tree is written here, next to its enum.
 *
 * Conventions
 * -----------
 * - Every command acts on the network namespace of the socket that sends it.
 * - Counters are __u64 attributes (NLA_U64, 8-byte aligned with the
 *   FLOWLANE_A_*_PAD attribute of their nest when needed).
 * - Unknown attributes in replies must be skipped by readers: newer modules
 *   add attributes, never change the meaning of existing ones.
 *
 * FLOWLANE_CMD_STATUS_GET (do)
 *   Request:  no attributes.
 *   Reply:    FLOWLANE_CMD_STATUS_GET with
 *             FLOWLANE_A_STATUS_VERSION           string, module version
 *             FLOWLANE_A_STATUS_FLOWS             u64, flows offloaded now
 *             FLOWLANE_A_STATUS_OFFLOADS_TOTAL    u64, flows ever offloaded
 *             FLOWLANE_A_STATUS_FASTPATH_PACKETS  u64, packets forwarded by
 *                                                 the fast path
 *             FLOWLANE_A_STATUS_FASTPATH_BYTES    u64, bytes of those packets
 *             (all counters for the caller's network namespace)
 *   Permission: none; it reveals only totals of the caller's namespace.
 */
#ifndef _UAPI_LINUX_FLOWLANE_H
#define _UAPI_LINUX_FLOWLANE_H

#define FLOWLANE_GENL_NAME	"flowlane"
#define FLOWLANE_GENL_VERSION	1

enum flowlane_cmd {
	FLOWLANE_CMD_UNSPEC,
	FLOWLANE_CMD_STATUS_GET,

	__FLOWLANE_CMD_MAX,
};
#define FLOWLANE_CMD_MAX (__FLOWLANE_CMD_MAX - 1)

enum flowlane_a_status {
	FLOWLANE_A_STATUS_UNSPEC,
	FLOWLANE_A_STATUS_PAD,
	FLOWLANE_A_STATUS_VERSION,
	FLOWLANE_A_STATUS_FLOWS,
	FLOWLANE_A_STATUS_OFFLOADS_TOTAL,
	FLOWLANE_A_STATUS_FASTPATH_PACKETS,
	FLOWLANE_A_STATUS_FASTPATH_BYTES,

	__FLOWLANE_A_STATUS_MAX,
};
#define FLOWLANE_A_STATUS_MAX (__FLOWLANE_A_STATUS_MAX - 1)

#endif /* _UAPI_LINUX_FLOWLANE_H */
