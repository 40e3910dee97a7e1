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

/* NULL (a missing JSON key, say) is shown, never dereferenced. */
static inline const char *tap_str(const char *s)
{
	return s ? s : "(null)";
}

/* Compares two strings and shows both when they differ; a NULL string
 * equals nothing, so a missing value fails the test instead of crashing it.
 */
#define tap_streq(got, want, ...) do {					\
	const char *got_ = (got), *want_ = (want);			\
	int eq_ = got_ && want_ && !strcmp(got_, want_);		\
	tap_ok(eq_, __VA_ARGS__);					\
	if (!eq_)							\
		printf("# got:\n# %s\n# want:\n# %s\n",			\
		       tap_str(got_), tap_str(want_));			\
} while (0)

/* strcmp() that treats NULL as different from every string. */
static inline int tap_strsame(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
