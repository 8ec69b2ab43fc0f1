/* github.h: the GitHub App client: app JWT, installation tokens, REST. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GITHUB_H
#define TT_GITHUB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

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
 * TT_OK when TT_GITHUB_APP_ID and TT_GITHUB_APP_PRIVATE_KEY_FILE are set
 * and the key loads (an RSA private key in PEM); otherwise TT_EUNAVAIL
 * with why filled. Loads the key once per process.
 */
enum tt_err	 tt_github_configured(char *why, size_t whylen);

/*
 * 1 when the App is meant to be used: TT_GITHUB_APP_ID or
 * TT_GITHUB_APP_PRIVATE_KEY_FILE is set. A tt_github_configured failure
 * is then a misconfiguration to report as an error; with neither set,
 * deliveries wait in the ledger by design.
 */
int		 tt_github_wanted(void);

/*
 * The App's RS256 JWT: header {"alg":"RS256","typ":"JWT"}, claims
 * iat = now - 60, exp = now + 540, iss = the app id (a string).
 */
enum tt_err	 tt_github_app_jwt(struct tt_arena *, time_t now,
		    const char **jwt);

/*
 * Every later call must end before this many milliseconds from now
 * (connect and total timeouts shrink to fit; no retry starts after it);
 * 0 removes the deadline. The webhook program sets one for the work it
 * does after answering; `ttctl events drain` runs without.
 */
void		 tt_github_set_budget_ms(int64_t ms);

/*
 * One REST call as installation inst: method ("GET", "POST", "PATCH"),
 * path below the API base ("/repos/o/r/check-runs"; built by the caller
 * from validated parts only), body JSON or NULL.
 * The installation token comes from the shared cache (database) or from
 * POST /app/installations/{inst}/access_tokens, and is refreshed once
 * when GitHub answers 401. Answers with a status, including 4xx, are
 * TT_OK with out filled (the caller judges the status). TT_EUNAVAIL:
 * no usable answer (network, timeout, 5xx after retries, redirect,
 * oversize body, rate limit with out->retry_after set); TT_EINVAL: a bad
 * path; out->error says why in every failure.
 */
enum tt_err	 tt_github_call(struct tt_arena *, int64_t inst,
		    const char *method, const char *path,
		    const struct cJSON *body, struct tt_github_resp *out);

/*
 * A POST to the GitHub web base (TT_GITHUB_URL, not the API), body JSON,
 * Accept: application/json, no Authorization, no retry: the OAuth code
 * exchange (ghoauth.c). Errors as tt_github_http.
 */
enum tt_err	 tt_github_web_post(struct tt_arena *, const char *path,
		    const char *body, struct tt_github_resp *);

/* An owner or repository name safe in a URL path: [A-Za-z0-9._-]{1,100}, not "." or "..". */
int		 tt_github_name_valid(const char *);

/* Releases the curl handle and the key (at exit, for valgrind). */
void		 tt_github_cleanup(void);

/*
 * Private to github.c and ghauth.c (and their unit test).
 *
 * tt_github_inst_token: installation inst's token (arena-owned), from
 * this process's memory, the shared table or GitHub; fresh drops the
 * cached one (memory and row) and fetches a new one. The response struct
 * describes the token request when that fails.
 */
enum tt_err	 tt_github_inst_token(struct tt_arena *, int64_t inst,
		    int fresh, const char **token, struct tt_github_resp *);
/*
 * One HTTP exchange, no token logic: auth is the Authorization value;
 * retry allows the in-process retries on 5xx and network errors.
 */
enum tt_err	 tt_github_http(struct tt_arena *, const char *method,
		    const char *path, const char *auth, const char *body,
		    int retry, struct tt_github_resp *);
/*
 * A token sealed for the cache table (AES-256-GCM under a key derived
 * from the App key, inst as associated data) as hex text of nonce ||
 * ciphertext || tag, and back. Arena-owned; NULL when the App key is not
 * loaded, or when hex does not open under inst and this key.
 */
const char	*tt_github_seal(struct tt_arena *, int64_t inst,
		    const char *token);
const char	*tt_github_unseal(struct tt_arena *, int64_t inst,
		    const char *hex);
/* Frees the App key and wipes the token cache (tt_github_cleanup). */
void		 tt_github_auth_cleanup(void);

#endif
