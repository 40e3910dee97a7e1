// SPDX-License-Identifier: GPL-2.0
/*
 * flctl: a tiny generic netlink client for the kernel selftests, so they
 * can drive and read the flowlane module before (and independently of) the
 * real `flowlane` tool. Output is key=value, one object per line.
 *
 *   flctl dev add|del IFNAME, flctl dev addpat|delpat PATTERN
 *   flctl tag add NAME ID [POLICY...] | tag set NAME [POLICY...]
 *   flctl tag del NAME | tag get NAME
 *   flctl policy set [POLICY...] [mask M] | policy get
 *   flctl stats | flows | flush [tag ID | addr ADDR]
 *   POLICY: offload 0|1, threshold N, max N, timeout SECS
 *
 * A kernel refusal prints "kernel error: <extack message>" and exits 1.
 *
 * FLCTL_FAIL_NTH=N (kernels with CONFIG_FAULT_INJECTION): the Nth slab
 * allocation the kernel makes for this process while it sends the command
 * and reads the replies fails (/proc/thread-self/fail-nth). stderr then
 * says "fail-nth: injected" or "fail-nth: not reached" (the command made
 * fewer allocations), for flowlane_failslab.sh's sweep.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include "../include/uapi/linux/flowlane.h"

static struct mnl_socket *nl;
static unsigned int portid, seq;
static int family_id;
static int fail_nth_fd = -1;
static unsigned int fail_nth;

static void fail_nth_report(void);

/* Exit 2: the request could not be sent or its answer not read. */
static void die(const char *msg)
{
	fprintf(stderr, "flctl: %s\n", msg);
	fail_nth_report();
	exit(2);
}

/* The file is opened before arming: opening it allocates. Only the
 * flowlane command is armed, not the family lookup before it.
 */
static void fail_nth_open(void)
{
	const char *n = getenv("FLCTL_FAIL_NTH");

	if (!n)
		return;
	fail_nth = strtoul(n, NULL, 0);
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_nth_fd < 0) {
		fprintf(stderr, "flctl: /proc/thread-self/fail-nth: %s\n", strerror(errno));
		exit(2);
	}
}

static void fail_nth_arm(const struct nlmsghdr *nlh)
{
	char n[16];
	int len;

	if (fail_nth_fd < 0 || nlh->nlmsg_type == GENL_ID_CTRL)
		return;
	len = snprintf(n, sizeof(n), "%u", fail_nth);
	if (pwrite(fail_nth_fd, n, len, 0) != len) {
		fprintf(stderr, "flctl: writing fail-nth: %s\n", strerror(errno));
		exit(2);
	}
}

/* Reads back what is left of the count (0: the failure was injected) and
 * disarms.
 */
static void fail_nth_report(void)
{
	char n[16] = "";
	int fd = fail_nth_fd;

	if (fd < 0 || !fail_nth)
		return;
	fail_nth_fd = -1;
	if (pread(fd, n, sizeof(n) - 1, 0) <= 0 || pwrite(fd, "0", 1, 0) != 1)
		return;
	fprintf(stderr, "fail-nth: %s\n", atoi(n) ? "not reached" : "injected");
}

static struct nlmsghdr *msg_start(char *buf, int type, int cmd, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = FLOWLANE_GENL_VERSION;
	return nlh;
}

/* Prints the extack message of an error ack. */
static int err_cb(const struct nlmsghdr *nlh, void *data __attribute__((unused)))
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	const char *msg = NULL;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = sizeof(*e);

		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += mnl_nlmsg_get_payload_len(&e->msg);
		mnl_attr_for_each(a, nlh, off)
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
				msg = mnl_attr_get_str(a);
	}
	if (e->error) {
		printf("kernel error: %s (%s)\n", msg ? msg : "no message",
		       strerror(-e->error));
		errno = -e->error;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int done_cb(const struct nlmsghdr *nlh __attribute__((unused)),
		   void *data __attribute__((unused)))
{
	return MNL_CB_STOP;
}

static int run(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	/* libmnl uses no default for a type present in this array. */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = err_cb,
					 [NLMSG_DONE] = done_cb };
	int ret;

	fail_nth_arm(nlh);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die(strerror(errno));
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0) {
			/* ENOBUFS here: the kernel could not allocate its
			 * answer (the ack of a request it may have carried
			 * out): the request's outcome is unknown.
			 */
			char msg[128];

			snprintf(msg, sizeof(msg), "reading the answer: %s", strerror(errno));
			die(msg);
		}
		ret = mnl_cb_run2(buf, ret, seq, portid, cb, data, ctl,
				  NLMSG_MIN_TYPE);
	} while (ret > 0);
	fail_nth_report();
	return ret < 0 ? -1 : 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data __attribute__((unused)))
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			family_id = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static void resolve_family(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = msg_start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, FLOWLANE_GENL_NAME);
	if (run(nlh, family_cb, NULL) || !family_id)
		die("family flowlane not found (module not loaded?)");
}

