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
 *             FLOWLANE_A_STATUS_SWEEP_SLICE_MAX_NS u64, the longest slice
 *                                                 of the once-a-second sweep
 *                                                 (namespace lock held,
 *                                                 bottom halves off), ns
 *             (all counters for the caller's network namespace)
 *   Permission: none; it reveals only totals of the caller's namespace.
 *
 * Permission "admin" below means CAP_NET_ADMIN in the user namespace that
 * owns the caller's network namespace (GENL_UNS_ADMIN_PERM).
 *
 * FLOWLANE_CMD_DEV_ADD, FLOWLANE_CMD_DEV_DEL (do)
 *   Request:  FLOWLANE_A_DEV_IFINDEX u32, or FLOWLANE_A_DEV_NAME string, or
 *             FLOWLANE_A_DEV_PATTERN string: a name prefix followed by '*'
 *             ("vmtap*", at most 15 characters with the '*'; a bare "*" is
 *             refused), or a name without '*' (that one name). A pattern
 *             puts on the fast path every device of the namespace whose
 *             name starts with the prefix (or is the name), now and
 *             later: registered, renamed or moved into the namespace. A
 *             device renamed out of every pattern, or whose last matching
 *             pattern is deleted, is unhooked (its flows torn down) unless
 *             it was also added by name or ifindex. At most 4096 patterns
 *             per namespace. DEV_DEL of a device that a pattern also
 *             matches only drops its by-name reason: it stays hooked.
 *   Reply:    none (ack). The first device added makes flowlane manage the
 *             namespace: forward hooks on, net.netfilter.nf_conntrack_acct
 *             set to 1 (restored when the last device goes).
 *   Permission: admin.
 * FLOWLANE_CMD_DEV_GET (dump)
 *   Reply:    one message per hooked device: FLOWLANE_A_DEV_IFINDEX,
 *             FLOWLANE_A_DEV_NAME, FLOWLANE_A_DEV_EXPLICIT u8 (1: added by
 *             name or ifindex), FLOWLANE_A_DEV_PATTERN (the first pattern
 *             that matches it; absent if none); then one message per
 *             pattern, without ifindex: FLOWLANE_A_DEV_PATTERN,
 *             FLOWLANE_A_DEV_HOOK_FAILURES u64 (matching devices that
 *             appeared but could not be hooked, e.g. out of memory; the
 *             kernel log says which).
 *   Permission: none.
 *
 * FLOWLANE_CMD_TAG_NEW (do)
 *   Request:  FLOWLANE_A_TAG_NAME (required, 1-15 chars), FLOWLANE_A_TAG_ID
 *             (required, 1-65535), optional policy attributes
 *             FLOWLANE_A_TAG_OFFLOAD u8 0|1 (default 1),
 *             FLOWLANE_A_TAG_THRESHOLD u32 (default 0),
 *             FLOWLANE_A_TAG_MAX_FLOWS u32 (0 = no cap, default),
 *             FLOWLANE_A_TAG_TIMEOUT u32 seconds (0 = the kernel's
 *             nf_flowtable_{tcp,udp}_timeout, which also bounds any value)
 *   Permission: admin.
 * FLOWLANE_CMD_TAG_SET (do)
 *   Request:  FLOWLANE_A_TAG_NAME (required), any policy attribute.
 *             Turning offload off tears the tag's flows down at once.
 *   Permission: admin.
 * FLOWLANE_CMD_TAG_DEL (do)
 *   Request:  FLOWLANE_A_TAG_NAME. Its flows follow the default policy.
 *   Permission: admin.
 * FLOWLANE_CMD_TAG_GET (do with FLOWLANE_A_TAG_NAME, or dump)
 *   Reply:    FLOWLANE_A_TAG_NAME, _ID, _OFFLOAD, _THRESHOLD, _MAX_FLOWS,
 *             _TIMEOUT, and the counters (u64):
 *             _FLOWS (offloaded now), _OFFLOADS_TOTAL, _REFUSED_CAP,
 *             _TEARDOWN_FINRST, _TEARDOWN_IDLE, _TEARDOWN_FLUSH,
 *             _TEARDOWN_POLICY, _TEARDOWN_DEVICE, _TEARDOWN_CONNTRACK,
 *             _FASTPATH_PACKETS, _FASTPATH_BYTES (lag at most 1 s),
 *             _TEARDOWN_ROUTE
 *   Permission: none.
 *
 * FLOWLANE_CMD_POLICY_GET (do), FLOWLANE_CMD_POLICY_SET (do, admin)
 *   The namespace default policy, same attributes as a tag's policy (its
 *   FLOWLANE_A_TAG_MAX_FLOWS caps the flows without a tag), plus
 *   FLOWLANE_A_TAG_MASK u32 (non-zero; default 0xffff): a flow's tag is
 *   (ct mark & mask) >> (lowest set bit of mask).
 *
 * FLOWLANE_CMD_STATS_GET (do)
 *   Reply:    the namespace's counters with the FLOWLANE_A_TAG_* counter
 *             attributes listed under TAG_GET.
 *   Permission: none.
 *
 * FLOWLANE_CMD_FLOW_GET (do with FLOWLANE_A_FLOW_ID, or dump)
 *   Request:  do: FLOWLANE_A_FLOW_ID u64, the flow to show (ENOENT if gone).
 *             dump: optional filters, all of which a flow must match:
 *             FLOWLANE_A_FLOW_FAMILY u8 (AF_INET or AF_INET6),
 *             FLOWLANE_A_FLOW_PROTO u8 (IPPROTO_*),
 *             FLOWLANE_A_FLOW_TAG u16 (0: flows of the default policy),
 *             FLOWLANE_A_FLOW_ADDR binary 4 or 16 bytes (any address of
 *             either tuple).
 *   Reply:    one message per offloaded flow, FLOWLANE_A_FLOW_*:
 *             _ID u64 (ascending; the dump resumes after the last id sent),
 *             _FAMILY u8 (AF_INET, AF_INET6), _PROTO u8,
 *             _ORIG_SRC, _ORIG_DST, _REPLY_SRC, _REPLY_DST binary 4 or 16
 *             bytes (the original tuple is before NAT, the reply after),
 *             _ORIG_SPORT, _ORIG_DPORT, _REPLY_SPORT, _REPLY_DPORT u16 (host
 *             order), _TAG u16 (0: default policy), _IIF, _OIF u32 (ifindex,
 *             original direction), _STATE u8 (FLOWLANE_FLOW_STATE_*),
 *             _{ORIG,REPLY}_{SLOW,FAST}_{PACKETS,BYTES} u64 (slow: carried by
 *             the slow path; fast: by the fast path; exact when read),
 *             _AGE u32 (seconds since offload), _IDLE u32 (seconds since
 *             the last packet, 1 s resolution)
 *   Permission: admin.
 *
 * FLOWLANE_CMD_FLOW_OFFLOAD_NTF, FLOWLANE_CMD_FLOW_TEARDOWN_NTF (events)
 *   Multicast to the group FLOWLANE_MCGRP_FLOWS ("flows") of the flow's
 *   namespace: one message when a flow is offloaded, one when it leaves the
 *   fast path for good (its counters final), with the FLOWLANE_A_FLOW_*
 *   attributes of FLOW_GET; the teardown also carries
 *   FLOWLANE_A_FLOW_REASON u8 (FLOWLANE_TEARDOWN_*).
 *   Permission: joining the group needs CAP_NET_ADMIN in the namespace's
 *   user namespace (kernels without GENL_MCAST_CAP_NET_ADMIN get no
 *   group: flowlane would rather send no event than show flows to anyone).
 *
 * FLOWLANE_CMD_FLUSH (do)
 *   Request:  nothing (all flows), or FLOWLANE_A_FLUSH_TAG u16, or
 *             FLOWLANE_A_FLUSH_ADDR binary 4 or 16 bytes (any address of
 *             either tuple). The flows are torn down before the reply; their
 *             next packet takes the slow path.
 *   Reply:    FLOWLANE_A_FLUSH_COUNT u32, flows torn down
 *   Permission: admin.
 */
