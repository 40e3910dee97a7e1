// SPDX-License-Identifier: GPL-2.0
/*
 * The sysctls `apply` sets, and only these (Documentation/config.rst):
 *   net.ipv4.ip_forward = 1                when the host routes VMs or services
 *   net.ipv6.conf.all.forwarding = 1       when a VM has an IPv6 address
 *   net.netfilter.nf_conntrack_max = N     when the document sets conntrack_max
 * Each change is reported; an unchanged value is not written.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"
#include "apply.h"

static int read_value(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int write_value(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%s\n", value);
	if (fclose(f))
		return -errno;
	return 0;
}

/* In a network namespace other than the initial one, some of them are
 * read-only (nf_conntrack_max): opening for writing, root included, fails
 * as the write would, and writes nothing.
 */
static int probe(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static const char *probe_verb = "apply";

static int one(const char *name, const char *value, const char *why, FILE *f,
	       enum fl_sysctl_mode mode)
{
	char path[256], cur[64] = "?";
	size_t i;
	int err;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (i = strlen("/proc/sys/"); path[i]; i++)
		if (path[i] == '.')
			path[i] = '/';
	err = read_value(path, cur, sizeof(cur));
	if (!err && !strcmp(cur, value))
		return 0;
	if (mode == FL_SYSCTL_PROBE) {
		err = probe(path);
		if (!err)
			return 0;
		fprintf(stderr, "flowlane: %s: cannot set sysctl %s = %s (%s) in this network "
			"namespace: %s (it is %s; set it from the initial namespace, or remove "
			"'%s' from the document)\n", probe_verb, name, value, why, strerror(-err), cur,
			strstr(name, "conntrack") ? "conntrack_max" : "the VMs that need it");
		return -1;
	}
	if (mode == FL_SYSCTL_SHOW) {
		fprintf(f, "~ sysctl %s = %s (now %s; %s)\n", name, value, cur, why);
		return 0;
	}
	err = write_value(path, value);
	if (err) {
		fprintf(stderr, "flowlane: apply: cannot set sysctl %s = %s (%s): %s\n",
			name, value, why, strerror(-err));
		return -1;
	}
	fprintf(f, "sysctl %s: %s -> %s (%s)\n", name, cur, value, why);
	return 0;
}

int fl_sysctl_probe(const struct fl_config *cfg, const char *verb)
{
	probe_verb = verb;
	return fl_sysctl_plan(cfg, NULL, FL_SYSCTL_PROBE);
}

int fl_sysctl_plan(const struct fl_config *cfg, FILE *f, enum fl_sysctl_mode write)
{
	char max[16];

	if ((cfg->n_vms || cfg->n_services) &&
	    one("net.ipv4.ip_forward", "1", "the host routes its VMs", f, write))
		return -1;
	if (fl_config_has_ipv6(cfg) &&
	    one("net.ipv6.conf.all.forwarding", "1", "VMs have IPv6 addresses", f, write))
		return -1;
	snprintf(max, sizeof(max), "%u", cfg->conntrack_max);
	if (cfg->conntrack_max &&
	    one("net.netfilter.nf_conntrack_max", max, "conntrack_max", f, write))
		return -1;
	return 0;
}
