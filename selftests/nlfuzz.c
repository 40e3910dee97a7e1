// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: send random and mutated generic netlink requests to the flowlane
 * family, from several threads at once, and read whatever comes back.
 *
 *   nlfuzz COUNT [THREADS [SEED]]
 *
 * Messages mix: random commands (valid and not), random flags (dumps
 * included), well-formed attributes of the family's types with random
 * values, attributes of random types, truncated attributes (a length past
 * the end), oversized ones, wrong widths, empty strings and strings
 * without their NUL, nested garbage (NLA_F_NESTED), random genl versions.
 * The kernel must stay quiet (the harness checks its log) and the module
 * must still work afterwards (the calling test checks). Prints one line:
 * "sent=N replies=N errors=N".
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MSG_MAX 4096

static uint16_t family;
static unsigned long per_thread;
static unsigned long long seed0;

struct stats {
	unsigned long sent, replies, errors;
};

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static unsigned int rnd(uint64_t *s, unsigned int n)
{
	return n ? (unsigned int)(next(s) % n) : 0;
}

static int nl_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nlfuzz: netlink socket");
		exit(2);
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

/* Appends an attribute header and @len payload bytes at @off; returns the
 * new offset. @claimed is the length written in the header (it may lie).
 */
static size_t put_attr(char *buf, size_t off, uint16_t type, uint16_t claimed,
		       const void *p, size_t len)
{
	struct nlattr *a = (struct nlattr *)(buf + off);

	if (off + NLA_HDRLEN + len > MSG_MAX)
		return off;
	a->nla_type = type;
	a->nla_len = claimed;
	memcpy(buf + off + NLA_HDRLEN, p, len);
	return off + NLA_ALIGN(NLA_HDRLEN + len);
}

/* The widths of the family's attributes by type (tag attributes, which
 * share numbers with the dev and flush sets): 255 is a NUL-terminated
 * string, 0 unknown. Half of the messages use them, so that handlers run
 * and not only the policy checks.
 */
static const uint8_t natural_width[] = {
	[1] = 4, [2] = 255, [3] = 2, [4] = 1, [5] = 4, [6] = 4, [7] = 4, [8] = 4,
};

static size_t typed_attr(char *buf, size_t off, uint64_t *s)
{
	uint16_t type = 1 + rnd(s, sizeof(natural_width) - 1);
	unsigned char payload[16] = { 0 };
	size_t len = natural_width[type], i;
	uint32_t v = rnd(s, 4) ? rnd(s, 70) : (uint32_t)next(s);

	if (len == 255) {		/* a short name: tags collide often */
		len = 1 + rnd(s, 4);
		for (i = 0; i < len; i++)
			payload[i] = 'a' + rnd(s, 3);
		payload[len++] = 0;
	} else {
		memcpy(payload, &v, len);	/* little endian: low bytes */
	}
	return put_attr(buf, off, type, NLA_HDRLEN + len, payload, len);
}

static size_t random_attr(char *buf, size_t off, uint64_t *s)
{
	static const uint16_t widths[] = { 0, 1, 2, 3, 4, 5, 8, 16, 17, 64, 300 };
	unsigned char payload[512];
	uint16_t type = rnd(s, 4) ? 1 + rnd(s, 30) : rnd(s, 0x8000);
	size_t len = widths[rnd(s, sizeof(widths) / sizeof(widths[0]))];
	uint16_t claimed;
	size_t i;

	for (i = 0; i < len; i++)
		payload[i] = (unsigned char)next(s);
	switch (rnd(s, 8)) {
	case 0:	/* a printable string with its NUL */
		for (i = 0; i + 1 < len; i++)
			payload[i] = 'a' + rnd(s, 26);
		if (len)
			payload[len - 1] = 0;
		break;
	case 1:	/* nested garbage */
		type |= NLA_F_NESTED;
		break;
	case 2:	/* small integers: ids, booleans, thresholds near edges */
		memset(payload, 0, len);
		if (len)
			payload[0] = (unsigned char)rnd(s, 3);
		break;
	}
	claimed = NLA_HDRLEN + len;
	if (rnd(s, 16) == 0)		/* truncated: claims more than sent */
		claimed += 1 + rnd(s, 64);
	else if (rnd(s, 32) == 0)	/* shorter than its own header */
		claimed = rnd(s, NLA_HDRLEN);
	return put_attr(buf, off, type, claimed, payload, len);
}

