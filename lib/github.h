/*
 * github.h: HTTP to GitHub over libcurl: limits, retries, rate limits,
 * time budgets, path and name checks. The App's credentials and calls
 * made as an installation are ghauth.h's.
 */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GITHUB_H
#define TT_GITHUB_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct cJSON;

/* What GitHub answered to one call (after the client's own retries). */
struct tt_github_resp {
	long		 status;	/* HTTP status; 0 when nothing came */
	const char	*body;		/* NUL-terminated, arena-owned */
	size_t		 body_len;
	struct cJSON	*json;		/* body parsed, or NULL */
	int64_t		 retry_after;	/* rate-limited: seconds to wait */
	const char	*error;		/* why it failed, for last_error */
};

/*
 * Every later call must end before this many milliseconds from now
 * (connect and total timeouts shrink to fit; no retry starts after it);
 * 0 removes the deadline. The webhook program sets one for the work it
 * does after answering; `ttctl events drain` runs without.
 */
void		 tt_github_set_budget_ms(int64_t ms);

/*
 * One REST call below the API base (TT_GITHUB_API_URL): method ("GET",
 * "POST", "PATCH", "PUT", "DELETE"), path ("/repos/o/r/check-runs";
 * built by the caller from validated parts only), auth the whole
 * Authorization value (a secret: never logged), body JSON text or NULL.
 * retry allows the in-process retries on 5xx and network errors (within
 * the budget). Answers with a status, including 4xx, are TT_OK with out
 * filled (the caller judges the status). TT_EUNAVAIL: no usable answer
 * (network, timeout, 5xx after retries, redirect, oversize body, rate
 * limit with out->retry_after set, budget spent, unusable API base);
 * TT_EINVAL: a bad method, path or auth; TT_EINTERNAL: curl could not
 * start. out->error says why in every failure. The body is arena-owned.
 */
enum tt_err	 tt_github_http(struct tt_arena *, const char *method,
		    const char *path, const char *auth, const char *body,
		    int retry, struct tt_github_resp *out);

/*
 * A POST to the GitHub web base (TT_GITHUB_URL, not the API), body JSON,
 * Accept: application/json, no Authorization, no retry: the OAuth code
 * exchange (ghoauth.c). Errors as tt_github_http.
 */
enum tt_err	 tt_github_web_post(struct tt_arena *, const char *path,
		    const char *body, struct tt_github_resp *);

/* An owner or repository name safe in a URL path: [A-Za-z0-9._-]{1,100}, not "." or "..". */
int		 tt_github_name_valid(const char *);

/*
 * 1 when tt_github_http takes the method and the path (checks a caller
 * can make before it does anything else: ghauth.c, before a token).
 */
int		 tt_github_method_valid(const char *method);
int		 tt_github_path_valid(const char *path);

/* Releases the curl handle (at exit, for valgrind). */
void		 tt_github_cleanup(void);

#endif
