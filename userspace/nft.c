// SPDX-License-Identifier: GPL-2.0
/*
 * nf_tables plumbing for `flowlane apply`: libnftnl objects in one
 * nftnl_batch, sent in one sendmsg() as one transaction. The batch begins
 * with the generation read before planning (NFNL_BATCH_GENID), so a ruleset
 * changed by someone else in between makes the kernel refuse the whole
 * batch (ERESTART) instead of applying a plan made for another state.
 *
 * Messages carry no NLM_F_ACK: the kernel answers only refusals, each with
 * the sequence number of the message it refused, which maps back to a
 * description kept in nft->what.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_nat.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "nft.h"

#define FL_BATCH_PAGE	(256 * 1024)
#define FL_BATCH_OVER	(64 * 1024)
#define FL_ELEMS_PER_MSG 256
#define FL_RECV_SIZE	(64 * 1024)

int fl_elem_cmp(const struct fl_elem *a, const struct fl_elem *b)
{
	int d;

	if (a->klen != b->klen)
		return a->klen - b->klen;
	d = memcmp(a->key, b->key, a->klen);
	if (d)
		return d;
	/* An interval's end before the next one's start at the same key, as
	 * nft sends them: the kernel's rbtree refuses the other order in one
	 * batch (EEXIST).
	 */
	if (a->flags != b->flags)
		return a->flags > b->flags ? -1 : 1;
	if (a->kelen != b->kelen)
		return a->kelen - b->kelen;
	d = memcmp(a->key_end, b->key_end, a->kelen);
	if (d)
		return d;
	if (a->dlen != b->dlen)
		return a->dlen - b->dlen;
	d = memcmp(a->data, b->data, a->dlen);
	if (d)
		return d;
	if (a->has_verdict != b->has_verdict)
		return a->has_verdict - b->has_verdict;
	if (!a->has_verdict)
		return 0;
	if (a->verdict != b->verdict)
		return a->verdict < b->verdict ? -1 : 1;
	return strcmp(a->chain, b->chain);
}

