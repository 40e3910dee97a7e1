// SPDX-License-Identifier: GPL-2.0
/*
 * flowlane monitor [count N]: print offload and teardown events as they
 * happen, one line each (or one JSON object per line with --json), until
 * interrupted or N events. A teardown shows the flow's final counters and
 * why it left the fast path.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <linux/genetlink.h>

#include "args.h"
#include "verbs.h"

static volatile sig_atomic_t fl_monitor_stop;

static void on_signal(int sig)
{
	(void)sig;
	fl_monitor_stop = 1;
}

static const char *const fl_reasons[] = {
	[FLOWLANE_TEARDOWN_NONE] = "none",
	[FLOWLANE_TEARDOWN_FINRST] = "finrst",
	[FLOWLANE_TEARDOWN_IDLE] = "idle",
	[FLOWLANE_TEARDOWN_FLUSH] = "flush",
	[FLOWLANE_TEARDOWN_POLICY] = "policy",
	[FLOWLANE_TEARDOWN_DEVICE] = "device",
	[FLOWLANE_TEARDOWN_CONNTRACK] = "conntrack",
	[FLOWLANE_TEARDOWN_ROUTE] = "route",
};

static const char *reason_name(uint64_t r)
{
	return r < sizeof(fl_reasons) / sizeof(fl_reasons[0]) && fl_reasons[r] ?
	       fl_reasons[r] : "unknown";
}

struct monitor {
	const struct fl_opts *opts;
	uint32_t count, seen;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct monitor *m = data;
	struct fl_attrs a;
	bool teardown;

	if (g->cmd != FLOWLANE_CMD_FLOW_OFFLOAD_NTF &&
	    g->cmd != FLOWLANE_CMD_FLOW_TEARDOWN_NTF)
		return MNL_CB_OK;	/* a newer module's event */
	teardown = g->cmd == FLOWLANE_CMD_FLOW_TEARDOWN_NTF;
	if (fl_attrs_parse_msg(nlh, &a, fl_flow_payloads) < 0)
		return MNL_CB_OK;
	if (m->opts->json) {
		if (teardown)
			printf("{\"event\":\"teardown\",\"reason\":\"%s\",\"flow\":",
			       reason_name(a.u[FLOWLANE_A_FLOW_REASON]));
		else
			fputs("{\"event\":\"offload\",\"flow\":", stdout);
		fl_flow_print(&a, true);
		fputs("}\n", stdout);
	} else {
		printf("[%s%s%s] ", teardown ? "TEARDOWN" : "OFFLOAD",
		       teardown ? " " : "",
		       teardown ? reason_name(a.u[FLOWLANE_A_FLOW_REASON]) : "");
		fl_flow_print(&a, false);
	}
	fflush(stdout);
	if (m->count && ++m->seen >= m->count)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

int cmd_monitor(int argc, char **argv, const struct fl_opts *opts)
{
	struct monitor m = { .opts = opts };
	char buf[FL_NL_RECV_SIZE];
	struct fl_nl nl;
	int ret = MNL_CB_OK;
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "count")) {
		if (fl_parse_u32("monitor", "count", argv[2], 1, UINT32_MAX, &m.count))
			return 1;
	} else if (argc != 1) {
		fprintf(stderr, "flowlane: monitor: unexpected '%s' (monitor [count N])\n",
			argv[1]);
		return 1;
	}
	if (fl_open(&nl))
		return 1;
	if (!nl.mcgrp_flows) {
		fprintf(stderr, "flowlane: monitor: this kernel module has no event group (kernel without GENL_MCAST_CAP_NET_ADMIN)\n");
		fl_nl_close(&nl);
		return 1;
	}
	if (mnl_socket_setsockopt(nl.sock, NETLINK_ADD_MEMBERSHIP,
				  &nl.mcgrp_flows, sizeof(nl.mcgrp_flows)) < 0) {
		fprintf(stderr, "flowlane: monitor: kernel error: %s\n", strerror(errno));
		fl_nl_close(&nl);
		return 1;
	}
	/* On stderr, so that scripts know when events will be seen. */
	fprintf(stderr, "flowlane: monitoring offload and teardown events\n");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!fl_monitor_stop && ret == MNL_CB_OK) {
		n = mnl_socket_recvfrom(nl.sock, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				fprintf(stderr, "flowlane: monitor: events lost (receive buffer full)\n");
				continue;
			}
			break;
		}
		ret = mnl_cb_run(buf, n, 0, 0, event_cb, &m);
	}
	fl_nl_close(&nl);
	return 0;
}
