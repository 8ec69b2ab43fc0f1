/*
 * refreshq.h: refreshes of a busy key spent from tokens reserved in
 * advance, their audit rows written to the trail in groups.
 *
 * A program with another request already waiting may take several of a
 * key's tokens in one bucket write (lib/lease.h says how many) and spend
 * them on that key's next refreshes with one read each; those refreshes'
 * audit rows wait in the process (lib/auditq.h) and are written as one
 * statement when the queue is full or old, when no request comes within
 * a moment, or when the process idles or exits. TT_REFRESH_RESERVE=0
 * turns it all off: every refresh then takes one token and writes its
 * own row (tt_refresh_key).
 */
/* SPDX-License-Identifier: MIT */
#ifndef TT_REFRESHQ_H
#define TT_REFRESHQ_H

#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_refresh_caller;
struct tt_refresh_key;

/*
 * A refresh of the key (hash: its SHA-256, hex) from a token reserved
 * earlier, when the key is still live and one is left: *done 1 and the
 * key in *k (outcome TT_REFRESH_OK, ahead_us for the RateLimit-*
 * headers); else *done 0 and tt_refresh_key must run.
 */
enum tt_err	 tt_refreshq_spend(struct tt_arena *,
		    const struct tt_refresh_caller *, const char *hash,
		    struct tt_refresh_key *k, int *done);

/* How many tokens tt_refresh_key should take for the key (>= 1). */
int64_t		 tt_refreshq_want(const char *hash);

/* What tt_refresh_key granted the key (k->outcome TT_REFRESH_OK). */
void		 tt_refreshq_store(const char *hash,
		    const struct tt_refresh_key *k, int64_t window_us);

/* Forgets the key's reservation (the key was refused). */
void		 tt_refreshq_drop(const char *hash);

/* After each request, before its answer: writes the rows when due. */
void		 tt_refreshq_settle(struct tt_arena *);

#endif