int fl_nft_open(struct fl_nft *nft)
{
	int one = 1;

	memset(nft, 0, sizeof(*nft));
	nft->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!nft->sock || mnl_socket_bind(nft->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(nft->err, sizeof(nft->err), "cannot open a netfilter netlink socket: %s",
			 strerror(errno));
		if (nft->sock)
			mnl_socket_close(nft->sock);
		nft->sock = NULL;
		return -errno;
	}
	mnl_socket_setsockopt(nft->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	nft->portid = mnl_socket_get_portid(nft->sock);
	nft->seq = time(NULL);
	nft->next_set_id = 1;
	return 0;
}

void fl_nft_batch_reset(struct fl_nft *nft)
{
	size_t i;

	for (i = 0; i < nft->n_what; i++)
		free(nft->what[i]);
	nft->n_what = 0;
	nft->n_changes = 0;
	if (nft->batch)
		nftnl_batch_free(nft->batch);
	nft->batch = NULL;
}

void fl_nft_close(struct fl_nft *nft)
{
	fl_nft_batch_reset(nft);
	free(nft->what);
	if (nft->sock)
		mnl_socket_close(nft->sock);
	nft->sock = NULL;
}

/* Sends one request and runs the receive loop; -errno on failure. */
static int nft_talk(struct fl_nft *nft, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static char buf[FL_RECV_SIZE];
	uint32_t seq = nlh->nlmsg_seq;
	int ret;

	if (mnl_socket_sendto(nft->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ret = mnl_socket_recvfrom(nft->sock, buf, sizeof(buf));
		if (ret <= 0)
			return ret < 0 ? -errno : -EIO;
		ret = mnl_cb_run(buf, ret, seq, nft->portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_gen *gen = nftnl_gen_alloc();

	if (gen && nftnl_gen_nlmsg_parse(nlh, gen) == 0)
		*(uint32_t *)data = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
	nftnl_gen_free(gen);
	return MNL_CB_OK;
}

int fl_nft_genid(struct fl_nft *nft, uint32_t *genid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, ++nft->seq);
	err = nft_talk(nft, nlh, gen_cb, genid);
	if (err)
		snprintf(nft->err, sizeof(nft->err), "reading the nftables generation: %s",
			 strerror(-err));
	return err;
}

struct table_req {
	char *udata;
	size_t size;
	uint64_t handle;
	uint32_t flags;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct table_req *req = data;
	const void *ud;
	uint32_t len = 0;

	req->udata[0] = '\0';
	if (!t)
		return MNL_CB_OK;
	if (nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		return MNL_CB_OK;
	}
	if (nftnl_table_is_set(t, NFTNL_TABLE_HANDLE))
		req->handle = nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
	if (nftnl_table_is_set(t, NFTNL_TABLE_FLAGS))
		req->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
	if (nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) {
		ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
		if (len >= req->size)
			len = req->size - 1;
		memcpy(req->udata, ud, len);
		req->udata[len] = '\0';
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

int fl_nft_get_table(struct fl_nft *nft, int family, const char *table,
		     char *udata, size_t size, uint64_t *handle)
{
	struct table_req req = { udata, size, 0, 0 };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int err;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, family, NLM_F_ACK, ++nft->seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	err = nft_talk(nft, nlh, table_cb, &req);
	if (handle)
		*handle = err ? 0 : req.handle;
	nft->table_flags = err ? 0 : req.flags;
	if (err == -ENOENT)
		return 0;
	if (err) {
		snprintf(nft->err, sizeof(nft->err), "reading table %s: %s", table,
			 strerror(-err));
		return -1;
	}
	return 1;
}

struct chain_req {
	const char *table;
	void (*fn)(const char *name, void *data);
	void *data;
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct chain_req *req = data;

	if (c && nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    !strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), req->table))
		req->fn(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), req->data);
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

int fl_nft_list_chains(struct fl_nft *nft, int family, const char *table,
		       void (*fn)(const char *name, void *data), void *data)
{
	struct chain_req req = { table, fn, data };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, family, NLM_F_DUMP, ++nft->seq);
	err = nft_talk(nft, nlh, chain_cb, &req);
	if (err) {
		snprintf(nft->err, sizeof(nft->err), "listing the chains of %s: %s", table,
			 strerror(-err));
		return -1;
	}
	return 0;
}

struct elem_req {
	struct fl_elem **elems;
	size_t *n, *cap;
	int err;
};

static void elem_copy(uint8_t *dst, uint8_t *len, const void *src, uint32_t n)
{
	if (n > FL_KEY_MAX)
		n = FL_KEY_MAX;
	memcpy(dst, src, n);
	*len = n;
}

static int elem_take(struct nftnl_set_elem *e, void *data)
{
	struct elem_req *req = data;
	struct fl_elem *x;
	const void *p;
	uint32_t len;

	if (*req->n == *req->cap) {
		size_t cap = *req->cap ? *req->cap * 2 : 1024;
		struct fl_elem *n = realloc(*req->elems, cap * sizeof(*n));

		if (!n) {
			req->err = -ENOMEM;
			return -1;
		}
		*req->elems = n;
		*req->cap = cap;
	}
	x = &(*req->elems)[(*req->n)++];
	memset(x, 0, sizeof(*x));
	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (p)
		elem_copy(x->key, &x->klen, p, len);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
		x->flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) &
			   NFT_SET_ELEM_INTERVAL_END;
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
		p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
		elem_copy(x->key_end, &x->kelen, p, len);
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA)) {
		p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
		elem_copy(x->data, &x->dlen, p, len);
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) {
		x->has_verdict = true;
		x->verdict = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT);
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
			snprintf(x->chain, sizeof(x->chain), "%s",
				 nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
	}
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int ret = MNL_CB_OK;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) == 0 &&
	    nftnl_set_elem_foreach(s, elem_take, data) < 0)
		ret = MNL_CB_ERROR;
	nftnl_set_free(s);
	return ret;
}

int fl_nft_list_elems(struct fl_nft *nft, const struct fl_setdef *def,
		      struct fl_elem **elems, size_t *n, size_t *cap)
{
	struct elem_req req = { elems, n, cap, 0 };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int err;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, def->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, def->name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, def->family, NLM_F_DUMP,
				    ++nft->seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	err = nft_talk(nft, nlh, elems_cb, &req);
	if (!err)
		err = req.err;
	if (err == -ENOENT)
		return 0;
	if (err) {
		snprintf(nft->err, sizeof(nft->err), "listing set %s %s: %s", def->table,
			 def->name, strerror(-err));
		return -1;
	}
	return 0;
}

/* --- the batch --- */

static void chain_add_rule(struct fl_chain *c, struct nftnl_rule *r, bool keep, bool words);

