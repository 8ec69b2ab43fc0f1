/*
 * jwks.c: an OIDC issuer's signing keys: discovery, fetch, shared cache.
 *
 * The cache lives in PostgreSQL (oidc_jwks_cache), not in the process:
 * under plain CGI and mod_fcgid's short-lived processes a per-process
 * copy would be refetched on nearly every exchange, and one row shared
 * by every process and web server means one fetch per issuer per
 * max-age. A failed fetch is kept in the same row for TT_JWKS_RETRY_S,
 * so an issuer that is down (or a flood of forged tokens naming one)
 * costs one outbound fetch per 30 s, not one per exchange. trust.c
 * reads the row in the same round trip as the policies, so a cached
 * exchange costs no extra query.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "jwk.h"
#include "jwks.h"
#include "log.h"

#define FETCH_MS	3000
#define CONNECT_MS	2000

struct fetch {
	struct tt_buf	 body;
	int		 too_big;
	char		 cache_control[256];
};

static CURL	*curl;

TT_DB_STMT(stmt_store) = {
	.name = "jwks_store",
	.sql =
	    "INSERT INTO oidc_jwks_cache (issuer, jwks, fetched_at, expires_at) "
	    "VALUES ($1, $2, now(), now() + make_interval(secs => $3::int)) "
	    "ON CONFLICT (issuer) DO UPDATE SET jwks = EXCLUDED.jwks, "
	    "fetched_at = EXCLUDED.fetched_at, expires_at = EXCLUDED.expires_at, "
	    "failed_until = NULL",
	.nparams = 3,
	.retry = 1,
};

/*
 * A failed fetch: no process fetches the issuer again for $2 seconds.
 * The keys a row already holds stay (a stale copy is still used); a new
 * row holds the failure only, stale at once.
 */
TT_DB_STMT(stmt_failed) = {
	.name = "jwks_failed",
	.sql =
	    "INSERT INTO oidc_jwks_cache (issuer, jwks, fetched_at, expires_at, "
	    "failed_until) VALUES ($1, NULL, now(), now(), now() + "
	    "make_interval(secs => $2::int)) ON CONFLICT (issuer) DO UPDATE SET "
	    "failed_until = EXCLUDED.failed_until",
	.nparams = 2,
	.retry = 1,
};

static size_t
on_body(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = sz * nmemb;

	if (n > (size_t)TT_JWK_MAX_SET - f->body.n) {
		f->too_big = 1;
		return 0;
	}
	tt_buf_put(&f->body, p, n);
	return n;
}

/* Keeps the last Cache-Control header of the final answer. */
static size_t
on_header(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = sz * nmemb, len = strlen("cache-control:"), v;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		f->cache_control[0] = '\0';
	else if (n > len && strncasecmp(p, "cache-control:", len) == 0) {
		v = n - len < sizeof(f->cache_control) - 1 ? n - len :
		    sizeof(f->cache_control) - 1;
		memcpy(f->cache_control, p + len, v);
		f->cache_control[v] = '\0';
	}
	return n;
}

long
tt_jwks_max_age(const char *cc)
{
	const char	*p;
	long		 v = 0;

	if (cc == NULL)
		return TT_JWKS_DEFAULT_TTL;
	if (strcasestr(cc, "no-store") != NULL ||
	    strcasestr(cc, "no-cache") != NULL)
		return 0;
	for (p = cc; (p = strcasestr(p, "max-age")) != NULL; p += 7) {
		/* Not s-maxage or a longer token ending in max-age. */
		if (p != cc && p[-1] != ' ' && p[-1] != ',' && p[-1] != '\t')
			continue;
		if (p[7] != '=' || p[8] < '0' || p[8] > '9')
			return TT_JWKS_DEFAULT_TTL;
		for (p += 8; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (*p - '0')) > TT_JWKS_MAX_TTL)
				v = TT_JWKS_MAX_TTL;
		return v;
	}
	return TT_JWKS_DEFAULT_TTL;
}

