/* jwks.h: an OIDC issuer's signing keys: discovery, fetch, shared cache. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_JWKS_H
#define TT_JWKS_H

#include "tt.h"

struct tt_arena;

/* Seconds a JWKS answer without Cache-Control max-age is kept. */
#define TT_JWKS_DEFAULT_TTL	300
/* The longest any JWKS is kept, whatever its max-age says. */
#define TT_JWKS_MAX_TTL		86400
/* Seconds after a failed fetch before that issuer is fetched again. */
#define TT_JWKS_RETRY_S		30

/*
 * Fetches issuer's JWKS with libcurl: GET {issuer}/.well-known/
 * openid-configuration, whose "issuer" must equal issuer exactly, then
 * its "jwks_uri". Both URLs must be https (http to loopback only with
 * TT_OIDC_ALLOW_LOOPBACK=1), no redirects, 3 s each, at most
 * TT_JWK_MAX_SET bytes. The JWKS is stored in oidc_jwks_cache until its
 * Cache-Control max-age (TT_JWKS_DEFAULT_TTL when absent, 0 for
 * no-store or no-cache, at most TT_JWKS_MAX_TTL), for every process.
 * TT_OK with *jwks arena-owned; TT_EUNAVAIL with *why (for the log,
 * not the client) when the issuer could not be read, a failure stored
 * in the same row (failed_until, TT_JWKS_RETRY_S ahead) so that no
 * process fetches that issuer again before then: the caller reads
 * failed_until with the cached keys (lib/trust.c) and does not call
 * this while it lies ahead. A good fetch clears it.
 */
enum tt_err	 tt_jwks_fetch(struct tt_arena *, const char *issuer,
		    const char **jwks, const char **why);

/* Seconds from a Cache-Control value (exposed for the unit test). */
long		 tt_jwks_max_age(const char *cache_control);

/* Releases the curl handle (at exit, for valgrind). */
void		 tt_jwks_cleanup(void);

#endif