__attribute__((format(printf, 2, 3)))
static void note(struct fl_nft *nft, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (nft->n_what == nft->cap_what) {
		size_t cap = nft->cap_what ? nft->cap_what * 2 : 256;
		char **n = realloc(nft->what, cap * sizeof(*n));

		if (!n)
			abort();
		nft->what = n;
		nft->cap_what = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	nft->what[nft->n_what++] = s;
}

static struct nlmsghdr *msg(struct fl_nft *nft, uint16_t type, int family,
			    uint16_t flags)
{
	struct nlmsghdr *nlh;

	if (nft->n_changes)
		nftnl_batch_update(nft->batch);
	nft->n_changes++;
	nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nft->batch), type, family,
				    flags, ++nft->bseq);
	return nlh;
}

void fl_nft_batch_begin(struct fl_nft *nft)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	fl_nft_batch_reset(nft);
	nft->batch = nftnl_batch_alloc(FL_BATCH_PAGE, FL_BATCH_OVER);
	if (!nft->batch)
		abort();
	nlh = mnl_nlmsg_put_header(nftnl_batch_buffer(nft->batch));
	nlh->nlmsg_type = NFNL_MSG_BATCH_BEGIN;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nft->bseq = nft->seq + (1u << 24);
	nlh->nlmsg_seq = nft->bseq;
	nft->first_seq = nft->bseq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(nft->genid));
	nftnl_batch_update(nft->batch);
	note(nft, "batch begin");
}

void fl_nft_add_table(struct fl_nft *nft, int family, const char *table,
		      const char *udata)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;

	if (nft->capture)
		return;
	t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	if (udata)
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, udata, strlen(udata));
	nlh = msg(nft, NFT_MSG_NEWTABLE, family, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	note(nft, "add table %s", table);
}

void fl_nft_wake_table(struct fl_nft *nft, int family, const char *table)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	nlh = msg(nft, NFT_MSG_NEWTABLE, family, 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	note(nft, "reactivate table %s", table);
}

void fl_nft_del_table(struct fl_nft *nft, int family, const char *table)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nlh = msg(nft, NFT_MSG_DELTABLE, family, 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	note(nft, "delete table %s", table);
}

void fl_nft_add_chain(struct fl_nft *nft, int family, const char *table,
		      const char *chain, int hook, int prio, const char *type)
{
	struct nftnl_chain *c;
	struct nlmsghdr *nlh;

	if (nft->capture) {
		struct fl_chain *ch = fl_chains_push(nft->capture, chain);

		ch->base = hook >= 0;
		ch->hook = hook >= 0 ? (uint32_t)hook : 0;
		ch->prio = prio;
		ch->policy = NF_ACCEPT;
		snprintf(ch->type, sizeof(ch->type), "%s", type ? type : "");
		return;
	}
	c = nftnl_chain_alloc();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = msg(nft, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	note(nft, "add chain %s %s", table, chain);
}

void fl_nft_del_chain(struct fl_nft *nft, int family, const char *table,
		      const char *chain)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, chain);
	/* Flush the chain's rules first: the chain goes with them. */
	r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nlh = msg(nft, NFT_MSG_DELRULE, family, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	note(nft, "flush chain %s %s", table, chain);
	nlh = msg(nft, NFT_MSG_DELCHAIN, family, 0);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	note(nft, "delete chain %s %s", table, chain);
}

static struct nftnl_set *set_obj(const struct fl_setdef *def)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		abort();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, def->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, def->name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, def->family);
	return s;
}

/* The byte orders nft needs to print the elements (nft's own user data). */
static void set_udata(struct nftnl_set *s, const struct fl_setdef *def)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);

	if (!ud)
		abort();
	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, def->key_order);
	if (def->flags & NFT_SET_MAP)
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, def->data_order);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
}

void fl_nft_add_set(struct fl_nft *nft, struct fl_setdef *def)
{
	struct nftnl_set *s;
	struct nlmsghdr *nlh;

	if (nft->capture)
		return;
	s = set_obj(def);
	def->id = nft->next_set_id++;
	nftnl_set_set_u32(s, NFTNL_SET_ID, def->id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, def->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, def->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, def->key_len);
	if (def->flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, def->data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, def->data_len);
	}
	if (def->n_fields > 1 && (def->flags & NFT_SET_INTERVAL))
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, def->fields, def->n_fields);
	set_udata(s, def);
	nlh = msg(nft, NFT_MSG_NEWSET, def->family, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	note(nft, "add set %s %s", def->table, def->name);
}

