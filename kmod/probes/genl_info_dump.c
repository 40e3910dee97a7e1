// SPDX-License-Identifier: GPL-2.0
/* genl_info_dump(): upstream genetlink gave dumps a struct genl_info
 * inside struct genl_dumpit_info, which lost its own attrs (v6.6): a dump's
 * attributes are genl_info_dump(cb)->attrs.
 */
#include <net/genetlink.h>

struct nlattr **flowlane_probe(struct netlink_callback *cb);

struct nlattr **flowlane_probe(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
