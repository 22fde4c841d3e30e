// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark sender and sink (tests/bench/run-bench.sh).
 *   fanout group DST PORT COUNT SIZE          one sendto per datagram to a
 *                                             group (the proxy makes the copies)
 *   fanout unicast PORT COUNT SIZE ADDR...    the application fans out itself:
 *                                             COUNT sendmmsg calls, one message
 *                                             a member each
 *   fanout sink PORT COUNT                    receives (recvmmsg) until COUNT
 *                                             datagrams arrived or 2 s passed
 *                                             without one
 * Senders print "<datagrams sent> <seconds>"; the sink prints "<datagrams
 * received> <seconds from the first to the last>". A sink writes the file
 * named by $READY once its socket is bound.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bench_util.h"

static int sink(int fd, int port, long count)
{
	enum { BATCH = 64 };
	static char bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
	int size = 8 << 20, k;
	long got = 0;
	double first = 0, last = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return 2;
	for (k = 0; k < BATCH; k++) {
		iov[k] = (struct iovec){ bufs[k], sizeof(bufs[k]) };
		memset(&msgs[k], 0, sizeof(msgs[k]));
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	ready();
	while (got < count) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r;

		if (poll(&p, 1, got ? 2000 : 60000) <= 0)
			break;
		r = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0)
			continue;
		last = now();
		if (!got)
			first = last;
		got += r;
	}
	printf("%ld %.6f\n", got, last - first);
	return 0;
}

int main(int argc, char **argv)
{
	static char payload[65536];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ttl = 1;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	long count, i, sent = 0;
	size_t size;
	double start;

	if (argc < 4 || fd < 0)
		return 2;
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	if (!strcmp(argv[1], "sink") && argc == 4)
		return sink(fd, atoi(argv[2]), atol(argv[3]));
	if (!strcmp(argv[1], "group") && argc == 6) {
		inet_pton(AF_INET, argv[2], &dst.sin_addr);
		dst.sin_port = htons(atoi(argv[3]));
		count = atol(argv[4]);
		size = atol(argv[5]);
		start = now();
		for (i = 0; i < count; i++)
			sent += sendto(fd, payload, size, 0, (struct sockaddr *)&dst, sizeof(dst)) == (ssize_t)size;
	} else if (!strcmp(argv[1], "unicast") && argc >= 6) {
		int n = argc - 5, k;
		struct sockaddr_in *to = calloc(n, sizeof(*to));
		struct mmsghdr *msgs = calloc(n, sizeof(*msgs));
		struct iovec iov = { payload, 0 };

		count = atol(argv[3]);
		iov.iov_len = size = atol(argv[4]);
		for (k = 0; k < n; k++) {
			to[k].sin_family = AF_INET;
			to[k].sin_port = htons(atoi(argv[2]));
			inet_pton(AF_INET, argv[5 + k], &to[k].sin_addr);
			msgs[k].msg_hdr.msg_name = &to[k];
			msgs[k].msg_hdr.msg_namelen = sizeof(to[k]);
			msgs[k].msg_hdr.msg_iov = &iov;
			msgs[k].msg_hdr.msg_iovlen = 1;
		}
		start = now();
		for (i = 0; i < count; i++) {
			int done = 0;

			/* sendmmsg may send fewer than asked: the rest in more calls */
			while (done < n) {
				int r = sendmmsg(fd, msgs + done, n - done, 0);

				if (r <= 0)
					break;
				done += r;
			}
			sent += done;
		}
	} else {
		return 2;
	}
	printf("%ld %.6f\n", sent, now() - start);
	return 0;
}