void fl_nft_del_set(struct fl_nft *nft, const struct fl_setdef *def)
{
	struct nftnl_set *s = set_obj(def);
	struct nlmsghdr *nlh;

	nlh = msg(nft, NFT_MSG_DELSET, def->family, 0);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	note(nft, "delete set %s %s", def->table, def->name);
}

static struct nftnl_set_elem *elem_obj(const struct fl_elem *x)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!e)
		abort();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, x->key, x->klen);
	if (x->flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, x->flags);
	if (x->kelen)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, x->key_end, x->kelen);
	if (x->dlen)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, x->data, x->dlen);
	if (x->has_verdict) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, x->verdict);
		if (x->chain[0])
			nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, x->chain);
	}
	return e;
}

void fl_nft_elems(struct fl_nft *nft, const struct fl_setdef *def, int type,
		  const struct fl_elem *const *elems, size_t n)
{
	size_t i, k;

	if (nft->capture)
		return;
	for (i = 0; i < n; i += FL_ELEMS_PER_MSG) {
		struct nftnl_set *s = set_obj(def);
		struct nlmsghdr *nlh;
		size_t end = i + FL_ELEMS_PER_MSG < n ? i + FL_ELEMS_PER_MSG : n;

		for (k = i; k < end; k++)
			nftnl_set_elem_add(s, elem_obj(elems[k]));
		nlh = msg(nft, type, def->family,
			  type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE | NLM_F_EXCL : 0);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		note(nft, "%s %zu element(s) of set %s %s",
		     type == NFT_MSG_NEWSETELEM ? "add" : "delete", end - i,
		     def->table, def->name);
	}
}

static struct fl_chain *captured(struct fl_chains *c, const char *name)
{
	size_t i;

	for (i = c->n; i-- > 0;)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return fl_chains_push(c, name);
}

/* The rule's comment (nft's user data TLV, which `nft list` prints). */
static void set_comment(struct nftnl_rule *r, const char *comment)
{
	struct nftnl_udata_buf *u;

	if (nftnl_rule_is_set(r, NFTNL_RULE_USERDATA))
		return;
	u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (!u)
		abort();
	if (nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, comment))
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u),
				    nftnl_udata_buf_len(u));
	nftnl_udata_buf_free(u);
}

void fl_nft_add_rule(struct fl_nft *nft, struct nftnl_rule *r, const char *what)
{
	struct nlmsghdr *nlh;

	set_comment(r, what);

	if (nft->capture) {
		chain_add_rule(captured(nft->capture, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)),
			       r, true, false);
		return;
	}

	nlh = msg(nft, NFT_MSG_NEWRULE, nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
		  NLM_F_APPEND | NLM_F_CREATE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	note(nft, "add rule %s %s: %s", nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
	     nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), what);
	nftnl_rule_free(r);
}

/* The kernel's refusal: the message it names, with its extack text. */
static void refusal(struct fl_nft *nft, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const char *ext = NULL, *what = "?";
	const struct nlattr *attr;
	size_t off = sizeof(*e);
	uint32_t i;

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_for_each_payload((const struct nlattr *)((const char *)e + off),
					  mnl_nlmsg_get_payload_len(nlh) - off)
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
				ext = mnl_attr_get_str(attr);
	i = e->msg.nlmsg_seq - nft->first_seq;
	if (i < nft->n_what && nft->what[i])
		what = nft->what[i];
	if (nft->err[0])
		return;	/* keep the first refusal */
	snprintf(nft->err, sizeof(nft->err), "kernel error: %s%s%s (at: %s)",
		 strerror(-e->error), ext ? ": " : "", ext ? ext : "", what);
}

static int read_refusals(struct fl_nft *nft)
{
	static char buf[FL_RECV_SIZE];
	const struct nlmsghdr *nlh;
	int first = 0, len;

	for (;;) {
		len = recv(mnl_socket_get_fd(nft->sock), buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? first : -errno;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR || !e->error)
				continue;
			refusal(nft, nlh);
			if (!first)
				first = e->error;
		}
	}
}