#ifndef _UAPI_LINUX_FLOWLANE_H
#define _UAPI_LINUX_FLOWLANE_H

#define FLOWLANE_GENL_NAME	"flowlane"
#define FLOWLANE_GENL_VERSION	1
#define FLOWLANE_MCGRP_FLOWS	"flows"

enum flowlane_cmd {
	FLOWLANE_CMD_UNSPEC,
	FLOWLANE_CMD_STATUS_GET,
	FLOWLANE_CMD_DEV_ADD,
	FLOWLANE_CMD_DEV_DEL,
	FLOWLANE_CMD_DEV_GET,
	FLOWLANE_CMD_TAG_NEW,
	FLOWLANE_CMD_TAG_SET,
	FLOWLANE_CMD_TAG_DEL,
	FLOWLANE_CMD_TAG_GET,
	FLOWLANE_CMD_POLICY_GET,
	FLOWLANE_CMD_POLICY_SET,
	FLOWLANE_CMD_STATS_GET,
	FLOWLANE_CMD_FLOW_GET,
	FLOWLANE_CMD_FLUSH,
	FLOWLANE_CMD_FLOW_OFFLOAD_NTF,
	FLOWLANE_CMD_FLOW_TEARDOWN_NTF,

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
	FLOWLANE_A_STATUS_SWEEP_SLICE_MAX_NS,

