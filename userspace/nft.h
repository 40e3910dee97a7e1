/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nf_tables over libnftnl and libmnl: one batch (one transaction) per
 * change, guarded by the ruleset generation read before planning, and the
 * few reads `apply` needs (a table, its chains, a set's elements).
 */
#ifndef FLOWLANE_NFT_H
#define FLOWLANE_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct nftnl_rule;
struct nftnl_set;

/* One set element, as flowlane writes it and as the kernel dumps it. */
#define FL_KEY_MAX	40
#define FL_CHAIN_MAX	96

struct fl_elem {
	uint8_t key[FL_KEY_MAX], key_end[FL_KEY_MAX], data[FL_KEY_MAX];
	uint8_t klen, kelen, dlen;
	bool has_verdict;
	uint32_t flags;			/* NFT_SET_ELEM_INTERVAL_END: an interval's end */
	int32_t verdict;
	char chain[FL_CHAIN_MAX];
};

int fl_elem_cmp(const struct fl_elem *a, const struct fl_elem *b);

/* A set or map of flowlane's layout. Fields' lengths (before padding to 4
 * bytes) describe concatenations; types are nftables' datatype numbers, so
 * that `nft list` prints the elements.
 */
struct fl_setdef {
	int family;
	const char *table, *name;
	uint32_t key_type, key_len, flags;
	uint32_t data_type, data_len;	/* flags & NFT_SET_MAP */
	uint8_t n_fields, fields[4];
	uint8_t key_order, data_order;	/* for `nft list`: 0 none, 1 host, 2 big endian */
	uint32_t id;			/* set id in the current batch, or 0 */
};

/* A chain as the kernel has it, or as flowlane would build it: its hook
 * and its rules, each in a canonical text (fl_rule_text) that the two
 * sides share. The wanted side keeps the rules themselves, to send.
 */
struct fl_chain {
	char *name;
	bool base;
	uint32_t hook, policy;
	int32_t prio;
	char type[16];
	char **rules;
	char **words;			/* kernel side, after fl_nft_chain_words() */
	struct nftnl_rule **objs;	/* wanted side only */
	size_t n, cap;
	bool seen;
};

struct fl_chains {
	struct fl_chain *v;
	size_t n, cap;
};

struct fl_chain *fl_chains_push(struct fl_chains *c, const char *name);
void fl_chains_sort(struct fl_chains *c);
struct fl_chain *fl_chains_find(const struct fl_chains *c, const char *name);
void fl_chains_free(struct fl_chains *c);
/* "filter hook forward priority 0 policy accept", or "regular". */
void fl_chain_describe(const struct fl_chain *c, char *buf, size_t size);

/* The rule's expressions in libnftnl's words, counters without their
 * values, and its user data (comment): equal texts, equal rules.
 */
void fl_rule_text(struct nftnl_rule *r, char *buf, size_t size);
/* Its user data as fl_rule_text() ends with it: ' comment "..."' or "". */
void fl_rule_udata_text(struct nftnl_rule *r, char *buf, size_t size);
/* The rule as `nft list` prints it, for people (nftwords.c), e.g.
 * 'tcp dport 22 accept comment "vm web1"'.
 */
void fl_rule_words(struct nftnl_rule *r, char *buf, size_t size);

struct fl_nft {
	struct mnl_socket *sock;
	unsigned int portid;
	uint32_t seq;			/* requests outside the batch */
	uint32_t bseq, first_seq;	/* batch messages */
	uint32_t genid;
	struct nftnl_batch *batch;
	uint32_t next_set_id;
	size_t n_changes;		/* messages between begin and end */
	char **what;			/* per message: what it does, for errors */
	size_t n_what, cap_what;
	char err[512];
	uint32_t table_flags;		/* of the last fl_nft_get_table() */
	/* Set: the add_* calls build nothing and record the chains and rules
	 * here instead (the full plan's picture of what it would build).
	 */
	struct fl_chains *capture;
};

int fl_nft_open(struct fl_nft *nft);
void fl_nft_close(struct fl_nft *nft);

/* Reads the ruleset generation (the batch will be refused if it moved). */
int fl_nft_genid(struct fl_nft *nft, uint32_t *genid);

/* Reads: 1 present, 0 absent, -1 error (nft->err). @udata gets the table's
 * user data (NUL-terminated, may be empty), @handle (may be NULL) the
 * table's handle, which a table deleted and created again does not keep.
 */
int fl_nft_get_table(struct fl_nft *nft, int family, const char *table,
		     char *udata, size_t size, uint64_t *handle);
/* Calls @fn for every chain of @table. */
int fl_nft_list_chains(struct fl_nft *nft, int family, const char *table,
		       void (*fn)(const char *name, void *data), void *data);
/* Every chain of @table with its hook, then (fl_nft_dump_rules, chains
 * sorted) every rule in its chain, in order.
 */
int fl_nft_dump_chains(struct fl_nft *nft, int family, const char *table,
		       struct fl_chains *out);
int fl_nft_dump_rules(struct fl_nft *nft, int family, const char *table,
		      struct fl_chains *chains);
/* Reads @c's rules again, for their words (@c->words): only a chain whose
 * rules differ is said, and saying every rule of 10,000 VMs costs.
 */
int fl_nft_chain_words(struct fl_nft *nft, int family, const char *table, struct fl_chain *c);
/* Calls @fn with the name of every named set of @table (not the
 * anonymous sets of rules, which go with their rules).
 */
int fl_nft_list_sets(struct fl_nft *nft, int family, const char *table,
		     void (*fn)(const char *name, void *data), void *data);
/* Recreates a chain's rules: flush, then @c's rules in order (sent, and
 * freed).
 */
void fl_nft_refill_chain(struct fl_nft *nft, int family, const char *table,
			 struct fl_chain *c);
/* Appends the set's elements to *@elems (realloc'ed), count in *@n. */
int fl_nft_list_elems(struct fl_nft *nft, const struct fl_setdef *def,
		      struct fl_elem **elems, size_t *n, size_t *cap);

/* The batch. Every add takes a short description used when the kernel
 * refuses that message.
 */
void fl_nft_batch_begin(struct fl_nft *nft);
void fl_nft_add_table(struct fl_nft *nft, int family, const char *table,
		      const char *udata);
void fl_nft_del_table(struct fl_nft *nft, int family, const char *table);
/* Clears a table's flags (dormant: its chains hook nothing). */
void fl_nft_wake_table(struct fl_nft *nft, int family, const char *table);
/* @hook < 0: a regular chain. Base chains get policy accept. */
void fl_nft_add_chain(struct fl_nft *nft, int family, const char *table,
		      const char *chain, int hook, int prio, const char *type);
void fl_nft_del_chain(struct fl_nft *nft, int family, const char *table,
		      const char *chain);
void fl_nft_add_set(struct fl_nft *nft, struct fl_setdef *def);
void fl_nft_del_set(struct fl_nft *nft, const struct fl_setdef *def);
/* NFT_MSG_NEWSETELEM or NFT_MSG_DELSETELEM, chunked into messages. */
void fl_nft_elems(struct fl_nft *nft, const struct fl_setdef *def, int msg,
		  const struct fl_elem *const *elems, size_t n);
void fl_nft_add_rule(struct fl_nft *nft, struct nftnl_rule *r, const char *what);
/* Sends the batch if it changes anything. Returns 0 or -errno (nft->err). */
int fl_nft_commit(struct fl_nft *nft);
void fl_nft_batch_reset(struct fl_nft *nft);

/* Rule building: each helper appends one expression to @r. */
struct nftnl_rule *fl_rule(int family, const char *table, const char *chain);
void fl_x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
void fl_x_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op,
	      const void *data, uint32_t len);
