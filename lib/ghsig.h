/* ghsig.h: GitHub webhook signatures (X-Hub-Signature-256). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHSIG_H
#define TT_GHSIG_H

#include <stddef.h>

#include "crypto.h"

/*
 * Parses "sha256=" followed by exactly 64 lower-case hex digits, as
 * GitHub sends it; anything else (sha1=, upper case, spaces, a short or
 * long digest) is -1.
 */
int	tt_ghsig_parse(const char *header, unsigned char mac[TT_SHA256_LEN]);

/*
 * 1 when header is HMAC-SHA256(secret, body), compared in constant time;
 * 0 otherwise, also for an empty secret (never "unsigned is fine").
 */
int	tt_ghsig_verify(const char *header, const void *body, size_t len,
	    const unsigned char *secret, size_t secretlen);

/*
 * The webhook secrets from TT_GITHUB_WEBHOOK_SECRET_FILE: the first line
 * is the current secret, an optional second line the previous one (still
 * accepted while GitHub is switched over). Re-read when the file changes.
 * Returns the number of secrets (0: not configured, unreadable, empty or
 * too large, with why set: the variable, the file and the system's
 * reason, never its contents) and points at them; they and why stay valid
 * until the next call.
 */
int	tt_ghsig_secrets(const unsigned char *secret[2], size_t len[2],
	    const char **why);

/* Forgets the loaded secrets (tests, exit). */
void	tt_ghsig_cleanup(void);

#endif