	__FLOWLANE_A_STATUS_MAX,
};
#define FLOWLANE_A_STATUS_MAX (__FLOWLANE_A_STATUS_MAX - 1)

#define FLOWLANE_TAG_NAME_LEN	16	/* with the NUL */

enum flowlane_a_dev {
	FLOWLANE_A_DEV_UNSPEC,
	FLOWLANE_A_DEV_IFINDEX,
	FLOWLANE_A_DEV_NAME,
	FLOWLANE_A_DEV_PATTERN,
	FLOWLANE_A_DEV_EXPLICIT,
	FLOWLANE_A_DEV_HOOK_FAILURES,
	FLOWLANE_A_DEV_PAD,

	__FLOWLANE_A_DEV_MAX,
};
#define FLOWLANE_A_DEV_MAX (__FLOWLANE_A_DEV_MAX - 1)

/* Teardown reasons, as counted by FLOWLANE_A_TAG_TEARDOWN_*. */
enum flowlane_teardown {
	FLOWLANE_TEARDOWN_NONE,
	FLOWLANE_TEARDOWN_FINRST,	/* TCP FIN or RST seen */
	FLOWLANE_TEARDOWN_IDLE,		/* idle timeout (tag's or kernel's) */
	FLOWLANE_TEARDOWN_FLUSH,	/* FLOWLANE_CMD_FLUSH */
	FLOWLANE_TEARDOWN_POLICY,	/* offload turned off for the flow */
	FLOWLANE_TEARDOWN_DEVICE,	/* device removed or no more flowlane's,
					 * down, or its MTU or MAC address
					 * changed; also the last device,
					 * namespace deletion, module unload
					 */
	FLOWLANE_TEARDOWN_CONNTRACK,	/* conntrack entry deleted */
	FLOWLANE_TEARDOWN_ROUTE,	/* the core took back a flow active
					 * within its timeout: its route went
					 * stale or its way out failed
					 */

	__FLOWLANE_TEARDOWN_MAX,
};
#define FLOWLANE_TEARDOWN_MAX (__FLOWLANE_TEARDOWN_MAX - 1)