static void build(char *buf, size_t *len, uint64_t *s, uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	unsigned int n = rnd(s, 8), i;

	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | (rnd(s, 2) ? NLM_F_ACK : 0) |
			   (rnd(s, 4) == 0 ? NLM_F_DUMP : 0);
	nlh->nlmsg_seq = seq;
	g->cmd = rnd(s, 5) ? 1 + rnd(s, 14) : (uint8_t)next(s);
	g->version = rnd(s, 8) ? 1 : (uint8_t)next(s);
	g->reserved = rnd(s, 16) ? 0 : (uint16_t)next(s);
	bool typed = rnd(s, 2);

	for (i = 0; i < n; i++)
		off = typed ? typed_attr(buf, off, s) : random_attr(buf, off, s);
	nlh->nlmsg_len = off;
	if (rnd(s, 64) == 0)	/* a header that lies about the length */
		nlh->nlmsg_len = NLMSG_HDRLEN + rnd(s, off);
	*len = off;
}

/* Reads what is queued without waiting; dumps may need several reads. */
static void drain(int fd, struct stats *st)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct nlmsghdr *nlh;
		int left = (int)n;

		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			st->replies++;
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    ((struct nlmsgerr *)NLMSG_DATA(nlh))->error)
				st->errors++;
		}
	}
}

static void *worker(void *arg)
{
	struct stats *st = arg;
	uint64_t s = seed0 ^ ((uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL);
	char buf[MSG_MAX];
	unsigned long i;
	size_t len;
	int fd = nl_socket();

	for (i = 0; i < per_thread; i++) {
		build(buf, &len, &s, (uint32_t)i);
		if (send(fd, buf, len, 0) >= 0)
			st->sent++;
		else if (errno != ENOBUFS && errno != EINVAL && errno != EAGAIN)
			st->errors++;
		if ((i & 7) == 0)
			drain(fd, st);
	}
	drain(fd, st);
	close(fd);
	return NULL;
}

/* CTRL_CMD_GETFAMILY "flowlane": its id, or exit 2. */
static uint16_t resolve(void)
{
	char buf[8192];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	int fd = nl_socket(), left;
	ssize_t n;

	memset(buf, 0, off);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	off = put_attr(buf, off, CTRL_ATTR_FAMILY_NAME, NLA_HDRLEN + 9, "flowlane", 9);
	nlh->nlmsg_len = off;
	if (send(fd, buf, off, 0) < 0 || (n = recv(fd, buf, sizeof(buf), 0)) < 0)
		goto fail;
	left = (int)n;
	if (!NLMSG_OK(nlh, left) || nlh->nlmsg_type != GENL_ID_CTRL)
		goto fail;
	for (off = NLMSG_HDRLEN + GENL_HDRLEN; off + NLA_HDRLEN <= nlh->nlmsg_len;) {
		struct nlattr *a = (struct nlattr *)(buf + off);

		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
			close(fd);
			return *(uint16_t *)(a + 1);
		}
		off += NLA_ALIGN(a->nla_len);
	}
fail:
	fprintf(stderr, "nlfuzz: the flowlane family is not registered\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long count, threads, i;
	struct stats *st, total = { 0 };
	pthread_t *tid;

	if (argc < 2) {
		fprintf(stderr, "usage: nlfuzz COUNT [THREADS [SEED]]\n");
		return 2;
	}
	count = strtoul(argv[1], NULL, 0);
	threads = argc > 2 ? strtoul(argv[2], NULL, 0) : 4;
	seed0 = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x5eed;
	if (!threads || threads > 64)
		threads = 4;
	family = resolve();
	per_thread = count / threads;
	st = calloc(threads, sizeof(*st));
	tid = calloc(threads, sizeof(*tid));
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, worker, &st[i]);
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		total.sent += st[i].sent;
		total.replies += st[i].replies;
		total.errors += st[i].errors;
	}
	printf("sent=%lu replies=%lu errors=%lu\n", total.sent, total.replies,
	       total.errors);
	free(st);
	free(tid);
	return 0;
}
