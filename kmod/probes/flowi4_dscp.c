// SPDX-License-Identifier: GPL-2.0
/* struct flowi4 carries a dscp_t flowi4_dscp instead of flowi4_tos: the
 * upstream conversion of the IPv4 flow key's TOS to dscp_t (7.x kernels).
 */
#include <net/flow.h>
#include <net/inet_dscp.h>

void flowlane_probe(struct flowi4 *fl4, u8 tos);

void flowlane_probe(struct flowi4 *fl4, u8 tos)
{
	fl4->flowi4_dscp = inet_dsfield_to_dscp(tos);
}
