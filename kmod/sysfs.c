// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/flowlane/: read-only totals over all network namespaces, and
 * tags/<name>/ for the initial namespace's tags, one value per file
 * (Documentation/ABI/testing/sysfs-kernel-flowlane).
 *
 * A tag's files find their tag by the directory's name under RCU, never
 * under cfg_mutex: deleting a tag removes its directory with that mutex
 * held, and kernfs waits for readers to leave.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "flowlane.h"

static struct kobject *flowlane_kobj;
static struct kobject *flowlane_tags_kobj;

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", FLOWLANE_VERSION);
}

/* The totals add up every namespace's flows, and the tags are the initial
 * namespace's: root of the initial user namespace reads them, nobody else
 * (sysfs is the same inside a container, whose root would otherwise read
 * its neighbours' traffic). A namespace's own counters are its root's
 * through netlink.
 */
#define FLOWLANE_SYSFS_COUNTER_MODE	0400

#define FLOWLANE_TOTAL_ATTR(field)					\
static ssize_t field##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	struct flowlane_counters t;					\
									\
	flowlane_all_totals(&t);					\
	return sysfs_emit(buf, "%llu\n", t.field);			\
}									\
static struct kobj_attribute field##_attr =				\
	__ATTR(field, FLOWLANE_SYSFS_COUNTER_MODE, field##_show, NULL)

static struct kobj_attribute version_attr = __ATTR_RO(version);
FLOWLANE_TOTAL_ATTR(flows);
FLOWLANE_TOTAL_ATTR(offloads_total);
FLOWLANE_TOTAL_ATTR(fastpath_packets);
FLOWLANE_TOTAL_ATTR(fastpath_bytes);

static struct attribute *flowlane_attrs[] = {
	&version_attr.attr,
	&flows_attr.attr,
	&offloads_total_attr.attr,
	&fastpath_packets_attr.attr,
	&fastpath_bytes_attr.attr,
	NULL,
};

static const struct attribute_group flowlane_attr_group = {
	.attrs = flowlane_attrs,
};

/* One value of the init_net tag named like @kobj, or -ENOENT. */
static ssize_t flowlane_tag_show(struct kobject *kobj, char *buf,
				 u64 (*get)(const struct flowlane_tag *))
{
	struct flowlane_net *fn = flowlane_pernet(&init_net);
	struct flowlane_tag *tag;
	ssize_t ret = -ENOENT;

	rcu_read_lock();
	list_for_each_entry_rcu(tag, &fn->tags, list) {
		if (strcmp(tag->name, kobject_name(kobj)))
			continue;
		spin_lock_bh(&fn->lock);
		ret = sysfs_emit(buf, "%llu\n", get(tag));
		spin_unlock_bh(&fn->lock);
		break;
	}
	rcu_read_unlock();
	return ret;
}

#define FLOWLANE_TAG_ATTR(name, expr)					\
static u64 flowlane_tag_get_##name(const struct flowlane_tag *tag)	\
{									\
	return expr;							\
}									\
static ssize_t tag_##name##_show(struct kobject *kobj,			\
				 struct kobj_attribute *attr, char *buf)\
{									\
	return flowlane_tag_show(kobj, buf, flowlane_tag_get_##name);	\
}									\
static struct kobj_attribute tag_##name##_attr =			\
	__ATTR(name, FLOWLANE_SYSFS_COUNTER_MODE, tag_##name##_show, NULL)

FLOWLANE_TAG_ATTR(id, tag->id);
FLOWLANE_TAG_ATTR(flows, tag->cnt.flows);
FLOWLANE_TAG_ATTR(offloads_total, tag->cnt.offloads_total);
FLOWLANE_TAG_ATTR(fastpath_packets, tag->cnt.fastpath_packets);
FLOWLANE_TAG_ATTR(fastpath_bytes, tag->cnt.fastpath_bytes);
FLOWLANE_TAG_ATTR(threshold, READ_ONCE(tag->policy.threshold));
FLOWLANE_TAG_ATTR(offload, READ_ONCE(tag->policy.offload));
FLOWLANE_TAG_ATTR(max_flows, READ_ONCE(tag->policy.max_flows));

static struct attribute *flowlane_tag_attrs[] = {
	&tag_id_attr.attr,
	&tag_flows_attr.attr,
	&tag_offloads_total_attr.attr,
	&tag_fastpath_packets_attr.attr,
	&tag_fastpath_bytes_attr.attr,
	&tag_threshold_attr.attr,
	&tag_offload_attr.attr,
	&tag_max_flows_attr.attr,
	NULL,
};

static const struct attribute_group flowlane_tag_group = {
	.attrs = flowlane_tag_attrs,
};

/* tags/<name>/ for an init_net tag; NULL (logged) if it cannot be made:
 * the tag works without its sysfs view.
 */
struct kobject *flowlane_sysfs_tag_add(const char *name)
{
	struct kobject *kobj;

	if (!flowlane_tags_kobj)
		return NULL;
	kobj = kobject_create_and_add(name, flowlane_tags_kobj);
	if (!kobj)
		goto err;
	if (sysfs_create_group(kobj, &flowlane_tag_group)) {
		kobject_put(kobj);
		goto err;
	}
	return kobj;
err:
	pr_warn("no sysfs directory for tag %s\n", name);
	return NULL;
}

void flowlane_sysfs_tag_del(struct kobject *kobj)
{
	kobject_put(kobj);
}

/* Before the tags directory goes: drop init_net tags' directories. */
static void flowlane_sysfs_tags_detach(void)
{
	struct flowlane_net *fn = flowlane_pernet(&init_net);
	struct flowlane_tag *tag;

	mutex_lock(&fn->cfg_mutex);
	list_for_each_entry(tag, &fn->tags, list) {
		flowlane_sysfs_tag_del(tag->kobj);
		tag->kobj = NULL;
	}
	flowlane_tags_kobj = NULL;
	mutex_unlock(&fn->cfg_mutex);
}

int __init flowlane_sysfs_init(void)
{
	int err;

	flowlane_kobj = kobject_create_and_add("flowlane", kernel_kobj);
	if (!flowlane_kobj)
		return -ENOMEM;
	err = sysfs_create_group(flowlane_kobj, &flowlane_attr_group);
	if (err)
		goto err_group;
	flowlane_tags_kobj = kobject_create_and_add("tags", flowlane_kobj);
	if (!flowlane_tags_kobj) {
		err = -ENOMEM;
		goto err_group;
	}
	return 0;

err_group:
	kobject_put(flowlane_kobj);
	return err;
}

void flowlane_sysfs_exit(void)
{
	struct kobject *tags = flowlane_tags_kobj;

	flowlane_sysfs_tags_detach();
	kobject_put(tags);
	kobject_put(flowlane_kobj);
}
