/* config.h: process configuration from TT_* environment variables. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_CONFIG_H
#define TT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "clientaddr.h"
#include "log.h"

struct tt_config {
	const char		*database_url;
	/* The read-only routes' data reads (db.h .standby), or NULL. */
	const char		*database_read_url;
	int64_t			 access_token_ttl;	/* seconds, 1..3600 */
	const char		*jwt_issuer;
	int64_t			 clock_leeway;		/* seconds, 0..300 */
	int64_t			 kv_max_value_bytes;
	int64_t			 max_body_bytes;
	int64_t			 statement_timeout_ms;
	/*
	 * TT_DATABASE_PREPARE: 1, statements are prepared once per
	 * connection under their names; 0, sent unnamed every time (a
	 * pooler in transaction mode shares server connections).
	 */
	int64_t			 database_prepare;
	const char		*github_api_url;
	const char		*github_app_id;
	const char		*github_app_private_key_file;
	const char		*github_webhook_secret_file;
	const char		*github_url;	/* github.com: OAuth sign-in */
	const char		*github_oauth_client_id;
	const char		*github_oauth_client_secret_file;
	/*
	 * TT_PUBLIC_URL, the server's base URL as browsers and GitHub
	 * reach it (NULL when unset): the OAuth redirect_uri, and whether
	 * cookies are Secure. Never taken from a request's Host.
	 */
	const char		*public_url;
	int			 public_url_https;
	/* TT_TRUSTED_PROXIES: peers whose X-Forwarded-For names the client */
	struct tt_cidr		 trusted_proxies[TT_CLIENTADDR_MAX];
	size_t			 ntrusted_proxies;
	int64_t			 web_session_ttl;	/* seconds */
	int64_t			 web_remote_user;	/* trust REMOTE_USER */
	enum tt_log_level	 log_level;
	const char		*sql_dir;
	const char		*openapi_file;	/* served by health */
	/* 1: OIDC issuers may be http:// on loopback (tests only). */
	int64_t			 oidc_allow_loopback;
	int64_t			 refresh_rate_per_key;	/* per window */
	int64_t			 refresh_rate_per_address; /* refused, per window */
	int64_t			 refresh_rate_window;	/* seconds */
	int64_t			 refresh_reserve;	/* 0: lib/refreshq.h off */
	int64_t			 audit_retention_days;
	int64_t			 run_timeout;		/* seconds a manifest may run */
	int64_t			 max_plan_bytes;	/* the runner's plans and results */
	int64_t			 plan_retention_days;
};

/* The process-wide configuration; valid after tt_config_load. */
extern struct tt_config tt_config;

/*
 * Reads and validates every TT_* variable once. On a bad value writes
 * "what, which variable, what is allowed" into err and returns -1.
 */
int	tt_config_load(char *err, size_t errlen);

/*
 * 1 if u is https://host... (no userinfo), or, with http_loopback, also
 * http:// to exactly 127.0.0.1, localhost or [::1] with an optional port.
 */
int	tt_config_url_ok(const char *u, int http_loopback);

/*
 * 1 if u may be TT_PUBLIC_URL: https:// or http:// (http only to exactly
 * 127.0.0.1, localhost or [::1]), a host (name, IPv4 address or
 * [IPv6]), an optional :port (1..65535) and an optional path; no
 * userinfo, query, fragment or trailing '/'.
 */
int	tt_config_public_url_ok(const char *u);

/* tt_config_load, and on failure print the message and exit(1). */
void	tt_config_load_or_die(const char *prog);

#endif