int fl_nft_commit(struct fl_nft *nft)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh;
	struct msghdr m = { .msg_name = &snl, .msg_namelen = sizeof(snl) };
	struct iovec *iov;
	uint32_t total = 0;
	int n, i, err;

	if (nft->n_changes == 0)
		return 0;
	nftnl_batch_update(nft->batch);
	nlh = nftnl_batch_end(nftnl_batch_buffer(nft->batch), ++nft->bseq);
	(void)nlh;
	nftnl_batch_update(nft->batch);
	n = nftnl_batch_iovec_len(nft->batch);
	iov = calloc(n, sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(nft->batch, iov, n);
	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	total += 65536;
	setsockopt(mnl_socket_get_fd(nft->sock), SOL_SOCKET, SO_SNDBUFFORCE,
		   &total, sizeof(total));
	m.msg_iov = iov;
	m.msg_iovlen = n;
	nft->err[0] = '\0';
	if (sendmsg(mnl_socket_get_fd(nft->sock), &m, 0) < 0) {
		err = -errno;
		snprintf(nft->err, sizeof(nft->err), "sending the nftables batch: %s",
			 strerror(errno));
		free(iov);
		return err;
	}
	free(iov);
	err = read_refusals(nft);
	if (err && !nft->err[0])
		snprintf(nft->err, sizeof(nft->err), "kernel error: %s", strerror(-err));
	return err;
}

/* --- expressions --- */

struct nftnl_rule *fl_rule(int family, const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		abort();
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

static struct nftnl_expr *expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		abort();
	nftnl_rule_add_expr(r, e);
	return e;
}

void fl_x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

void fl_x_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op,
	      const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

void fl_x_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset,
		  uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

void fl_x_lookup(struct nftnl_rule *r, uint32_t sreg, const struct fl_setdef *set,
		 int dreg, bool invert)
{
	struct nftnl_expr *e = expr(r, "lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set->name);
	if (set->id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set->id);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	/* Always, as the kernel dumps it: the drift check compares texts. */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, invert ? NFT_LOOKUP_F_INV : 0);
}

void fl_x_ct(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

void fl_x_ct_dir(struct nftnl_rule *r, uint32_t key, uint8_t dir, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, dir);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

void fl_x_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
}

void fl_x_bitwise(struct nftnl_rule *r, uint32_t reg, const void *mask,
		  uint32_t len)
{
	struct nftnl_expr *e = expr(r, "bitwise");
	static const uint8_t zero[16];

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

void fl_x_verdict(struct nftnl_rule *r, int verdict)
{
	struct nftnl_expr *e = expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
}

void fl_x_nat(struct nftnl_rule *r, uint32_t family, uint32_t type, uint32_t reg_addr,
	      uint32_t reg_proto)
{
	struct nftnl_expr *e = expr(r, "nat");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, family);
	/* Maxima and flags as the kernel dumps them (the drift check). */
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, reg_addr);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, reg_addr);
	if (reg_proto) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, reg_proto);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, reg_proto);
	}
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS |
			   (reg_proto ? NF_NAT_RANGE_PROTO_SPECIFIED : 0));
}

void fl_x_masq(struct nftnl_rule *r)
{
	expr(r, "masq");
}

void fl_x_notrack(struct nftnl_rule *r)
{
	expr(r, "notrack");
}

void fl_x_numgen(struct nftnl_rule *r, uint32_t dreg, uint32_t mod)
{
	struct nftnl_expr *e = expr(r, "numgen");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, mod);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_INCREMENTAL);
}

void fl_x_jhash(struct nftnl_rule *r, uint32_t sreg, uint32_t len,
		uint32_t dreg, uint32_t mod)
{
	struct nftnl_expr *e = expr(r, "hash");

	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_MODULUS, mod);
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SEED, 0);
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_TYPE, NFT_HASH_JENKINS);
}

void fl_x_symhash(struct nftnl_rule *r, uint32_t dreg, uint32_t mod)
{
	struct nftnl_expr *e = expr(r, "hash");

	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_MODULUS, mod);
	nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_TYPE, NFT_HASH_SYM);
}

void fl_x_limit_over(struct nftnl_rule *r, uint64_t per_second)
{
	struct nftnl_expr *e = expr(r, "limit");

	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, per_second);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, per_second);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
}

void fl_x_counter(struct nftnl_rule *r)
{
	expr(r, "counter");
}

/* --- chains and rules, for the drift check --- */

struct fl_chain *fl_chains_push(struct fl_chains *c, const char *name)
{
	struct fl_chain *ch;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct fl_chain *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			abort();
		c->v = v;
		c->cap = cap;
	}
	ch = &c->v[c->n++];
	memset(ch, 0, sizeof(*ch));
	ch->name = strdup(name);
	if (!ch->name)
		abort();
	return ch;
}

