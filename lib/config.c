/* config.c: TT_* environment variables, validated once at start. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "valid.h"

#ifndef TT_DEFAULT_DATABASE_URL
#define TT_DEFAULT_DATABASE_URL	"dbname=terrateam"
#endif
#ifndef TT_DEFAULT_SQL_DIR
#define TT_DEFAULT_SQL_DIR	"/usr/local/share/terrateam-c/sql"
#endif
#ifndef TT_DEFAULT_OPENAPI_FILE
#define TT_DEFAULT_OPENAPI_FILE	"/usr/local/share/terrateam-c/openapi.json"
#endif

struct tt_config tt_config;

struct int_var {
	const char	*name;
	int64_t		*dst;
	int64_t		 def, min, max;
};

static const char *
str_var(const char *name, const char *def)
{
	const char	*v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

/*
 * https://anything, or http:// to exactly 127.0.0.1, localhost or [::1]
 * (with an optional :port), for tests against a local mock.
 */
static int
url_allowed(const char *u)
{
	return tt_config_url_ok(u, 1);
}

int
tt_config_url_ok(const char *u, int http_loopback)
{
	static const char *const hosts[] = { "127.0.0.1", "localhost",
	    "[::1]" };
	const char	*rest;
	size_t		 i, n;

	if (strncmp(u, "https://", 8) == 0)
		return u[8] != '\0' && strchr(u, '@') == NULL;
	if (!http_loopback || strncmp(u, "http://", 7) != 0)
		return 0;
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		n = strlen(hosts[i]);
		if (strncmp(u + 7, hosts[i], n) != 0)
			continue;
		rest = u + 7 + n;
		if (*rest == ':') {
			rest++;
			if (*rest < '0' || *rest > '9')
				return 0;
			while (*rest >= '0' && *rest <= '9')
				rest++;
		}
		return (*rest == '\0' || *rest == '/') &&
		    strchr(u, '@') == NULL;
	}
	return 0;
}

/* A host name or IPv4 address ([A-Za-z0-9.-]) or [IPv6]; its length. */
static size_t
host_len(const char *p)
{
	size_t	n;

	if (*p == '[') {
		n = 1 + strspn(p + 1, "0123456789abcdefABCDEF:.");
		return n > 1 && p[n] == ']' ? n + 1 : 0;
	}
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-");
	return n > 0 && p[0] != '.' && p[0] != '-' ? n : 0;
}

