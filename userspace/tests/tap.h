/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal TAP producer for the tool's unit tests. */
#ifndef FLOWLANE_TAP_H
#define FLOWLANE_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define tap_ok(cond, ...) do {						\
	tap_n++;							\
	if (!(cond))							\
		tap_failed++;						\
	printf("%sok %d - ", (cond) ? "" : "not ", tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

/* Compares two strings and shows both when they differ. */
#define tap_streq(got, want, ...) do {					\
	int eq_ = !strcmp((got), (want));				\
	tap_ok(eq_, __VA_ARGS__);					\
	if (!eq_)							\
		printf("# got:\n# %s\n# want:\n# %s\n", (got), (want));	\
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
