/*
 * refresh.h: POST /api/v1/access-token/refresh's statements: an API key
 * refreshed (its bucket, the caller's address bucket, last_used_at and
 * the audit row in one statement), and an OIDC exchange's verdict
 * recorded (its jti, the address bucket and the audit row).
 */
/* SPDX-License-Identifier: MIT */
#ifndef TT_REFRESH_H
#define TT_REFRESH_H

#include <stdint.h>
#include <time.h>

#include "audit.h"
#include "tt.h"

struct tt_arena;
struct tt_req;
struct tt_trust_grant;

/* Who asks, and the limits, as the statements take them (worked out once). */
struct tt_refresh_caller {
	struct tt_audit_src	 src;		/* address and agent, cleaned */
	const char		*addr;		/* src.addr, or "" */
	int64_t			 window_us;
	char			 per_key[24], per_addr[24], window[24];
};

void		 tt_refresh_caller(const struct tt_req *,
		    struct tt_refresh_caller *);

enum tt_refresh_outcome {
	TT_REFRESH_OK,
	TT_REFRESH_UNKNOWN,		/* no such key */
	TT_REFRESH_REVOKED,
	TT_REFRESH_EXPIRED,
	TT_REFRESH_KEY_LIMITED,		/* the key's bucket is empty */
	TT_REFRESH_ADDRESS_LIMITED,	/* refused, from a limited address */
	TT_REFRESH_REPLAYED,		/* an ID token already exchanged */
	TT_REFRESH_REFUSED,		/* an ID token refused by a check */
};

/* A refreshed key: its row, and the buckets as the statement left them. */
struct tt_refresh_key {
	enum tt_refresh_outcome	 outcome;
	const char		*id, *user_id;	/* NULL when unknown */
	const char		*caps;		/* JSON text */
	int64_t			 limit;		/* the key's, per window */
	int64_t			 granted;	/* tokens taken (ok: >= 1) */
	int64_t			 ahead_us;	/* ok: the key's bucket ahead */
	int64_t			 key_before;	/* key limited: it was ahead */
	int64_t			 addr_before;	/* address limited: likewise */
};

/*
 * Refreshes the key whose SHA-256 (hex) is given, taking up to want of
 * its tokens (lib/refreshq.h), in one statement and round trip. TT_OK
 * with the outcome in *k, or a database error.
 */
enum tt_err	 tt_refresh_key(struct tt_arena *,
		    const struct tt_refresh_caller *, const char *hash,
		    int64_t want, struct tt_refresh_key *k);

/*
 * Records an OIDC exchange's verdict: known is "ok" (g passed every
 * check), the failed check's name, or "keys_unavailable". A granted
 * token's issuer and jti are recorded, so of several exchanges of one
 * token exactly one is TT_REFRESH_OK (the others TT_REFRESH_REPLAYED);
 * a refused one is TT_REFRESH_ADDRESS_LIMITED (with *addr_before) when
 * its address has used up its refused credentials, else
 * TT_REFRESH_REFUSED.
 */
enum tt_err	 tt_refresh_exchange(struct tt_arena *,
		    const struct tt_refresh_caller *, const char *known,
		    const struct tt_trust_grant *, time_t now,
		    enum tt_refresh_outcome *, int64_t *addr_before);

#endif
