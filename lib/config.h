/* config.h: process configuration from TT_* environment variables. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_CONFIG_H
#define TT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct tt_config {
	const char		*database_url;
	int64_t			 access_token_ttl;	/* seconds, 1..3600 */
	const char		*jwt_issuer;
	int64_t			 clock_leeway;		/* seconds, 0..300 */
	int64_t			 kv_max_value_bytes;
	int64_t			 max_body_bytes;
	int64_t			 statement_timeout_ms;
	const char		*github_api_url;
	const char		*github_app_id;
	const char		*github_app_private_key_file;
	const char		*github_webhook_secret_file;
	enum tt_log_level	 log_level;
	const char		*sql_dir;
	const char		*openapi_file;	/* served by health */
	int64_t			 refresh_rate_per_key;	/* per window */
	int64_t			 refresh_rate_per_address; /* refused, per window */
	int64_t			 refresh_rate_window;	/* seconds */
	int64_t			 audit_retention_days;
};

/* The process-wide configuration; valid after tt_config_load. */
extern struct tt_config tt_config;

/*
 * Reads and validates every TT_* variable once. On a bad value writes
 * "what, which variable, what is allowed" into err and returns -1.
 */
int	tt_config_load(char *err, size_t errlen);

/* tt_config_load, and on failure print the message and exit(1). */
void	tt_config_load_or_die(const char *prog);

#endif
