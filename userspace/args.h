/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing of the tool's arguments. Every refusal names the verb, the
 * keyword, the value and what is accepted, on stderr, and returns -1.
 */
#ifndef FLOWLANE_ARGS_H
#define FLOWLANE_ARGS_H

#include <stdbool.h>
#include <stdint.h>

struct fl_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t len;		/* 4 or 16 */
	uint8_t bytes[16];
};

int fl_parse_u32(const char *verb, const char *key, const char *s,
		 uint32_t min, uint32_t max, uint32_t *out);
int fl_parse_onoff(const char *verb, const char *key, const char *s,
		   bool *out);
int fl_parse_addr(const char *verb, const char *s, struct fl_addr *out);
int fl_parse_tag_name(const char *verb, const char *s);

#endif