/* ---- printing -------------------------------------------------------- */

static const char *const tag_names[FLOWLANE_A_TAG_MAX + 1] = {
	[FLOWLANE_A_TAG_NAME] = "name", [FLOWLANE_A_TAG_ID] = "id",
	[FLOWLANE_A_TAG_OFFLOAD] = "offload",
	[FLOWLANE_A_TAG_THRESHOLD] = "threshold",
	[FLOWLANE_A_TAG_MAX_FLOWS] = "max_flows",
	[FLOWLANE_A_TAG_TIMEOUT] = "timeout", [FLOWLANE_A_TAG_MASK] = "mask",
	[FLOWLANE_A_TAG_FLOWS] = "flows",
	[FLOWLANE_A_TAG_OFFLOADS_TOTAL] = "offloads_total",
	[FLOWLANE_A_TAG_REFUSED_CAP] = "refused_cap",
	[FLOWLANE_A_TAG_TEARDOWN_FINRST] = "td_finrst",
	[FLOWLANE_A_TAG_TEARDOWN_IDLE] = "td_idle",
	[FLOWLANE_A_TAG_TEARDOWN_FLUSH] = "td_flush",
	[FLOWLANE_A_TAG_TEARDOWN_POLICY] = "td_policy",
	[FLOWLANE_A_TAG_TEARDOWN_DEVICE] = "td_device",
	[FLOWLANE_A_TAG_TEARDOWN_CONNTRACK] = "td_conntrack",
	[FLOWLANE_A_TAG_TEARDOWN_ROUTE] = "td_route",
	[FLOWLANE_A_TAG_FASTPATH_PACKETS] = "fast_packets",
	[FLOWLANE_A_TAG_FASTPATH_BYTES] = "fast_bytes",
};

static const char *const flow_names[FLOWLANE_A_FLOW_MAX + 1] = {
	[FLOWLANE_A_FLOW_ID] = "id", [FLOWLANE_A_FLOW_FAMILY] = "family",
	[FLOWLANE_A_FLOW_PROTO] = "proto",
	[FLOWLANE_A_FLOW_ORIG_SRC] = "osrc", [FLOWLANE_A_FLOW_ORIG_DST] = "odst",
	[FLOWLANE_A_FLOW_ORIG_SPORT] = "osport",
	[FLOWLANE_A_FLOW_ORIG_DPORT] = "odport",
	[FLOWLANE_A_FLOW_REPLY_SRC] = "rsrc", [FLOWLANE_A_FLOW_REPLY_DST] = "rdst",
	[FLOWLANE_A_FLOW_REPLY_SPORT] = "rsport",
	[FLOWLANE_A_FLOW_REPLY_DPORT] = "rdport",
	[FLOWLANE_A_FLOW_TAG] = "tag", [FLOWLANE_A_FLOW_IIF] = "iif",
	[FLOWLANE_A_FLOW_OIF] = "oif", [FLOWLANE_A_FLOW_STATE] = "state",
	[FLOWLANE_A_FLOW_ORIG_SLOW_PACKETS] = "o_slow_p",
	[FLOWLANE_A_FLOW_ORIG_SLOW_BYTES] = "o_slow_b",
	[FLOWLANE_A_FLOW_ORIG_FAST_PACKETS] = "o_fast_p",
	[FLOWLANE_A_FLOW_ORIG_FAST_BYTES] = "o_fast_b",
	[FLOWLANE_A_FLOW_REPLY_SLOW_PACKETS] = "r_slow_p",
	[FLOWLANE_A_FLOW_REPLY_SLOW_BYTES] = "r_slow_b",
	[FLOWLANE_A_FLOW_REPLY_FAST_PACKETS] = "r_fast_p",
	[FLOWLANE_A_FLOW_REPLY_FAST_BYTES] = "r_fast_b",
	[FLOWLANE_A_FLOW_AGE] = "age", [FLOWLANE_A_FLOW_IDLE] = "idle",
};

