// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the `flowlane apply` document parser (config.c). The
 * input is the file's text. A document is either a model or a refusal with
 * one message; either way nothing may leak (LeakSanitizer) and the model's
 * derived values must be computable. The seeds: the JSON files of examples/
 * and userspace/fuzz/corpus/config/ (malformed documents, regressions).
 */
#include <stdlib.h>
#include <string.h>

#include "../config.h"

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	char err[FL_ERR_MAX];
	struct fl_config *cfg;
	char *text;
	size_t i;

	/* The parser takes a C string, as fl_read_text() gives it. */
	text = malloc(len + 1);
	if (!text)
		return 0;
	memcpy(text, buf, len);
	text[len] = '\0';
	memset(err, 'x', sizeof(err));
	cfg = fl_config_parse(text, "fuzz", err);
	if (!cfg) {
		/* A refusal always says why, in a terminated string. */
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort();
	} else {
		for (i = 0; i < cfg->n_tags; i++)
			(void)fl_config_mark(cfg, &cfg->tags[i]);
		(void)fl_config_has_ipv6(cfg);
		fl_config_free(cfg);
	}
	free(text);
	return 0;
}
