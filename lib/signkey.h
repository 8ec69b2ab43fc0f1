/* signkey.h: the HS256 signing secrets, shared through the database. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_SIGNKEY_H
#define TT_SIGNKEY_H

#include <stddef.h>
#include <time.h>

#include "tt.h"

struct tt_arena;

/*
 * The secret to sign with now (the newest active one). Loaded from the
 * jwt_secrets table on first use and again every 30 s, so a rotation on
 * any server reaches every process. Borrowed pointers, valid until the
 * next call. TT_EUNAVAIL if the database cannot be read, TT_EINTERNAL
 * if there is no active secret (run ttctl secret rotate).
 */
enum tt_err	 tt_signkey_current(struct tt_arena *, time_t now,
		    const char **kid, const unsigned char **secret,
		    size_t *len);

/*
 * The secret named kid, active or retired recently enough that tokens it
 * signed may still be live. Reloads on an unknown kid (at most once a
 * second). TT_ENOTFOUND for an unknown kid.
 */
enum tt_err	 tt_signkey_lookup(struct tt_arena *, time_t now,
		    const char *kid, const unsigned char **secret,
		    size_t *len);

/* Frees the cache (at exit). */
void		 tt_signkey_free(void);

#endif
