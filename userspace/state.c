// SPDX-License-Identifier: GPL-2.0
/*
 * What the last successful apply left, one file per network namespace:
 * $FLOWLANE_STATE_DIR (default /run/flowlane)/applied-net<netns inode>.state
 *
 *   head      magic, format, the build, boot and namespace that wrote it,
 *             the kernel's generation and table handles right after the
 *             commit, the sizes below and a checksum of it all
 *   vms       struct fl_state_vm per VM, in document order
 *   ifaces    the VMs' interface names
 *   doc       the applied document, as given
 *
 * It is a cache: apply trusts it only when everything in the head still
 * holds (delta.c, apply.c) and otherwise reads the kernel as if it were not
 * there. So a missing, truncated, corrupt or foreign file costs time, never
 * correctness. Native byte order: it never leaves the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "../kmod/version.h"
#include "delta.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71
#endif

#define STATE_MAGIC	"FLSTATE"
/* 2: several IPv4 addresses and an IPv6 prefix per VM. 3: the handle of
 * the IPv6 NAT table too.
 */
#define STATE_FORMAT	3

struct state_head {
	char magic[8];
	uint32_t format, head_len;
	struct state_origin {
		char tool[32];		/* FLOWLANE_VERSION */
		uint64_t exe_dev, exe_ino, exe_size, exe_mtime;	/* this very build */
		char boot_id[40];
		uint64_t netns_cookie;
	} origin;
	struct fl_ruleset_id rid;
	uint64_t n_vms, n_ifaces, doc_len, start, end, pre_len, suf_off;
	uint64_t indexed;
	uint64_t sum;			/* fl_hash64 of the parts, sum zeroed */
};

_Static_assert(sizeof(struct fl_state_vm) % 8 == 0, "state records stay aligned");
_Static_assert(sizeof(struct state_head) % 8 == 0, "state records stay aligned");

static int state_path(char *buf, size_t size, bool mkdirs)
{
	const char *dir = getenv("FLOWLANE_STATE_DIR");
	struct stat st;

	if (!dir || !*dir)
		dir = "/run/flowlane";
	if (stat("/proc/self/ns/net", &st))
		st.st_ino = 0;
	if (mkdirs && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (snprintf(buf, size, "%s/applied-net%lu.state", dir,
		     (unsigned long)st.st_ino) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* Who writes: a state from another build (its element layout may differ),
 * another boot or another namespace describes another kernel's tables.
 */
static void origin_now(struct state_origin *o)
{
	struct stat st;
	socklen_t len = sizeof(o->netns_cookie);
	int fd;

	memset(o, 0, sizeof(*o));
	snprintf(o->tool, sizeof(o->tool), "%s", FLOWLANE_VERSION);
	if (!stat("/proc/self/exe", &st)) {
		o->exe_dev = st.st_dev;
		o->exe_ino = st.st_ino;
		o->exe_size = st.st_size;
		o->exe_mtime = st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec;
	}
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, o->boot_id, sizeof(o->boot_id) - 1) < 0)
			o->boot_id[0] = '\0';
		close(fd);
	}
	/* Namespace inodes are reused; cookies are not (Linux 5.14 and
	 * later; before, the inode in the file name and the boot id must do).
	 */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &o->netns_cookie, &len))
			o->netns_cookie = 0;
		close(fd);
	}
}

/* The checksum folds one hash per record and per interface name, so that
 * writing needs no copy of the records in one buffer. The document itself
 * is not in it: apply compares it byte for byte with the new one and
 * checks the hash of each old VM it parses (delta.c).
 */
static uint64_t fold(uint64_t sum, const void *p, size_t len)
{
	return (sum ^ fl_hash64(p, len)) * 0x9e3779b97f4a7c15ull + 1;
}

static uint64_t head_sum(struct state_head h)
{
	h.sum = 0;
	return fold(0, &h, sizeof(h));
}

/* Every size and offset in the head fits the file. */
static int check_layout(const struct state_head *h, size_t len)
{
	uint64_t need = sizeof(*h);

	if (len < sizeof(*h) || memcmp(h->magic, STATE_MAGIC, sizeof(h->magic)) ||
	    h->format != STATE_FORMAT || h->head_len != sizeof(*h))
		return -1;
	if (h->n_vms > len / sizeof(struct fl_state_vm) || h->n_ifaces > len / IFNAMSIZ ||
	    h->doc_len > len)
		return -1;
	need += h->n_vms * sizeof(struct fl_state_vm) + h->n_ifaces * IFNAMSIZ + h->doc_len;
	if (need != len || h->start > h->pre_len || h->pre_len > h->suf_off ||
	    h->suf_off > h->end || h->end > h->doc_len)
		return -1;
	return 0;
}

