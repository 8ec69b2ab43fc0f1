/*
 * ghauth.h: the GitHub App's credentials (its key, its RS256 JWT,
 * installation tokens and their sealed cache) and the REST call made as
 * an installation, over github.h's HTTP.
 */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHAUTH_H
#define TT_GHAUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tt.h"

struct tt_arena;
struct cJSON;
struct tt_github_resp;

/*
 * TT_OK when TT_GITHUB_APP_ID and TT_GITHUB_APP_PRIVATE_KEY_FILE are set
 * and the key loads (an RSA private key in PEM); otherwise TT_EUNAVAIL
 * with why filled. Loads the key once per process.
 */
enum tt_err	 tt_ghauth_configured(char *why, size_t whylen);

/*
 * 1 when the App is meant to be used: TT_GITHUB_APP_ID or
 * TT_GITHUB_APP_PRIVATE_KEY_FILE is set. A tt_ghauth_configured failure
 * is then a misconfiguration to report as an error; with neither set,
 * deliveries wait in the ledger by design.
 */
int		 tt_ghauth_wanted(void);

/*
 * The App's RS256 JWT (arena-owned): header {"alg":"RS256","typ":"JWT"},
 * claims iat = now - 60, exp = now + 540, iss = the app id (a string).
 */
enum tt_err	 tt_ghauth_app_jwt(struct tt_arena *, time_t now,
		    const char **jwt);

/*
 * One REST call as installation inst: method ("GET", "POST", "PATCH"),
 * path below the API base ("/repos/o/r/check-runs"; built by the caller
 * from validated parts only), body JSON or NULL.
 * The installation token comes from this process's memory, the shared
 * cache (database) or POST /app/installations/{inst}/access_tokens, and
 * is refreshed once when GitHub answers 401. Answers with a status,
 * including 4xx, are TT_OK with out filled (the caller judges the
 * status). TT_EUNAVAIL: no usable answer (no App, no token, network,
 * timeout, 5xx after retries, redirect, oversize body, rate limit with
 * out->retry_after set); TT_EINVAL: a bad method, path or installation
 * id; TT_EINTERNAL: the App JWT could not be signed or curl could not
 * start. out->error says why in every failure.
 */
enum tt_err	 tt_ghauth_call(struct tt_arena *, int64_t inst,
		    const char *method, const char *path,
		    const struct cJSON *body, struct tt_github_resp *out);

/*
 * A new installation token for the runner of a work manifest (RUNNER.md
 * R2): scoped to the one repository repo and to what the runner needs
 * (contents read, pull requests and issues write), never cached here.
 * *token is arena-owned. TT_EINVAL for a bad repository name,
 * TT_EUNAVAIL when GitHub gives none.
 */
enum tt_err	 tt_ghauth_runner_token(struct tt_arena *, int64_t inst,
		    const char *repo, const char **token);

/*
 * The token cache's sealing, public for its unit test: a token sealed
 * for the cache table (AES-256-GCM under a key derived from the App key,
 * inst as associated data) as hex text of nonce || ciphertext || tag,
 * and back. Arena-owned; NULL when the App key is not loaded, or when
 * hex does not open under inst and this key.
 */
const char	*tt_ghauth_seal(struct tt_arena *, int64_t inst,
		    const char *token);
const char	*tt_ghauth_unseal(struct tt_arena *, int64_t inst,
		    const char *hex);

/*
 * Frees the App key and wipes the tokens this process holds (at exit,
 * for valgrind; tt_github_cleanup releases the HTTP client).
 */
void		 tt_ghauth_cleanup(void);

#endif
