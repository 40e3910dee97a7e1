/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `diff` at the level of the document: per VM, service and the rest, what
 * changes between two documents, in nftables' words:
 *
 *   + vm web1: ip saddr 198.51.100.128/25 tcp dport 22 accept
 *   ~ ... as a "-" line and a "+" line
 *   + service www: backend 10.10.0.4:8080
 */
#ifndef FLOWLANE_DOCDIFF_H
#define FLOWLANE_DOCDIFF_H

#include <stdio.h>

#include "config.h"

/* Writes one line per difference from @old (NULL: nothing) to @new on @f;
 * returns how many.
 */
size_t fl_docdiff(const struct fl_config *old, const struct fl_config *new, FILE *f);

#endif