static int chain_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fl_chain *)a)->name, ((const struct fl_chain *)b)->name);
}

void fl_chains_sort(struct fl_chains *c)
{
	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), chain_cmp);
}

struct fl_chain *fl_chains_find(const struct fl_chains *c, const char *name)
{
	struct fl_chain key = { .name = (char *)name };

	if (!c->n)
		return NULL;
	return bsearch(&key, c->v, c->n, sizeof(*c->v), chain_cmp);
}

static void chain_free(struct fl_chain *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->rules[i]);
		free(c->words[i]);
		if (c->objs && c->objs[i])
			nftnl_rule_free(c->objs[i]);
	}
	free(c->rules);
	free(c->words);
	free(c->objs);
	free(c->name);
}

void fl_chains_free(struct fl_chains *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		chain_free(&c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void fl_chain_describe(const struct fl_chain *c, char *buf, size_t size)
{
	static const char *const hooks[] = { "prerouting", "input", "forward", "output",
					     "postrouting" };

	if (!c->base) {
		snprintf(buf, size, "regular");
		return;
	}
	snprintf(buf, size, "%s hook %s priority %d policy %s", c->type,
		 c->hook < 5 ? hooks[c->hook] : "?", c->prio,
		 c->policy == NF_ACCEPT ? "accept" : c->policy == NF_DROP ? "drop" : "?");
}

/* @words: the rule in nft's words too, for a line of the plan (the
 * kernel's rules are not kept; the wanted ones are, and say it on demand).
 */
static void chain_add_rule(struct fl_chain *c, struct nftnl_rule *r, bool keep, bool words)
{
	char buf[2048];

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;

		c->rules = realloc(c->rules, cap * sizeof(*c->rules));
		c->words = realloc(c->words, cap * sizeof(*c->words));
		c->objs = realloc(c->objs, cap * sizeof(*c->objs));
		if (!c->rules || !c->words || !c->objs)
			abort();
		c->cap = cap;
	}
	fl_rule_text(r, buf, sizeof(buf));
	c->rules[c->n] = strdup(buf);
	c->words[c->n] = NULL;
	if (words) {
		fl_rule_words(r, buf, sizeof(buf));
		c->words[c->n] = strdup(buf);
	}
	c->objs[c->n] = keep ? r : NULL;
	c->n++;
}

struct text_req {
	char *buf;
	size_t size, off;
};

static int expr_text(struct nftnl_expr *e, void *data)
{
	struct text_req *t = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	int n;

	if (t->off >= t->size)
		return 0;
	if (!strcmp(name, "counter"))
		n = snprintf(t->buf + t->off, t->size - t->off, "[ counter ]");
	else {
		n = snprintf(t->buf + t->off, t->size - t->off, "[ %s ", name);
		if (n > 0 && (size_t)n < t->size - t->off)
			n += nftnl_expr_snprintf(t->buf + t->off + n, t->size - t->off - n, e,
						 NFTNL_OUTPUT_DEFAULT, 0);
		if (n > 0 && (size_t)n < t->size - t->off - 1)
			n += snprintf(t->buf + t->off + n, t->size - t->off - n, "]");
	}
	if (n > 0)
		t->off += n;
	return 0;
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT &&
	    nftnl_udata_len(attr) > 0 &&
	    ((const char *)nftnl_udata_get(attr))[nftnl_udata_len(attr) - 1] == '\0')
		*(const char **)data = nftnl_udata_get(attr);
	return 0;
}

void fl_rule_udata_text(struct nftnl_rule *r, char *buf, size_t size)
{
	const char *ud, *comment = NULL;
	uint32_t len = 0, i;
	size_t off = 0;

	if (!size)
		return;
	buf[0] = '\0';
	if (!nftnl_rule_is_set(r, NFTNL_RULE_USERDATA))
		return;
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	/* A comment as nft prints it; other user data in hex. */
	if (nftnl_udata_parse(ud, len, comment_cb, &comment) >= 0 && comment) {
		snprintf(buf, size, " comment \"%s\"", comment);
		return;
	}
	for (i = 0; i < len && off + 3 < size; i++)
		off += snprintf(buf + off, size - off, "%s%02x", i ? "" : " userdata ",
				(uint8_t)ud[i]);
}

