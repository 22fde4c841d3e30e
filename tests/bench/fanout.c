// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark sender: times how fast datagrams leave the host.
 *   fanout group DST PORT COUNT SIZE          one sendto per datagram (the
 *                                             proxy makes the copies)
 *   fanout unicast PORT COUNT SIZE ADDR...    the application fans out itself,
 *                                             sendmmsg in batches of members
 * Prints "<datagrams on the wire> <seconds>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char payload[65536];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ttl = 1;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	long count, i, sent = 0;
	size_t size;
	double start;

	if (argc < 5 || fd < 0)
		return 2;
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
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
			int r = sendmmsg(fd, msgs, n, 0);

			sent += r > 0 ? r : 0;
		}
	} else {
		return 2;
	}
	printf("%ld %.6f\n", sent, now() - start);
	return 0;
}