int
tt_config_public_url_ok(const char *u)
{
	static const char *const loopback[] = { "127.0.0.1", "localhost",
	    "[::1]" };
	const char	*host, *p;
	size_t		 n, i;
	long		 port = 0;
	int		 https;

	if (strncmp(u, "https://", 8) == 0)
		https = 1;
	else if (strncmp(u, "http://", 7) == 0)
		https = 0;
	else
		return 0;
	host = u + (https ? 8 : 7);
	if ((n = host_len(host)) == 0 || n > 253)
		return 0;
	p = host + n;
	if (*p == ':') {
		for (p++, i = 0; *p >= '0' && *p <= '9' && i < 6; p++, i++)
			port = port * 10 + (*p - '0');
		if (i == 0 || port < 1 || port > 65535)
			return 0;
	}
	if (*p != '\0' && *p != '/')
		return 0;
	/* A path: RFC 3986 pchars without '%' and '@'; not ending in '/'. */
	if (strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-._~!$&'()*+,;=:/") != strlen(p) ||
	    (*p != '\0' && p[strlen(p) - 1] == '/'))
		return 0;
	if (https)
		return 1;
	for (i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (strlen(loopback[i]) == n &&
		    strncmp(host, loopback[i], n) == 0)
			return 1;
	return 0;
}

int
tt_config_load(char *err, size_t errlen)
{
	struct tt_config	*c = &tt_config;
	const struct int_var	 ints[] = {
		{ "TT_ACCESS_TOKEN_TTL", &c->access_token_ttl, 60, 1, 3600 },
		{ "TT_CLOCK_LEEWAY", &c->clock_leeway, 5, 0, 300 },
		{ "TT_KV_MAX_VALUE_BYTES", &c->kv_max_value_bytes, 1048576, 1,
		    64 * 1048576 },
		{ "TT_MAX_BODY_BYTES", &c->max_body_bytes, 1048576, 1,
		    64 * 1048576 },
		{ "TT_STATEMENT_TIMEOUT_MS", &c->statement_timeout_ms, 5000,
		    100, 600000 },
		{ "TT_DATABASE_PREPARE", &c->database_prepare, 1, 0, 1 },
		{ "TT_OIDC_ALLOW_LOOPBACK", &c->oidc_allow_loopback, 0, 0, 1 },
		{ "TT_WEB_SESSION_TTL", &c->web_session_ttl, 28800, 300,
		    2592000 },
		{ "TT_WEB_REMOTE_USER", &c->web_remote_user, 0, 0, 1 },
		{ "TT_REFRESH_RATE_PER_KEY", &c->refresh_rate_per_key, 60, 1,
		    1000000000 },
		{ "TT_REFRESH_RATE_PER_ADDRESS", &c->refresh_rate_per_address,
		    30, 1, 1000000000 },
		{ "TT_REFRESH_RATE_WINDOW", &c->refresh_rate_window, 60, 1,
		    86400 },
		{ "TT_REFRESH_RESERVE", &c->refresh_reserve, 1, 0, 1 },
		{ "TT_AUDIT_RETENTION_DAYS", &c->audit_retention_days, 90, 1,
		    36500 },
		{ "TT_RUN_TIMEOUT", &c->run_timeout, 86400, 60, 7 * 86400 },
		{ "TT_MAX_PLAN_BYTES", &c->max_plan_bytes, 64 * 1048576, 1048576,
		    1024 * 1048576 },
		{ "TT_PLAN_RETENTION_DAYS", &c->plan_retention_days, 14, 1,
		    3650 },
	};
	static const char *const levels[TT_LOG__MAX] = {
		[TT_LOG_DEBUG] = "debug", [TT_LOG_INFO] = "info",
		[TT_LOG_WARN] = "warn", [TT_LOG_ERROR] = "error",
	};
	const char	*v, *why;
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		v = getenv(ints[i].name);
		if (v == NULL || v[0] == '\0') {
			*ints[i].dst = ints[i].def;
			continue;
		}
		if (tt_valid_int64(v, ints[i].min, ints[i].max,
		    ints[i].dst) != 0) {
			snprintf(err, errlen, "invalid %s \"%.64s\": expected "
			    "an integer from %lld to %lld", ints[i].name, v,
			    (long long)ints[i].min, (long long)ints[i].max);
			return -1;
		}
	}

	c->database_url = str_var("TT_DATABASE_URL", TT_DEFAULT_DATABASE_URL);
	c->database_read_url = str_var("TT_DATABASE_READ_URL", NULL);
	c->jwt_issuer = str_var("TT_JWT_ISSUER", "terrateam");
	c->github_api_url = str_var("TT_GITHUB_API_URL",
	    "https://api.github.com");
	c->github_app_id = str_var("TT_GITHUB_APP_ID", NULL);
	c->github_app_private_key_file =
	    str_var("TT_GITHUB_APP_PRIVATE_KEY_FILE", NULL);
	c->github_webhook_secret_file =
	    str_var("TT_GITHUB_WEBHOOK_SECRET_FILE", NULL);
	c->github_url = str_var("TT_GITHUB_URL", "https://github.com");
	c->github_oauth_client_id = str_var("TT_GITHUB_OAUTH_CLIENT_ID", NULL);
	c->github_oauth_client_secret_file =
	    str_var("TT_GITHUB_OAUTH_CLIENT_SECRET_FILE", NULL);
	c->sql_dir = str_var("TT_SQL_DIR", TT_DEFAULT_SQL_DIR);
	c->openapi_file = str_var("TT_OPENAPI_FILE", TT_DEFAULT_OPENAPI_FILE);

	if (!url_allowed(c->github_api_url)) {
		snprintf(err, errlen, "invalid TT_GITHUB_API_URL \"%.128s\": "
		    "expected an https:// URL (http:// only on loopback)",
		    c->github_api_url);
		return -1;
	}
	if (!url_allowed(c->github_url)) {
		snprintf(err, errlen, "invalid TT_GITHUB_URL \"%.128s\": "
		    "expected an https:// URL (http:// only on loopback)",
		    c->github_url);
		return -1;
	}
	v = str_var("TT_TRUSTED_PROXIES", "");
	if ((n = tt_clientaddr_parse(v, c->trusted_proxies,
	    TT_CLIENTADDR_MAX, &why)) < 0) {
		snprintf(err, errlen, "invalid TT_TRUSTED_PROXIES \"%.128s\": "
		    "%s (expected addresses or CIDR blocks, such as "
		    "\"10.0.0.0/8, 192.0.2.7\", at most %d)", v, why,
		    TT_CLIENTADDR_MAX);
		return -1;
	}
	c->ntrusted_proxies = (size_t)n;

	c->public_url = str_var("TT_PUBLIC_URL", NULL);
	if (c->public_url != NULL && !tt_config_public_url_ok(c->public_url)) {
		snprintf(err, errlen, "invalid TT_PUBLIC_URL \"%.128s\": "
		    "expected the server's base URL as browsers reach it, "
		    "https://host[:port][/path] without a trailing '/', query "
		    "or fragment (http:// only to 127.0.0.1, localhost or "
		    "[::1])", c->public_url);
		return -1;
	}
	c->public_url_https = c->public_url != NULL &&
	    strncmp(c->public_url, "https://", 8) == 0;
	if (strlen(c->jwt_issuer) > 256) {
		snprintf(err, errlen, "invalid TT_JWT_ISSUER: longer than 256 "
		    "bytes");
		return -1;
	}

	v = str_var("TT_LOG_LEVEL", "info");
	for (i = 0; i < TT_LOG__MAX; i++)
		if (strcmp(v, levels[i]) == 0)
			break;
	if (i == TT_LOG__MAX) {
		snprintf(err, errlen, "invalid TT_LOG_LEVEL \"%.32s\": expected "
		    "debug, info, warn or error", v);
		return -1;
	}
	c->log_level = (enum tt_log_level)i;
	return 0;
}

void
tt_config_load_or_die(const char *prog)
{
	char	err[512];

	if (tt_config_load(err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: configuration error: %s\n", prog, err);
		exit(1);
	}
	tt_log_init(prog, tt_config.log_level);
}
