/* ratelimit.c: token bucket (GCRA) figures for the RateLimit-* headers. */
/* SPDX-License-Identifier: MIT */
#include "http.h"
#include "ratelimit.h"

int64_t
tt_rate_step_us(const struct tt_rate *r)
{
	return r->window_us / (r->limit > 0 ? r->limit : 1);
}

int64_t
tt_rate_ceil_s(int64_t us)
{
	return us <= 0 ? 0 : (us + 999999) / 1000000;
}

static void
put(struct tt_resp *resp, const struct tt_rate *r, int64_t remaining,
    int64_t ahead_us)
{
	if (remaining < 0)
		remaining = 0;
	if (remaining > r->limit)
		remaining = r->limit;
	tt_resp_header(resp, "RateLimit-Limit", "%lld", (long long)r->limit);
	tt_resp_header(resp, "RateLimit-Remaining", "%lld",
	    (long long)remaining);
	tt_resp_header(resp, "RateLimit-Reset", "%lld",
	    (long long)tt_rate_ceil_s(ahead_us));
}

void
tt_rate_headers_ok(struct tt_resp *resp, const struct tt_rate *r,
    int64_t ahead_us)
{
	int64_t	step = tt_rate_step_us(r);

	if (ahead_us < 0)
		ahead_us = 0;
	put(resp, r, step > 0 ? (r->window_us - ahead_us) / step : 0,
	    ahead_us);
}

void
tt_rate_headers_refused(struct tt_resp *resp, const struct tt_rate *r,
    int64_t ahead_us)
{
	int64_t	wait;

	/* Allowed again once ahead + step fits in the window. */
	wait = tt_rate_ceil_s(ahead_us + tt_rate_step_us(r) - r->window_us);
	tt_resp_header(resp, "Retry-After", "%lld",
	    (long long)(wait < 1 ? 1 : wait));
	put(resp, r, 0, ahead_us);
}
