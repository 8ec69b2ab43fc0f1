/* clock.h: the monotonic clock, for deadlines and ages inside a process. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_CLOCK_H
#define TT_CLOCK_H

#include <stdint.h>

/* Microseconds of CLOCK_MONOTONIC (never jumps with the wall clock). */
int64_t	tt_clock_mono_us(void);

#endif