static uint64_t records_sum(const struct fl_state *st, uint64_t sum, size_t n_ifaces)
{
	size_t i;

	for (i = 0; i < st->n_vms; i++)
		sum = fold(sum, &st->vms[i], sizeof(st->vms[i]));
	for (i = 0; i < n_ifaces; i++)
		sum = fold(sum, st->ifaces[i], IFNAMSIZ);
	return sum;
}

/* Each record points inside the document and the interface table. */
static int check_records(const struct fl_state *st, uint64_t n_ifaces)
{
	size_t i;

	for (i = 0; i < st->n_vms; i++) {
		const struct fl_state_vm *v = &st->vms[i];

		if (v->off < st->pre_len || v->len > st->suf_off - v->off ||
		    v->iface > n_ifaces || v->n_ifaces > n_ifaces - v->iface ||
		    v->n_ipv4 > FL_VM_IPV4_MAX || v->ipv6_len > 128 ||
		    !memchr(v->name, '\0', sizeof(v->name)))
			return -1;
	}
	for (i = 0; i < n_ifaces; i++)
		if (!memchr(st->ifaces[i], '\0', IFNAMSIZ))
			return -1;
	return 0;
}

static void state_point(struct fl_state *st, const struct state_head *h, const char *base)
{
	st->rid = h->rid;
	st->vms = (const struct fl_state_vm *)(base + sizeof(*h));
	st->n_vms = h->n_vms;
	st->ifaces = (const char (*)[IFNAMSIZ])(st->vms + h->n_vms);
	st->doc = (const char *)(st->ifaces + h->n_ifaces);
	st->doc_len = h->doc_len;
	st->start = h->start;
	st->end = h->end;
	st->pre_len = h->pre_len;
	st->suf_off = h->suf_off;
	st->indexed = h->indexed;
}

int fl_state_read(struct fl_state *st, char *why, size_t size)
{
	char path[4096], err[FL_ERR_MAX];
	const struct state_head *h;
	struct state_origin now;
	int ret;

	memset(st, 0, sizeof(*st));
	if (state_path(path, sizeof(path), false)) {
		snprintf(why, size, "no state directory");
		return -EINVAL;
	}
	ret = fl_text_open(&st->text, path, err);
	if (ret) {
		snprintf(why, size, "%s", err);
		return ret == -ENOENT ? -ENOENT : -EINVAL;
	}
	h = (const struct state_head *)st->text.p;
	if (check_layout(h, st->text.len)) {
		snprintf(why, size, "%s: not a state file of this flowlane", path);
		goto fail;
	}
	state_point(st, h, st->text.p);
	if (records_sum(st, head_sum(*h), h->n_ifaces) != h->sum ||
	    check_records(st, h->n_ifaces)) {
		snprintf(why, size, "%s: checksum mismatch (a corrupt state file)", path);
		goto fail;
	}
	origin_now(&now);
	st->same_host = !memcmp(&now, &h->origin, sizeof(now));
	if (!st->same_host)
		snprintf(why, size, "%s: written by another build of flowlane, boot or "
			 "network namespace", path);
	return 0;
fail:
	fl_state_free(st);
	return -EINVAL;
}

void fl_state_free(struct fl_state *st)
{
	fl_text_close(&st->text);
	memset(st, 0, sizeof(*st));
}

static void vm_record(struct fl_state_vm *r, const struct fl_vm *vm, const struct fl_slice *s,
		      uint32_t iface)
{
	memset(r, 0, sizeof(*r));
	r->off = s->off;
	r->len = s->len;
	r->hash = s->hash;
	r->iface = iface;
	r->n_ifaces = vm->n_ifaces;
	r->has_ipv4 = vm->has_ipv4;
	r->has_ipv6 = vm->has_ipv6;
	r->has_public = vm->has_public;
	r->n_ipv4 = vm->n_ipv4;
	r->ipv6_len = vm->ipv6_len;
	memcpy(r->ipv4, vm->ipv4, sizeof(r->ipv4));
	memcpy(r->public_ipv4, &vm->public_ipv4, 4);
	memcpy(r->ipv6, &vm->ipv6, 16);
	memcpy(r->name, vm->name, sizeof(r->name));	/* NUL-terminated: config.c */
}

