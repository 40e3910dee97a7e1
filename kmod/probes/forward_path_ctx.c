// SPDX-License-Identifier: GPL-2.0
/* dev_fill_forward_path() takes a struct net_device_path_ctx, and a stack
 * it filled is released with dev_fill_forward_path_release() (7.x, the
 * forward path's references on the devices it walks).
 */
#include <linux/netdevice.h>

int flowlane_probe(struct net_device_path_ctx *ctx,
		   struct net_device_path_stack *stack);

int flowlane_probe(struct net_device_path_ctx *ctx,
		   struct net_device_path_stack *stack)
{
	int err = dev_fill_forward_path(ctx, stack);

	if (!err)
		dev_fill_forward_path_release(stack);
	return err;
}
