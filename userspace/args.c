// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/flowlane.h>

#include "args.h"

int fl_parse_u32(const char *verb, const char *key, const char *s,
		 uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!isdigit((unsigned char)s[0]) || *end || errno || v < min || v > max) {
		fprintf(stderr, "flowlane: %s: %s '%s' is not a number from %u to %u\n",
			verb, key, s, min, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int fl_parse_onoff(const char *verb, const char *key, const char *s, bool *out)
{
	if (!strcmp(s, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "off")) {
		*out = false;
		return 0;
	}
	fprintf(stderr, "flowlane: %s: %s '%s' is neither 'on' nor 'off'\n",
		verb, key, s);
	return -1;
}

int fl_parse_addr(const char *verb, const char *s, struct fl_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->bytes) == 1) {
		out->family = AF_INET;
		out->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->bytes) == 1) {
		out->family = AF_INET6;
		out->len = 16;
		return 0;
	}
	fprintf(stderr, "flowlane: %s: '%s' is not an IPv4 or IPv6 address\n",
		verb, s);
	return -1;
}

/* Tag names: 1-15 characters of [A-Za-z0-9_.-], as sysfs shows them. */
int fl_parse_tag_name(const char *verb, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			break;
	if (n == 0 || n >= FLOWLANE_TAG_NAME_LEN || i < n) {
		fprintf(stderr, "flowlane: %s: tag name '%s' must be 1 to %d characters of letters, digits, '_', '.', '-'\n",
			verb, s, FLOWLANE_TAG_NAME_LEN - 1);
		return -1;
	}
	return 0;
}
