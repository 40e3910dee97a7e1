// SPDX-License-Identifier: GPL-2.0
/*
 * fltraffic: fixed-count traffic for the selftests (no nping/socat needed).
 *
 *   fltraffic udp-send ADDR PORT COUNT [SIZE [SPORT [GAP_US [NFLOWS]]]]
 *       COUNT datagrams of SIZE payload bytes (default 64) from SPORT
 *       (default 40000), GAP_US microseconds apart (default 200), IPv4
 *       with DF set; with NFLOWS, COUNT datagrams from each of the source
 *       ports SPORT .. SPORT+NFLOWS-1 in turn. Prints "sent=N".
 *   fltraffic udp-ping ADDR PORT COUNT [SIZE [SPORT]]
 *       COUNT datagrams in lock-step with an udp-echo server: each one
 *       waits for the previous one's echo (2 s at most), so the two
 *       directions never cross in the router. Prints "sent=N echoed=N".
 *   fltraffic udp-recv PORT IDLE_SECS
 *       counts datagrams until IDLE_SECS pass without one or SIGTERM:
 *       "received=N".
 *   fltraffic udp-echo PORT IDLE_SECS
 *       the same, and sends each datagram back to its sender.
 *   fltraffic tcp-send ADDR PORT BYTES     prints "sent=N"
 *   fltraffic tcp-recv PORT                one connection: "received=N"
 *   fltraffic udp-flows SRC DST DPORT FLOWS PACKETS
 *       FLOWS distinct IPv4 UDP flows from SRC (source ports 1024 up,
 *       then the next source addresses), PACKETS rounds over all of them,
 *       through a raw socket (no socket per flow). Prints "sent=N".
 * ADDR may be IPv4 or IPv6; the receivers listen on both.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *m)
{
	perror(m);
	exit(1);
}

static socklen_t parse(const char *addr, int port, struct sockaddr_in6 *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, addr, &ss->sin6_addr) != 1) {
		fprintf(stderr, "bad address %s\n", addr);
		exit(2);
	}
	ss->sin6_family = AF_INET6;
	ss->sin6_port = htons(port);
	return sizeof(*ss);
}

static int bound(int type, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, type, 0), zero = 0, one = 1;
	int rcvbuf = 32 << 20;

	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Room for every datagram of a test even if we are slow to read. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	return fd;
}

static int udp_send_one(const struct sockaddr_in6 *dst, socklen_t len,
			int sport, int count, int size, int gap)
{
	int pmtu = IP_PMTUDISC_DO, one = 1, i, sent = 0;
	char *buf = calloc(1, size ? size : 1);
	int fd = socket(dst->sin6_family, SOCK_DGRAM, 0);
	struct sockaddr_in6 src;

	if (fd < 0 || !buf)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&src, 0, sizeof(src));
	src.sin6_family = dst->sin6_family;
	src.sin6_port = htons(sport);	/* same offset in sockaddr_in */
	if (bind(fd, (struct sockaddr *)&src, len))
		die("bind");
	if (dst->sin6_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	for (i = 0; i < count; i++) {
		if (sendto(fd, buf, size, 0, (const struct sockaddr *)dst, len) == size)
			sent++;
		if (gap && i + 1 < count)
			usleep(gap);
	}
	close(fd);
	free(buf);
	return sent;
}

static int udp_send(int argc, char **argv)
{
	int count = atoi(argv[4]), size = argc > 5 ? atoi(argv[5]) : 64;
	int sport = argc > 6 ? atoi(argv[6]) : 40000;
	int gap = argc > 7 ? atoi(argv[7]) : 200;
	int nflows = argc > 8 ? atoi(argv[8]) : 1;
	struct sockaddr_in6 dst;
	socklen_t len = parse(argv[2], atoi(argv[3]), &dst);
	int f, sent = 0;

	for (f = 0; f < nflows; f++)
		sent += udp_send_one(&dst, len, sport + f, count, size, gap);
	printf("sent=%d\n", sent);
	return 0;
}

static int udp_ping(int argc, char **argv)
{
	int count = atoi(argv[4]), size = argc > 5 ? atoi(argv[5]) : 64;
	int sport = argc > 6 ? atoi(argv[6]) : 40000;
	struct sockaddr_in6 dst, src;
	socklen_t len = parse(argv[2], atoi(argv[3]), &dst);
	int fd = socket(dst.sin6_family, SOCK_DGRAM, 0), i, sent = 0, echoed = 0;
	char buf[65536] = { 0 };

	if (fd < 0 || size < 0 || size > (int)sizeof(buf))
		die("socket");
	memset(&src, 0, sizeof(src));
	src.sin6_family = dst.sin6_family;
	src.sin6_port = htons(sport);
	/* connect(): only the echo server's datagrams are read back. */
	if (bind(fd, (struct sockaddr *)&src, len) ||
	    connect(fd, (struct sockaddr *)&dst, len))
		die("bind/connect");
	for (i = 0; i < count; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (send(fd, buf, size, 0) != size)
			continue;
		sent++;
		if (poll(&p, 1, 2000) == 1 && recv(fd, buf, sizeof(buf), 0) == size)
			echoed++;
	}
	close(fd);
	printf("sent=%d echoed=%d\n", sent, echoed);
	return 0;
}

