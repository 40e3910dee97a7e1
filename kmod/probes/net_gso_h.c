// SPDX-License-Identifier: GPL-2.0
/* <net/gso.h> (v6.5, "net: move gso declarations and functions to their
 * own files"): skb_gso_validate_network_len() is declared there, no longer
 * in <linux/skbuff.h>.
 */
#include <net/gso.h>

bool flowlane_probe(const struct sk_buff *skb);

bool flowlane_probe(const struct sk_buff *skb)
{
	return skb_gso_validate_network_len(skb, 1500);
}