/* One GET of an allowed URL; the parsed JSON object, or NULL with *why. */
static cJSON *
get_json(struct tt_arena *a, const char *url, struct fetch *f,
    const char **why)
{
	int		 loop = (int)tt_config.oidc_allow_loopback;
	long		 status = 0;
	CURLcode	 rc;
	cJSON		*j;

	memset(f, 0, sizeof(*f));
	if (!tt_config_url_ok(url, loop)) {
		*why = loop ? "URL is neither https nor http on loopback" :
		    "URL is not https";
		return NULL;
	}
	if (curl == NULL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		    (curl = curl_easy_init()) == NULL) {
			*why = "curl could not start";
			return NULL;
		}
	}
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, loop ? "http,https" :
	    "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)FETCH_MS);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)TT_JWK_MAX_SET);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "terrateam-c");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, f);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200) {
		tt_buf_free(&f->body);
		*why = rc != CURLE_OK ? (f->too_big ? "answer too large" :
		    curl_easy_strerror(rc)) : "answer was not 200";
		return NULL;
	}
	j = tt_json_parse(a, f->body.p != NULL ? f->body.p : "", f->body.n,
	    why);
	if (j != NULL && !cJSON_IsObject(j)) {
		*why = "answer is not a JSON object";
		j = NULL;
	}
	return j;
}

/* Discovery, then the JWKS; *cc its Cache-Control max-age in seconds. */
static enum tt_err
fetch_keys(struct tt_arena *a, const char *issuer, const char **jwks,
    long *cc, const char **why)
{
	struct fetch		 f;
	const char		*uri, *iss;
	size_t			 n = strlen(issuer);
	cJSON			*d;

	*jwks = NULL;
	while (n > 0 && issuer[n - 1] == '/')
		n--;
	d = get_json(a, tt_arena_printf(a, "%.*s/.well-known/"
	    "openid-configuration", (int)n, issuer), &f, why);
	tt_buf_free(&f.body);
	if (d == NULL) {
		*why = tt_arena_printf(a, "discovery document: %s", *why);
		return TT_EUNAVAIL;
	}
	iss = tt_json_string(d, "issuer");
	uri = tt_json_string(d, "jwks_uri");
	if (iss == NULL || strcmp(iss, issuer) != 0 || uri == NULL) {
		*why = "discovery document: issuer differs or no jwks_uri";
		return TT_EUNAVAIL;
	}
	if (get_json(a, uri, &f, why) == NULL) {
		tt_buf_free(&f.body);
		*why = tt_arena_printf(a, "JWKS: %s", *why);
		return TT_EUNAVAIL;
	}
	*jwks = tt_arena_strndup(a, f.body.p, f.body.n);
	tt_buf_free(&f.body);
	if (!tt_jwk_set_valid(a, *jwks, strlen(*jwks), why)) {
		*jwks = NULL;
		return TT_EUNAVAIL;
	}
	*cc = tt_jwks_max_age(f.cache_control[0] != '\0' ? f.cache_control :
	    NULL);
	return TT_OK;
}

enum tt_err
tt_jwks_fetch(struct tt_arena *a, const char *issuer, const char **jwks,
    const char **why)
{
	struct tt_db_res	*r;
	const char		*p[3];
	char			 ttl[24];
	long			 cc = 0;
	enum tt_err		 e;

	if (fetch_keys(a, issuer, jwks, &cc, why) != TT_OK) {
		snprintf(ttl, sizeof(ttl), "%d", TT_JWKS_RETRY_S);
		p[0] = issuer;
		p[1] = ttl;
		if ((e = tt_db_run(a, &stmt_failed, p, &r)) != TT_OK)
			tt_log_warnx("jwks: could not record the failed fetch "
			    "of %.128s: %s", issuer, tt_err_str(e));
		return TT_EUNAVAIL;
	}
	snprintf(ttl, sizeof(ttl), "%ld", cc);
	p[0] = issuer;
	p[1] = *jwks;
	p[2] = ttl;
	/* The keys are good even if the cache cannot take them. */
	if ((e = tt_db_run(a, &stmt_store, p, &r)) != TT_OK)
		tt_log_warnx("jwks: could not cache the keys of %.128s: %s",
		    issuer, tt_err_str(e));
	return TT_OK;
}

void
tt_jwks_cleanup(void)
{
	if (curl != NULL) {
		curl_easy_cleanup(curl);
		curl = NULL;
		curl_global_cleanup();
	}
}