static void on_term(int sig)
{
	(void)sig;	/* interrupts poll(): the count is printed */
}

static int udp_recv(char **argv, int echo)
{
	int fd = bound(SOCK_DGRAM, atoi(argv[2])), idle = atoi(argv[3]) * 1000;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_in6 from;
	socklen_t flen;
	char buf[65536];
	struct sigaction sa = { .sa_handler = on_term };	/* no SA_RESTART */
	ssize_t r;
	long n = 0;

	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "listening\n");
	while (poll(&p, 1, idle) > 0) {
		flen = sizeof(from);
		r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (r < 0)
			continue;
		n++;
		if (echo)
			sendto(fd, buf, r, 0, (struct sockaddr *)&from, flen);
	}
	/* What was queued when SIGTERM came arrived too: count it. */
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	printf("received=%ld\n", n);
	return 0;
}

static int tcp_send(char **argv)
{
	struct sockaddr_in6 dst;
	socklen_t len = parse(argv[2], atoi(argv[3]), &dst);
	long left = atol(argv[4]), sent = 0;
	int fd = socket(dst.sin6_family, SOCK_STREAM, 0);
	static char buf[65536];
	ssize_t r;

	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, len))
		die("connect");
	while (left > 0) {
		r = send(fd, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf), 0);
		if (r <= 0)
			die("send");
		left -= r;
		sent += r;
	}
	shutdown(fd, SHUT_WR);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	printf("sent=%ld\n", sent);
	return 0;
}

static int tcp_recv(char **argv)
{
	int lfd = bound(SOCK_STREAM, atoi(argv[2])), fd;
	static char buf[65536];
	long n = 0;
	ssize_t r;

	if (listen(lfd, 1))
		die("listen");
	fprintf(stderr, "listening\n");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	while ((r = recv(fd, buf, sizeof(buf), 0)) > 0)
		n += r;
	close(fd);
	printf("received=%ld\n", n);
	return 0;
}

/* RFC 1071 checksum over @len bytes, folded. */
static uint16_t csum(const void *p, size_t len, uint32_t sum)
{
	const uint16_t *w = p;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const uint8_t *)w;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int udp_flows(char **argv)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
		char payload[18];
	} __attribute__((packed)) pkt;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint32_t src0, flows = strtoul(argv[5], NULL, 0);
	unsigned long rounds = strtoul(argv[6], NULL, 0), sent = 0, r;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	uint32_t f;

	if (fd < 0)
		die("raw socket");
	if (inet_pton(AF_INET, argv[2], &src0) != 1 ||
	    inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1)
		die("udp-flows: SRC and DST must be IPv4 addresses");
	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_UDP;
	pkt.ip.tot_len = htons(sizeof(pkt));
	pkt.ip.daddr = dst.sin_addr.s_addr;
	pkt.udp.dest = htons(atoi(argv[4]));
	pkt.udp.len = htons(sizeof(pkt) - sizeof(pkt.ip));
	for (r = 0; r < rounds; r++) {
		for (f = 0; f < flows; f++) {
			/* 64512 source ports per address, then the next one. */
			pkt.ip.saddr = htonl(ntohl(src0) + f / 64512);
			pkt.udp.source = htons(1024 + f % 64512);
			pkt.ip.check = 0;
			pkt.ip.check = csum(&pkt.ip, sizeof(pkt.ip), 0);
			/* UDP checksum 0: none, which IPv4 allows. */
			if (sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&dst,
				   sizeof(dst)) == sizeof(pkt))
				sent++;
		}
	}
	close(fd);
	printf("sent=%lu\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "udp-send") && argc >= 5)
		return udp_send(argc, argv);
	if (!strcmp(c, "udp-ping") && argc >= 5)
		return udp_ping(argc, argv);
	if (!strcmp(c, "udp-recv") && argc == 4)
		return udp_recv(argv, 0);
	if (!strcmp(c, "udp-echo") && argc == 4)
		return udp_recv(argv, 1);
	if (!strcmp(c, "tcp-send") && argc == 5)
		return tcp_send(argv);
	if (!strcmp(c, "tcp-recv") && argc == 3)
		return tcp_recv(argv);
	if (!strcmp(c, "udp-flows") && argc == 7)
		return udp_flows(argv);
	fprintf(stderr, "usage: see the top of selftests/fltraffic.c\n");
	return 2;
}