/* Buffered output that folds what it writes into the checksum: no copy
 * of 10,000 records in memory.
 */
struct out {
	int fd, err;
	size_t n;
	uint64_t sum;
	char buf[65536];
};

static void out_flush(struct out *o)
{
	size_t off = 0;
	ssize_t w;

	while (!o->err && off < o->n) {
		w = write(o->fd, o->buf + off, o->n - off);
		if (w < 0 && errno != EINTR)
			o->err = -errno;
		else if (w > 0)
			off += w;
	}
	o->n = 0;
}

static void out_put(struct out *o, const void *p, size_t len, bool summed)
{
	const char *c = p;
	size_t k;

	if (summed)
		o->sum = fold(o->sum, p, len);
	while (len) {
		if (o->n == sizeof(o->buf))
			out_flush(o);
		k = len < sizeof(o->buf) - o->n ? len : sizeof(o->buf) - o->n;
		memcpy(o->buf + o->n, c, k);
		o->n += k;
		c += k;
		len -= k;
	}
}

/* The records and interface names of @cfg's VMs. */
static void put_index(struct out *o, const struct fl_doc_split *split,
		      const struct fl_config *cfg)
{
	struct fl_state_vm r;
	uint32_t iface = 0;
	size_t i, k;

	for (i = 0; i < cfg->n_vms; i++) {
		vm_record(&r, &cfg->vms[i], &split->vms[i], iface);
		out_put(o, &r, sizeof(r), true);
		iface += cfg->vms[i].n_ifaces;
	}
	for (i = 0; i < cfg->n_vms; i++)
		for (k = 0; k < cfg->vms[i].n_ifaces; k++)
			out_put(o, cfg->vms[i].ifaces[k], IFNAMSIZ, true);
}

/* Written to a temporary file renamed over the old one: a reader sees the
 * old state or the new, and a crash leaves at worst a file the checks
 * refuse (so no fsync: it would cost time for nothing the next apply
 * could not recover).
 */
static int write_file(struct state_head *h, const char *text,
		      const struct fl_doc_split *split, const struct fl_config *cfg)
{
	char path[4096], tmp[4200];
	struct out *o;
	int err;

	err = state_path(path, sizeof(path), true);
	if (err)
		return err;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	o->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o->fd < 0) {
		free(o);
		return -errno;
	}
	o->sum = head_sum(*h);
	out_put(o, h, sizeof(*h), false);	/* its sum is known at the end */
	if (h->indexed)
		put_index(o, split, cfg);
	out_put(o, text, h->doc_len, false);
	out_flush(o);
	h->sum = o->sum;
	if (!o->err && pwrite(o->fd, h, sizeof(*h), 0) != sizeof(*h))
		o->err = -EIO;
	if (close(o->fd) && !o->err)
		o->err = -errno;
	if (!o->err && rename(tmp, path))
		o->err = -errno;
	err = o->err;
	if (err)
		unlink(tmp);
	free(o);
	return err;
}

int fl_state_write(const char *text, size_t len, const struct fl_doc_split *split,
		   const struct fl_config *cfg, const struct fl_ruleset_id *rid)
{
	struct state_head h = { .magic = STATE_MAGIC, .format = STATE_FORMAT,
				.head_len = sizeof(h) };
	size_t i;

	origin_now(&h.origin);
	h.rid = *rid;
	h.doc_len = len;
	h.indexed = split && split->n_vms == cfg->n_vms;
	h.end = h.pre_len = h.suf_off = len;
	if (h.indexed) {
		h.n_vms = cfg->n_vms;
		for (i = 0; i < cfg->n_vms; i++)
			h.n_ifaces += cfg->vms[i].n_ifaces;
		h.start = split->start;
		h.end = split->end;
		h.pre_len = split->pre_len;
		h.suf_off = split->suf_off;
	} else {
		h.rid.genid = 0;	/* never matches: the document only */
	}
	return write_file(&h, text, split, cfg);
}

int fl_state_remove(void)
{
	char path[4096];
	int err = state_path(path, sizeof(path), false);

	if (err)
		return err;
	if (unlink(path))
		return errno == ENOENT ? 0 : -errno;
	return 1;
}