void fl_rule_text(struct nftnl_rule *r, char *buf, size_t size)
{
	struct text_req t = { buf, size, 0 };

	buf[0] = '\0';
	nftnl_expr_foreach(r, expr_text, &t);
	if (t.off < size)
		fl_rule_udata_text(r, buf + t.off, size - t.off);
}

struct dump_req {
	const char *table;
	struct fl_chains *chains;
	bool words;
};

static int chain_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct dump_req *req = data;
	struct fl_chain *ch;

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0 ||
	    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), req->table))
		goto out;
	ch = fl_chains_push(req->chains, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
		ch->base = true;
		ch->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		ch->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		ch->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
			     nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
		if (nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE))
			snprintf(ch->type, sizeof(ch->type), "%s",
				 nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE));
	}
out:
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

int fl_nft_dump_chains(struct fl_nft *nft, int family, const char *table,
		       struct fl_chains *out)
{
	struct dump_req req = { table, out, false };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int err;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, family, NLM_F_DUMP, ++nft->seq);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	err = nft_talk(nft, nlh, chain_dump_cb, &req);
	if (err) {
		snprintf(nft->err, sizeof(nft->err), "listing the chains of %s: %s", table,
			 strerror(-err));
		return -1;
	}
	return 0;
}

static int rule_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct dump_req *req = data;
	struct fl_chain *ch;

	if (r && nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
	    !strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), req->table)) {
		ch = fl_chains_find(req->chains, nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
		if (ch)
			chain_add_rule(ch, r, false, req->words);
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int dump_rules(struct fl_nft *nft, int family, const char *table, const char *chain,
		      struct fl_chains *chains, bool words)
{
	struct dump_req req = { table, chains, words };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	int err;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, family, NLM_F_DUMP, ++nft->seq);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	if (chain)
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	err = nft_talk(nft, nlh, rule_dump_cb, &req);
	if (err) {
		snprintf(nft->err, sizeof(nft->err), "listing the rules of %s: %s", table,
			 strerror(-err));
		return -1;
	}
	return 0;
}

int fl_nft_dump_rules(struct fl_nft *nft, int family, const char *table,
		      struct fl_chains *chains)
{
	return dump_rules(nft, family, table, NULL, chains, false);
}

int fl_nft_chain_words(struct fl_nft *nft, int family, const char *table, struct fl_chain *c)
{
	struct fl_chains one = { 0 };
	struct fl_chain *t = fl_chains_push(&one, c->name);
	size_t i;
	int ret = dump_rules(nft, family, table, c->name, &one, true);

	/* Rules changed in between: no words (the lines say the texts). */
	if (!ret && t->n == c->n)
		for (i = 0; i < c->n; i++) {
			c->words[i] = t->words[i];
			t->words[i] = NULL;
		}
	fl_chains_free(&one);
	return ret;
}

struct set_req {
	const char *table;
	void (*fn)(const char *name, void *data);
	void *data;
};

static int set_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct set_req *req = data;

	/* An anonymous set (a rule's "{ 22, 80 }") is its rule's: it goes
	 * with the rule, and deleting it by name fails.
	 */
	if (s && nftnl_set_nlmsg_parse(nlh, s) == 0 &&
	    !strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), req->table) &&
	    !(nftnl_set_is_set(s, NFTNL_SET_FLAGS) &&
	      (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS)))
		req->fn(nftnl_set_get_str(s, NFTNL_SET_NAME), req->data);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int fl_nft_list_sets(struct fl_nft *nft, int family, const char *table,
		     void (*fn)(const char *name, void *data), void *data)
{
	struct set_req req = { table, fn, data };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int err;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, family, NLM_F_DUMP, ++nft->seq);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	err = nft_talk(nft, nlh, set_dump_cb, &req);
	if (err) {
		snprintf(nft->err, sizeof(nft->err), "listing the sets of %s: %s", table,
			 strerror(-err));
		return -1;
	}
	return 0;
}

void fl_nft_refill_chain(struct fl_nft *nft, int family, const char *table,
			 struct fl_chain *c)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	size_t i;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->name);
	nlh = msg(nft, NFT_MSG_DELRULE, family, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	note(nft, "flush chain %s %s", table, c->name);
	for (i = 0; i < c->n; i++) {
		fl_nft_add_rule(nft, c->objs[i], "rule restored");
		c->objs[i] = NULL;
	}
}