static const char *const status_names[FLOWLANE_A_STATUS_MAX + 1] = {
	[FLOWLANE_A_STATUS_VERSION] = "version", [FLOWLANE_A_STATUS_FLOWS] = "flows",
	[FLOWLANE_A_STATUS_OFFLOADS_TOTAL] = "offloads_total",
	[FLOWLANE_A_STATUS_FASTPATH_PACKETS] = "fast_packets",
	[FLOWLANE_A_STATUS_FASTPATH_BYTES] = "fast_bytes",
};

struct names {
	const char *const *names;
	int max;
};

/* Prints every known attribute as key=value by its payload length. */
static int print_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct names *n = data;
	char addr[INET6_ADDRSTRLEN];
	struct nlattr *a;
	int t, len;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		t = mnl_attr_get_type(a);
		len = mnl_attr_get_payload_len(a);
		if (t > n->max || !n->names[t])
			continue;
		printf("%s=", n->names[t]);
		if (n->names == flow_names && (t == FLOWLANE_A_FLOW_ORIG_SRC ||
		    t == FLOWLANE_A_FLOW_ORIG_DST || t == FLOWLANE_A_FLOW_REPLY_SRC ||
		    t == FLOWLANE_A_FLOW_REPLY_DST))
			printf("%s", inet_ntop(len == 4 ? AF_INET : AF_INET6,
					       mnl_attr_get_payload(a), addr,
					       sizeof(addr)));
		else if ((n->names == tag_names && t == FLOWLANE_A_TAG_NAME) ||
			 (n->names == status_names && t == FLOWLANE_A_STATUS_VERSION))
			printf("%s", mnl_attr_get_str(a));
		else if (len == 1)
			printf("%u", mnl_attr_get_u8(a));
		else if (len == 2)
			printf("%u", mnl_attr_get_u16(a));
		else if (len == 4)
			printf("%u", mnl_attr_get_u32(a));
		else if (len == 8)
			printf("%llu", (unsigned long long)mnl_attr_get_u64(a));
		printf(" ");
	}
	printf("\n");
	return MNL_CB_OK;
}

/* ---- commands -------------------------------------------------------- */

static void put_policy(struct nlmsghdr *nlh, int argc, char **argv)
{
	int i;

	for (i = 0; i + 1 < argc; i += 2) {
		unsigned long v = strtoul(argv[i + 1], NULL, 0);

		if (!strcmp(argv[i], "offload"))
			mnl_attr_put_u8(nlh, FLOWLANE_A_TAG_OFFLOAD, v);
		else if (!strcmp(argv[i], "threshold"))
			mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_THRESHOLD, v);
		else if (!strcmp(argv[i], "max"))
			mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_MAX_FLOWS, v);
		else if (!strcmp(argv[i], "timeout"))
			mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_TIMEOUT, v);
		else if (!strcmp(argv[i], "mask"))
			mnl_attr_put_u32(nlh, FLOWLANE_A_TAG_MASK, v);
		else if (!strcmp(argv[i], "id"))	/* for refusal tests */
			mnl_attr_put_u16(nlh, FLOWLANE_A_TAG_ID, v);
		else
			die("unknown policy keyword");
	}
}