void fl_x_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset,
		  uint32_t len, uint32_t dreg);
void fl_x_lookup(struct nftnl_rule *r, uint32_t sreg, const struct fl_setdef *set,
		 int dreg, bool invert);
void fl_x_ct(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
/* A key of one direction's tuple (IP_CT_DIR_ORIGINAL or _REPLY). */
void fl_x_ct_dir(struct nftnl_rule *r, uint32_t key, uint8_t dir, uint32_t dreg);
void fl_x_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
void fl_x_bitwise(struct nftnl_rule *r, uint32_t reg, const void *mask,
		  uint32_t len);
void fl_x_verdict(struct nftnl_rule *r, int verdict);
void fl_x_nat(struct nftnl_rule *r, uint32_t family, uint32_t type, uint32_t reg_addr,
	      uint32_t reg_proto);
void fl_x_masq(struct nftnl_rule *r);
void fl_x_notrack(struct nftnl_rule *r);
void fl_x_numgen(struct nftnl_rule *r, uint32_t dreg, uint32_t mod);
void fl_x_jhash(struct nftnl_rule *r, uint32_t sreg, uint32_t len,
		uint32_t dreg, uint32_t mod);
void fl_x_counter(struct nftnl_rule *r);
/* symhash mod @mod: the same value for both directions of an address pair. */
void fl_x_symhash(struct nftnl_rule *r, uint32_t dreg, uint32_t mod);
/* limit rate over @per_second/second burst @per_second: matches the packets
 * above it (a second's worth may come at once; burst 0 would be the kernel's 5).
 */
void fl_x_limit_over(struct nftnl_rule *r, uint64_t per_second);

#endif
