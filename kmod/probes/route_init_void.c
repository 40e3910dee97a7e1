// SPDX-License-Identifier: GPL-2.0
/* flow_offload_route_init() returns void and takes over the route's dst
 * references: the upstream change that introduced nft_route_dst_fetch() in
 * nf_flow_table_core.c, backported into 6.1.y.
 */
#include <net/netfilter/nf_flow_table.h>

_Static_assert(__builtin_types_compatible_p(
	typeof(flow_offload_route_init(NULL, NULL)), void), "returns int");
