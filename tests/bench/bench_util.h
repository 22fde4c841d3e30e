/* SPDX-License-Identifier: GPL-2.0 */
/* What the bench's C programs (fanout.c, relay.c) share. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Creates the file named by $READY: the program listens. */
static inline void ready(void)
{
	const char *path = getenv("READY");
	FILE *f;

	if (path && (f = fopen(path, "w")))
		fclose(f);
}
#endif
