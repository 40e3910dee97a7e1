// SPDX-License-Identifier: GPL-2.0
/* GENL_MCAST_CAP_NET_ADMIN: "genetlink: add CAP_NET_ADMIN test for
 * multicast bind" (v6.6, backported into 6.1.y).
 */
#include <net/genetlink.h>

const struct genl_multicast_group *flowlane_probe(void);

static const struct genl_multicast_group g = {
	.name = "x", .flags = GENL_MCAST_CAP_NET_ADMIN,
};
const struct genl_multicast_group *flowlane_probe(void)
{
	return &g;
}