int main(int argc, char **argv)
{
	static const struct names tn = { tag_names, FLOWLANE_A_TAG_MAX };
	static const struct names fl = { flow_names, FLOWLANE_A_FLOW_MAX };
	static const struct names st = { status_names, FLOWLANE_A_STATUS_MAX };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	const char *o = argc > 1 ? argv[1] : "";
	const char *v = argc > 2 ? argv[2] : "";
	int one = 1;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink socket");
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	portid = mnl_socket_get_portid(nl);
	resolve_family();
	fail_nth_open();

#define CMD(c, f) msg_start(buf, family_id, (c), (f))
	if (!strcmp(o, "status")) {
		return -run(CMD(FLOWLANE_CMD_STATUS_GET, 0), print_cb, (void *)&st);
	} else if (!strcmp(o, "dev") && argc == 4) {
		/* addpat/delpat: FLOWLANE_A_DEV_PATTERN, '*' or not */
		int pat = !strcmp(v, "addpat") || !strcmp(v, "delpat");

		nlh = CMD(!strcmp(v, "add") || !strcmp(v, "addpat") ?
			  FLOWLANE_CMD_DEV_ADD : FLOWLANE_CMD_DEV_DEL, 0);
		mnl_attr_put_strz(nlh, pat ? FLOWLANE_A_DEV_PATTERN :
				  FLOWLANE_A_DEV_NAME, argv[3]);
		return -run(nlh, NULL, NULL);
	} else if (!strcmp(o, "tag") && argc >= 4) {
		int cmd = !strcmp(v, "add") ? FLOWLANE_CMD_TAG_NEW :
			  !strcmp(v, "set") ? FLOWLANE_CMD_TAG_SET :
			  !strcmp(v, "del") ? FLOWLANE_CMD_TAG_DEL :
			  FLOWLANE_CMD_TAG_GET;

		nlh = CMD(cmd, 0);
		mnl_attr_put_strz(nlh, FLOWLANE_A_TAG_NAME, argv[3]);
		if (cmd == FLOWLANE_CMD_TAG_NEW) {
			if (argc < 5)
				die("tag add NAME ID");
			mnl_attr_put_u16(nlh, FLOWLANE_A_TAG_ID, atoi(argv[4]));
			put_policy(nlh, argc - 5, argv + 5);
		} else {
			put_policy(nlh, argc - 4, argv + 4);
		}
		return -run(nlh, print_cb, (void *)&tn);
	} else if (!strcmp(o, "tags")) {
		return -run(CMD(FLOWLANE_CMD_TAG_GET, NLM_F_DUMP), print_cb,
			    (void *)&tn);
	} else if (!strcmp(o, "policy") && !strcmp(v, "set")) {
		nlh = CMD(FLOWLANE_CMD_POLICY_SET, 0);
		put_policy(nlh, argc - 3, argv + 3);
		return -run(nlh, NULL, NULL);
	} else if (!strcmp(o, "policy")) {
		return -run(CMD(FLOWLANE_CMD_POLICY_GET, 0), print_cb, (void *)&tn);
	} else if (!strcmp(o, "stats")) {
		return -run(CMD(FLOWLANE_CMD_STATS_GET, 0), print_cb, (void *)&tn);
	} else if (!strcmp(o, "flows")) {
		return -run(CMD(FLOWLANE_CMD_FLOW_GET, NLM_F_DUMP), print_cb,
			    (void *)&fl);
	} else if (!strcmp(o, "flush")) {
		static const char *const fn[FLOWLANE_A_FLUSH_MAX + 1] = {
			[FLOWLANE_A_FLUSH_COUNT] = "count",
		};
		static const struct names fs = { fn, FLOWLANE_A_FLUSH_MAX };
		unsigned char a[16];

		nlh = CMD(FLOWLANE_CMD_FLUSH, 0);
		if (argc == 4 && !strcmp(v, "tag"))
			mnl_attr_put_u16(nlh, FLOWLANE_A_FLUSH_TAG, atoi(argv[3]));
		else if (argc == 4 && !strcmp(v, "addr") && inet_pton(AF_INET, argv[3], a) == 1)
			mnl_attr_put(nlh, FLOWLANE_A_FLUSH_ADDR, 4, a);
		else if (argc == 4 && !strcmp(v, "addr") && inet_pton(AF_INET6, argv[3], a) == 1)
			mnl_attr_put(nlh, FLOWLANE_A_FLUSH_ADDR, 16, a);
		else if (argc != 2)	/* never a flush of all for a mistyped filter */
			die("usage: flush [tag ID | addr ADDR]");
		return -run(nlh, print_cb, (void *)&fs);
	}
	die("usage: see the top of selftests/flctl.c");
	return 2;
}
