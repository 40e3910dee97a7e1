// SPDX-License-Identifier: GPL-2.0
/* NF_FLOW_CLOSING (v6.14): a TCP FIN or RST seen by the fast path no longer
 * tears the flow down; the flow is marked closing and stays until its
 * timeout or a new SYN.
 */
#include <net/netfilter/nf_flow_table.h>

bool flowlane_probe(const struct flow_offload *flow);

bool flowlane_probe(const struct flow_offload *flow)
{
	return test_bit(NF_FLOW_CLOSING, &flow->flags);
}
