/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowlane's nftables layout (Documentation/config.rst, "What apply
 * programs") and the plan that brings the kernel from what it holds to what
 * a document asks: one batch, only the differences.
 */
#ifndef FLOWLANE_RULESET_H
#define FLOWLANE_RULESET_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "nft.h"

#define FL_TABLE_FILTER	"flowlane"	/* inet */
#define FL_TABLE_NAT	"flowlane_nat"	/* ip */
#define FL_TABLE_NAT6	"flowlane_nat6"	/* ip6, only with IPv6 services */

/* What says that the kernel still holds what an apply left: the ruleset
 * generation (any commit, by anyone, moves it) and the handles of
 * flowlane's tables (0: absent).
 */
struct fl_ruleset_id {
	uint32_t genid;
	uint32_t pad;
	uint64_t handle[3];
};

/* The incremental plan's input: the kernel holds exactly what the last
 * applied document asked (checked by the caller: same generation, same
 * tables), and these are the VMs whose text changed since (delta.c).
 */
struct fl_plan_delta {
	const struct fl_vm *old;	/* gone or changed: their elements and chains go */
	size_t n_old;
	const struct fl_vm *const *new;	/* new or changed: theirs come */
	size_t n_new;
};

struct fl_plan_opts {
	bool rebuild;		/* recreate flowlane's tables from scratch */
	bool describe;		/* keep one line per change in plan->lines */
	uint32_t genid;		/* the generation the plan is for (0: read it) */
	/* Plan from this difference instead of reading flowlane's tables:
	 * with 10,000 VMs, reading them back takes most of a second.
	 */
	const struct fl_plan_delta *delta;
};

/* An address whose offloaded flows the apply flushes (its rules changed).
 * @len below 32 or 128: a prefix, which the module cannot flush by address
 * (apply_module.c then flushes every flow).
 */
struct fl_flush_addr {
	int family;
	uint8_t addr[16];
	uint8_t len;
};

struct fl_plan {
	struct fl_nft nft;
	size_t n_changes;		/* 0: the kernel already matches */
	char **lines;
	size_t n_lines, cap_lines;
	struct fl_flush_addr *flush;
	size_t n_flush, cap_flush;
};

/* Reads flowlane's tables and builds the batch. 0, or -1 with p->nft.err. */
int fl_plan_make(struct fl_plan *p, const struct fl_config *cfg,
		 const struct fl_plan_opts *opts);
/* Sends the batch (nothing when there is no change). 0 or -errno. */
int fl_plan_commit(struct fl_plan *p);
void fl_plan_free(struct fl_plan *p);

/* Reads the generation, then the tables' handles. 0, or -1 with @err. */
int fl_ruleset_id_read(struct fl_ruleset_id *id, char *err, size_t size);

/* Removes flowlane's tables (one batch): the number removed (0 when there
 * were none), or -1 with @err.
 */
int fl_ruleset_delete(char *err, size_t size);

#endif
