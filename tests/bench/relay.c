// SPDX-License-Identifier: GPL-2.0
/*
 * The userspace relay the proxy is compared with (tests/bench/run-bench.sh),
 * and a wire counter watcher.
 *   relay GROUP PORT IFADDR COUNT ADDR...  joins GROUP on the interface with
 *        IFADDR, receives with recvmmsg (batches of up to 32 datagrams) and
 *        sends one unicast copy of each to every ADDR (same PORT) with
 *        sendmmsg, until COUNT datagrams arrived or 2 s passed without one.
 *        Prints "<copies sent> <seconds from the first datagram received to
 *        the last copy sent> <datagrams received>".
 *   relay watch FILE   polls a counter file (e.g. an interface's
 *        statistics/rx_packets) every 2 ms until it moved and then stayed
 *        still for 2 s; prints "<increase> <seconds from its first to its
 *        last move>". For a relay that prints nothing itself (socat).
 * Both write the file named by $READY once set up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

enum { BATCH = 32, MAXMEMBERS = 1024 };

static long read_counter(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int watch(const char *path)
{
	long start = read_counter(path), v, last_v;
	double first = 0, last = 0, t;

	if (start < 0)
		return 2;
	ready();
	last_v = start;
	for (t = now();; usleep(2000)) {
		v = read_counter(path);
		if (v != last_v) {
			last = now();
			if (last_v == start)
				first = last;
			last_v = v;
		} else if (last_v != start ? now() - last > 2 : now() - t > 60) {
			break;
		}
	}
	printf("%ld %.6f\n", last_v - start, last - first);
	return 0;
}

int main(int argc, char **argv)
{
	static char bufs[BATCH][2048];
	static struct mmsghdr in[BATCH], out[BATCH * MAXMEMBERS];
	static struct iovec iov[BATCH];
	static struct sockaddr_in to[MAXMEMBERS];
	struct sockaddr_in me = { .sin_family = AF_INET };
	struct ip_mreqn mreq = { 0 };
	int fd, n, k, port, size = 8 << 20, one = 1;
	long count, got = 0, copies = 0;
	double first = 0, last = 0;

	if (argc == 3 && !strcmp(argv[1], "watch"))
		return watch(argv[2]);
	if (argc < 6 || argc - 5 > MAXMEMBERS)
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	port = atoi(argv[2]);
	count = atol(argv[4]);
	n = argc - 5;
	me.sin_port = htons(port);
	inet_pton(AF_INET, argv[1], &me.sin_addr);
	inet_pton(AF_INET, argv[1], &mreq.imr_multiaddr);
	inet_pton(AF_INET, argv[3], &mreq.imr_address);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq))) {
		perror("relay");
		return 2;
	}
	for (k = 0; k < n; k++) {
		to[k].sin_family = AF_INET;
		to[k].sin_port = htons(port);
		inet_pton(AF_INET, argv[5 + k], &to[k].sin_addr);
	}
	for (k = 0; k < BATCH; k++) {
		iov[k] = (struct iovec){ bufs[k], sizeof(bufs[k]) };
		in[k].msg_hdr.msg_iov = &iov[k];
		in[k].msg_hdr.msg_iovlen = 1;
	}
	ready();
	while (got < count) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r, d, m, total, done;

		if (poll(&p, 1, got ? 2000 : 60000) <= 0)
			break;
		r = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0)
			continue;
		if (!got)
			first = now();
		got += r;
		/* one message per datagram and member, each pointing at the
		 * received bytes: no copy in userspace */
		total = 0;
		for (d = 0; d < r; d++) {
			iov[d].iov_len = in[d].msg_len;
			for (m = 0; m < n; m++, total++) {
				out[total].msg_hdr = (struct msghdr){
					.msg_name = &to[m], .msg_namelen = sizeof(to[m]),
					.msg_iov = &iov[d], .msg_iovlen = 1,
				};
			}
		}
		for (done = 0; done < total;) {
			int s = sendmmsg(fd, out + done, total - done > 1024 ? 1024 : total - done, 0);

			if (s <= 0)
				break;
			done += s;
		}
		copies += done;
		for (d = 0; d < r; d++)
			iov[d].iov_len = sizeof(bufs[d]);
		last = now();
	}
	printf("%ld %.6f %ld\n", copies, last - first, got);
	return 0;
}
