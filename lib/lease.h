/* lease.h: rate-limit tokens a process reserved in advance from a key's
 * shared bucket, spent on that key's next refreshes without a write. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_LEASE_H
#define TT_LEASE_H

#include <stdint.h>

/*
 * A process under load (another request already waiting for it) may
 * reserve up to TT_LEASE_MAX tokens of a key in one bucket write, but at
 * most a 64th of the tokens the bucket still had left at the key's last
 * reservation: a key with the default 60 a minute always reserves one,
 * so its limit stays exact; only keys with thousands of tokens to spare
 * reserve in blocks. Reserved tokens are spent within TT_LEASE_TTL_US or
 * not at all: the bucket counted them when they were reserved, so it
 * never grants more than its limit, and a key may get up to that many
 * fewer refreshes. (Counted over a sliding window by the times of the
 * refreshes themselves, a key may show up to a second's refill more,
 * since a token is spent up to that long after it was counted.)
 */
#define TT_LEASE_MAX		64
#define TT_LEASE_TTL_US		1000000

/* How many tokens to reserve for the key whose hash is given (>= 1). */
int64_t	tt_lease_want(const char *hash, int busy);

/*
 * Records a reservation of granted tokens, one of which the current
 * request uses: the bucket is now ahead_us ahead of now, the key's limit
 * is limit per window_us.
 */
void	tt_lease_store(const char *hash, int64_t granted, int64_t ahead_us,
	    int64_t limit, int64_t window_us);

/* 1 when the key has a reserved token left that is still fresh. */
int	tt_lease_has(const char *hash);

/*
 * Spends one reserved token: 1 and the figures for the RateLimit-*
 * headers (the key's limit, the bucket's time ahead of now), or 0.
 */
int	tt_lease_take(const char *hash, int64_t *limit, int64_t *ahead_us);

/* Forgets the key's reservation (the key was refused). */
void	tt_lease_drop(const char *hash);

/* Forgets every reservation (tests). */
void	tt_lease_reset(void);

#endif
