/* signkey.c: process cache of the jwt_secrets table. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "token.h"
#include "log.h"
#include "signkey.h"

#define RELOAD_EVERY	30	/* seconds */

struct secret {
	char		 kid[65];
	unsigned char	*bytes;
	size_t		 len;
	int		 active;
};

static struct secret	*secrets;
static size_t		 nsecrets;
static time_t		 loaded_at;
static time_t		 last_miss_reload;

/* Retired secrets stay usable while tokens they signed can be alive. */
TT_DB_STMT(stmt_load) = {
	.name = "signkey_load",
	.sql =
	    "SELECT kid, encode(secret, 'hex') AS secret, "
	    "retired_at IS NULL AS active FROM jwt_secrets "
	    "WHERE retired_at IS NULL OR retired_at > now() - "
	    "make_interval(secs => $1::int) ORDER BY created_at DESC, kid",
	.nparams = 1,
	.retry = 1,
};

void
tt_signkey_free(void)
{
	size_t	i;

	for (i = 0; i < nsecrets; i++) {
		memset(secrets[i].bytes, 0, secrets[i].len);
		free(secrets[i].bytes);
	}
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
	loaded_at = 0;
}

static enum tt_err
load(struct tt_arena *a, time_t now)
{
	struct tt_db_res	*res;
	struct secret		*s;
	const char		*p[1], *hex, *kid;
	char			 keep[24];
	enum tt_err		 e;
	int			 i, n;
	size_t			 hexlen;

	snprintf(keep, sizeof(keep), "%lld", (long long)
	    (tt_config.access_token_ttl + tt_config.clock_leeway +
	    RELOAD_EVERY + 1));
	p[0] = keep;
	if ((e = tt_db_run(a, &stmt_load, p, &res)) != TT_OK)
		return e;
	n = tt_db_nrows(res);
	s = calloc((size_t)n + 1, sizeof(*s));
	if (s == NULL)
		tt_oom((size_t)n);
	for (i = 0; i < n; i++) {
		kid = tt_db_get(res, i, "kid");
		hex = tt_db_get(res, i, "secret");
		hexlen = strlen(hex);
		snprintf(s[i].kid, sizeof(s[i].kid), "%s", kid);
		s[i].len = hexlen / 2;
		s[i].bytes = tt_xmalloc(s[i].len);
		s[i].active = strcmp(tt_db_get(res, i, "active"), "t") == 0;
		if (tt_crypto_unhex(hex, hexlen, s[i].bytes) != 0 ||
		    s[i].len < TT_TOKEN_MIN_SECRET) {
			tt_log_errx("signing secret %s is shorter than %d bytes "
			    "or unreadable; ignored", kid, TT_TOKEN_MIN_SECRET);
			s[i].len = 0;
		}
	}
	tt_signkey_free();
	secrets = s;
	nsecrets = (size_t)n;
	loaded_at = now;
	return TT_OK;
}

enum tt_err
tt_signkey_current(struct tt_arena *a, time_t now, const char **kid,
    const unsigned char **secret, size_t *len)
{
	enum tt_err	e;
	size_t		i;

	if (secrets == NULL || now - loaded_at >= RELOAD_EVERY ||
	    now < loaded_at) {
		if ((e = load(a, now)) != TT_OK && secrets == NULL)
			return e;
	}
	for (i = 0; i < nsecrets; i++)
		if (secrets[i].active && secrets[i].len > 0) {
			*kid = secrets[i].kid;
			*secret = secrets[i].bytes;
			*len = secrets[i].len;
			return TT_OK;
		}
	tt_log_errx("no active JWT signing secret: run ttctl secret rotate");
	return TT_EINTERNAL;
}

static int
find(const char *kid, const unsigned char **secret, size_t *len)
{
	size_t	i;

	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i].kid, kid) == 0 && secrets[i].len > 0) {
			*secret = secrets[i].bytes;
			*len = secrets[i].len;
			return 1;
		}
	return 0;
}

enum tt_err
tt_signkey_lookup(struct tt_arena *a, time_t now, const char *kid,
    const unsigned char **secret, size_t *len)
{
	enum tt_err	e;

	if (secrets == NULL || now - loaded_at >= RELOAD_EVERY ||
	    now < loaded_at) {
		if ((e = load(a, now)) != TT_OK && secrets == NULL)
			return e;
	}
	if (find(kid, secret, len))
		return TT_OK;
	/* Maybe a secret another server just created; not more than 1/s. */
	if (now != last_miss_reload) {
		last_miss_reload = now;
		if ((e = load(a, now)) != TT_OK)
			return e;
		if (find(kid, secret, len))
			return TT_OK;
	}
	return TT_ENOTFOUND;
}