enum flowlane_a_tag {
	FLOWLANE_A_TAG_UNSPEC,
	FLOWLANE_A_TAG_PAD,
	FLOWLANE_A_TAG_NAME,
	FLOWLANE_A_TAG_ID,
	FLOWLANE_A_TAG_OFFLOAD,
	FLOWLANE_A_TAG_THRESHOLD,
	FLOWLANE_A_TAG_MAX_FLOWS,
	FLOWLANE_A_TAG_TIMEOUT,
	FLOWLANE_A_TAG_MASK,
	FLOWLANE_A_TAG_FLOWS,
	FLOWLANE_A_TAG_OFFLOADS_TOTAL,
	FLOWLANE_A_TAG_REFUSED_CAP,
	FLOWLANE_A_TAG_TEARDOWN_FINRST,
	FLOWLANE_A_TAG_TEARDOWN_IDLE,
	FLOWLANE_A_TAG_TEARDOWN_FLUSH,
	FLOWLANE_A_TAG_TEARDOWN_POLICY,
	FLOWLANE_A_TAG_TEARDOWN_DEVICE,
	FLOWLANE_A_TAG_TEARDOWN_CONNTRACK,
	FLOWLANE_A_TAG_FASTPATH_PACKETS,
	FLOWLANE_A_TAG_FASTPATH_BYTES,
	FLOWLANE_A_TAG_TEARDOWN_ROUTE,

	__FLOWLANE_A_TAG_MAX,
};
#define FLOWLANE_A_TAG_MAX (__FLOWLANE_A_TAG_MAX - 1)

enum flowlane_flow_state {
	FLOWLANE_FLOW_STATE_OFFLOADED = 1,
	FLOWLANE_FLOW_STATE_TEARDOWN,	/* torn down, counters final soon */
};

enum flowlane_a_flow {
	FLOWLANE_A_FLOW_UNSPEC,
	FLOWLANE_A_FLOW_PAD,
	FLOWLANE_A_FLOW_ID,
	FLOWLANE_A_FLOW_FAMILY,
	FLOWLANE_A_FLOW_PROTO,
	FLOWLANE_A_FLOW_ORIG_SRC,
	FLOWLANE_A_FLOW_ORIG_DST,
	FLOWLANE_A_FLOW_ORIG_SPORT,
	FLOWLANE_A_FLOW_ORIG_DPORT,
	FLOWLANE_A_FLOW_REPLY_SRC,
	FLOWLANE_A_FLOW_REPLY_DST,
	FLOWLANE_A_FLOW_REPLY_SPORT,
	FLOWLANE_A_FLOW_REPLY_DPORT,
	FLOWLANE_A_FLOW_TAG,
	FLOWLANE_A_FLOW_IIF,
	FLOWLANE_A_FLOW_OIF,
	FLOWLANE_A_FLOW_STATE,
	FLOWLANE_A_FLOW_ORIG_SLOW_PACKETS,
	FLOWLANE_A_FLOW_ORIG_SLOW_BYTES,
	FLOWLANE_A_FLOW_ORIG_FAST_PACKETS,
	FLOWLANE_A_FLOW_ORIG_FAST_BYTES,
	FLOWLANE_A_FLOW_REPLY_SLOW_PACKETS,
	FLOWLANE_A_FLOW_REPLY_SLOW_BYTES,
	FLOWLANE_A_FLOW_REPLY_FAST_PACKETS,
	FLOWLANE_A_FLOW_REPLY_FAST_BYTES,
	FLOWLANE_A_FLOW_AGE,
	FLOWLANE_A_FLOW_IDLE,
	FLOWLANE_A_FLOW_REASON,
	FLOWLANE_A_FLOW_ADDR,

	__FLOWLANE_A_FLOW_MAX,
};
#define FLOWLANE_A_FLOW_MAX (__FLOWLANE_A_FLOW_MAX - 1)

enum flowlane_a_flush {
	FLOWLANE_A_FLUSH_UNSPEC,
	FLOWLANE_A_FLUSH_TAG,
	FLOWLANE_A_FLUSH_ADDR,
	FLOWLANE_A_FLUSH_COUNT,

	__FLOWLANE_A_FLUSH_MAX,
};
#define FLOWLANE_A_FLUSH_MAX (__FLOWLANE_A_FLUSH_MAX - 1)

#endif /* _UAPI_LINUX_FLOWLANE_H */
