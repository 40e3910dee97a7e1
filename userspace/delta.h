/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apply's incremental path (Documentation/config.rst, "Incremental,
 * idempotent, atomic"): what the last apply left (state.c), the new
 * document cut into VMs (docsplit.c), and the VMs that differ (delta.c).
 */
#ifndef FLOWLANE_DELTA_H
#define FLOWLANE_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ruleset.h"

uint64_t fl_hash64(const void *data, size_t len);

/* --- docsplit.c --- */

/* One element of the document's "vms" array, as text. */
struct fl_slice {
	uint64_t off, len, hash;
};

/* The document is text[start, pre_len) (from its '{' up to and including
 * the '[' of "vms"), the slices, and text[suf_off, end) (from that ']' to
 * the last '}'): the first and the last part make the frame. Without "vms",
 * the frame is all the object. Whitespace around the object is not part of
 * anything (editors add or drop the last newline).
 */
struct fl_doc_split {
	size_t start, end, pre_len, suf_off;
	struct fl_slice *vms;
	size_t n_vms, cap;
};

/* 0, or -1 when the text is not a JSON object the scanner can follow. */
int fl_doc_split(const char *text, size_t len, struct fl_doc_split *d);
void fl_doc_split_free(struct fl_doc_split *d);

/* --- state.c --- */

/* Per VM of the applied document: where its text is, and what the checks
 * across VMs need (names, addresses and interfaces must stay unique).
 */
struct fl_state_vm {
	uint64_t off, len, hash;
	uint32_t iface, n_ifaces;	/* in the state's interface table */
	uint8_t has_ipv4, has_ipv6, has_public, n_ipv4;
	uint8_t ipv6_len, pad[3];
	uint8_t ipv4[FL_VM_IPV4_MAX][4], public_ipv4[4], ipv6[16];
	char name[FL_NAME_MAX + 1];
	char pad2[3];
};

struct fl_state {
	struct fl_text text;		/* the whole file */
	struct fl_ruleset_id rid;	/* the kernel right after that apply */
	const struct fl_state_vm *vms;
	size_t n_vms;
	const char (*ifaces)[IFNAMSIZ];
	const char *doc;		/* the applied document */
	size_t doc_len, start, end, pre_len, suf_off;	/* as in fl_doc_split */
	bool indexed;			/* vms describe doc (else only doc is known) */
	bool same_host;			/* this build, this boot, this namespace */
};

/* Reads and checks the state file of this network namespace: 0, -ENOENT
 * when there is none, or -EINVAL (truncated, corrupt, another format), with
 * the reason in @why. The caller decides whether same_host and rid make it
 * usable.
 */
int fl_state_read(struct fl_state *st, char *why, size_t size);
void fl_state_free(struct fl_state *st);
/* Deletes this namespace's state file: 1 deleted, 0 there was none, or
 * -errno.
 */
int fl_state_remove(void);

/* Writes the state of a successful apply of @text (@split, @cfg) that left
 * the kernel at @rid, atomically. With @rid->genid 0 (the generation after
 * the commit is not known to be ours) or no @split, the next apply ignores
 * it, but show-config prints the document. 0, or -errno.
 */
int fl_state_write(const char *text, size_t len, const struct fl_doc_split *split,
		   const struct fl_config *cfg, const struct fl_ruleset_id *rid);

/* --- delta.c --- */

/* The new document built from the last applied one. cfg->vms holds every
 * VM of the new document; those whose text did not change are taken from
 * the state and carry only names, addresses and interfaces (what the
 * checks, the sysctls and the next state need), not their firewall.
 */
struct fl_delta {
	struct fl_config *cfg;
	struct fl_vm *old;			/* gone or changed, parsed from the state */
	size_t n_old;
	const struct fl_vm **new;		/* new or changed, in cfg->vms */
	size_t n_new;
};

/* 0, or -1 with the reason in @why when the incremental path does not apply
 * (the frame changed, a changed VM does not parse or check: the whole
 * document is then parsed, which also words the error).
 */
int fl_delta_make(struct fl_delta *d, const struct fl_state *st, const char *text,
		  const char *source, const struct fl_doc_split *split,
		  char *why, size_t size);
void fl_delta_free(struct fl_delta *d);

#endif
