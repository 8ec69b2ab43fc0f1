/* clock.c: the monotonic clock in microseconds. */
/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "clock.h"

int64_t
tt_clock_mono_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
