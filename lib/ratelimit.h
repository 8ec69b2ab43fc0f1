/* ratelimit.h: token bucket arithmetic and the RateLimit-* headers. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_RATELIMIT_H
#define TT_RATELIMIT_H

#include <stdint.h>

struct tt_resp;

/*
 * A bucket of limit requests per window, kept in PostgreSQL as its
 * theoretical arrival time (GCRA, sql/013): each request moves it on by
 * the step, window / limit; a request is allowed while the time ahead of
 * now stays within the window. The numbers here are what the database
 * answered, as microseconds between that time and now.
 */
struct tt_rate {
	int64_t	limit;
	int64_t	window_us;
};

/* window / limit in whole microseconds, rounded down (limit >= 1). */
int64_t	tt_rate_step_us(const struct tt_rate *);

/*
 * RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (seconds until
 * the bucket is full) for an allowed request whose bucket is now ahead_us
 * ahead of now.
 */
void	tt_rate_headers_ok(struct tt_resp *, const struct tt_rate *,
	    int64_t ahead_us);

/*
 * The same and Retry-After (whole seconds, at least 1) for a refused
 * request whose bucket was ahead_us ahead of now.
 */
void	tt_rate_headers_refused(struct tt_resp *, const struct tt_rate *,
	    int64_t ahead_us);

/* Seconds, rounded up, from microseconds; 0 for <= 0. */
int64_t	tt_rate_ceil_s(int64_t us);

#endif
