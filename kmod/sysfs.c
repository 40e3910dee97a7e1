// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/flowlane/: read-only totals over all network namespaces,
 * one value per file (Documentation/ABI/testing/sysfs-kernel-flowlane).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "flowlane.h"

static struct kobject *flowlane_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", FLOWLANE_VERSION);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

static struct attribute *flowlane_attrs[] = {
	&version_attr.attr,
	NULL,
};

static const struct attribute_group flowlane_attr_group = {
	.attrs = flowlane_attrs,
};

int __init flowlane_sysfs_init(void)
{
	int err;

	flowlane_kobj = kobject_create_and_add("flowlane", kernel_kobj);
	if (!flowlane_kobj)
		return -ENOMEM;
	err = sysfs_create_group(flowlane_kobj, &flowlane_attr_group);
	if (err)
		kobject_put(flowlane_kobj);
	return err;
}

void flowlane_sysfs_exit(void)
{
	kobject_put(flowlane_kobj);
}
