/* test_config.c: unit tests for config.c (TT_* variables, defaults, errors). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static const char *const vars[] = {
	"TT_ACCESS_TOKEN_TTL", "TT_CLOCK_LEEWAY", "TT_KV_MAX_VALUE_BYTES",
	"TT_MAX_BODY_BYTES", "TT_STATEMENT_TIMEOUT_MS", "TT_DATABASE_URL",
	"TT_JWT_ISSUER", "TT_GITHUB_API_URL", "TT_GITHUB_APP_ID",
	"TT_GITHUB_APP_PRIVATE_KEY_FILE", "TT_GITHUB_WEBHOOK_SECRET_FILE",
	"TT_SQL_DIR", "TT_LOG_LEVEL", "TT_OPENAPI_FILE",
	"TT_REFRESH_RATE_PER_KEY", "TT_REFRESH_RATE_PER_ADDRESS",
	"TT_REFRESH_RATE_WINDOW", "TT_AUDIT_RETENTION_DAYS", "TT_PUBLIC_URL",
};

static char	err[512];

/* Every test starts from an environment without TT_* variables. */
static int
clean_env(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	memset(&tt_config, 0, sizeof(tt_config));
	err[0] = '\0';
	return 0;
}

static int
load(void)
{
	return tt_config_load(err, sizeof(err));
}

/* Sets name=value, expects a failure whose message names the variable. */
static void
rejected(const char *name, const char *value)
{
	setenv(name, value, 1);
	err[0] = '\0';
	if (load() == 0)
		print_error("# %s=\"%s\" was accepted\n", name, value);
	assert_int_equal(load(), -1);
	assert_non_null(strstr(err, name));
	unsetenv(name);
}

static void
accepted(const char *name, const char *value)
{
	setenv(name, value, 1);
	if (load() != 0)
		print_error("# %s=\"%s\": %s\n", name, value, err);
	assert_int_equal(load(), 0);
	unsetenv(name);
}

static void
test_defaults(void **state)
{
	(void)state;
	assert_int_equal(load(), 0);
	assert_int_equal(tt_config.access_token_ttl, 60);
	assert_int_equal(tt_config.clock_leeway, 5);
	assert_int_equal(tt_config.kv_max_value_bytes, 1048576);
	assert_int_equal(tt_config.max_body_bytes, 1048576);
	assert_int_equal(tt_config.statement_timeout_ms, 5000);
	assert_int_equal(tt_config.refresh_rate_per_key, 60);
	assert_int_equal(tt_config.refresh_rate_per_address, 30);
	assert_int_equal(tt_config.refresh_rate_window, 60);
	assert_int_equal(tt_config.audit_retention_days, 90);
	assert_string_equal(tt_config.jwt_issuer, "terrateam");
	assert_string_equal(tt_config.github_api_url,
	    "https://api.github.com");
	assert_null(tt_config.github_app_id);
	assert_null(tt_config.github_app_private_key_file);
	assert_null(tt_config.github_webhook_secret_file);
	assert_int_equal(tt_config.log_level, TT_LOG_INFO);
	assert_non_null(tt_config.database_url);
	assert_non_null(tt_config.sql_dir);
#ifdef TT_DEFAULT_DATABASE_URL
	assert_string_equal(tt_config.database_url, TT_DEFAULT_DATABASE_URL);
#endif
#ifdef TT_DEFAULT_SQL_DIR
	assert_string_equal(tt_config.sql_dir, TT_DEFAULT_SQL_DIR);
#endif
	assert_non_null(tt_config.openapi_file);
#ifdef TT_DEFAULT_OPENAPI_FILE
	assert_string_equal(tt_config.openapi_file, TT_DEFAULT_OPENAPI_FILE);
#endif
}

static void
test_values_are_read(void **state)
{
	(void)state;
	setenv("TT_ACCESS_TOKEN_TTL", "3600", 1);
	setenv("TT_CLOCK_LEEWAY", "0", 1);
	setenv("TT_STATEMENT_TIMEOUT_MS", "100", 1);
	setenv("TT_DATABASE_URL", "dbname=other", 1);
	setenv("TT_JWT_ISSUER", "me", 1);
	setenv("TT_GITHUB_APP_ID", "123", 1);
	setenv("TT_LOG_LEVEL", "debug", 1);
	setenv("TT_OPENAPI_FILE", "/srv/openapi.json", 1);
	assert_int_equal(load(), 0);
	assert_int_equal(tt_config.access_token_ttl, 3600);
	assert_int_equal(tt_config.clock_leeway, 0);
	assert_int_equal(tt_config.statement_timeout_ms, 100);
	assert_string_equal(tt_config.database_url, "dbname=other");
	assert_string_equal(tt_config.jwt_issuer, "me");
	assert_string_equal(tt_config.github_app_id, "123");
	assert_int_equal(tt_config.log_level, TT_LOG_DEBUG);
	assert_string_equal(tt_config.openapi_file, "/srv/openapi.json");

	/* An empty variable means the default. */
	setenv("TT_ACCESS_TOKEN_TTL", "", 1);
	setenv("TT_JWT_ISSUER", "", 1);
	setenv("TT_LOG_LEVEL", "", 1);
	assert_int_equal(load(), 0);
	assert_int_equal(tt_config.access_token_ttl, 60);
	assert_string_equal(tt_config.jwt_issuer, "terrateam");
	assert_int_equal(tt_config.log_level, TT_LOG_INFO);
}

static void
test_access_token_ttl_range(void **state)
{
	(void)state;
	accepted("TT_ACCESS_TOKEN_TTL", "1");
	accepted("TT_ACCESS_TOKEN_TTL", "3600");
	rejected("TT_ACCESS_TOKEN_TTL", "0");
	rejected("TT_ACCESS_TOKEN_TTL", "3601");
	rejected("TT_ACCESS_TOKEN_TTL", "abc");
	rejected("TT_ACCESS_TOKEN_TTL", "-1");
	rejected("TT_ACCESS_TOKEN_TTL", " 60");
	rejected("TT_ACCESS_TOKEN_TTL", "60s");
	rejected("TT_ACCESS_TOKEN_TTL", "99999999999999999999");

	/* The message says what is allowed. */
	setenv("TT_ACCESS_TOKEN_TTL", "3601", 1);
	assert_int_equal(load(), -1);
	assert_string_equal(err, "invalid TT_ACCESS_TOKEN_TTL \"3601\": "
	    "expected an integer from 1 to 3600");
}

static void
test_other_integers(void **state)
{
	(void)state;
	rejected("TT_CLOCK_LEEWAY", "301");
	rejected("TT_CLOCK_LEEWAY", "-1");
	accepted("TT_CLOCK_LEEWAY", "300");
	rejected("TT_KV_MAX_VALUE_BYTES", "0");
	rejected("TT_KV_MAX_VALUE_BYTES", "67108865");
	accepted("TT_KV_MAX_VALUE_BYTES", "67108864");
	rejected("TT_MAX_BODY_BYTES", "1MB");
	rejected("TT_STATEMENT_TIMEOUT_MS", "99");
	rejected("TT_STATEMENT_TIMEOUT_MS", "600001");
	rejected("TT_REFRESH_RATE_PER_KEY", "0");
	accepted("TT_REFRESH_RATE_PER_KEY", "1000000000");
	rejected("TT_REFRESH_RATE_PER_KEY", "1000000001");
	rejected("TT_REFRESH_RATE_PER_ADDRESS", "0");
	accepted("TT_REFRESH_RATE_PER_ADDRESS", "1");
	rejected("TT_REFRESH_RATE_WINDOW", "0");
	rejected("TT_REFRESH_RATE_WINDOW", "86401");
	accepted("TT_REFRESH_RATE_WINDOW", "86400");
	rejected("TT_AUDIT_RETENTION_DAYS", "0");
	rejected("TT_AUDIT_RETENTION_DAYS", "90d");
	accepted("TT_AUDIT_RETENTION_DAYS", "36500");
}

static void
test_log_level(void **state)
{
	(void)state;
	accepted("TT_LOG_LEVEL", "warn");
	setenv("TT_LOG_LEVEL", "error", 1);
	assert_int_equal(load(), 0);
	assert_int_equal(tt_config.log_level, TT_LOG_ERROR);
	unsetenv("TT_LOG_LEVEL");
	rejected("TT_LOG_LEVEL", "verbose");
	rejected("TT_LOG_LEVEL", "DEBUG");
	rejected("TT_LOG_LEVEL", "info ");
	rejected("TT_LOG_LEVEL", "warning");
}

static void
test_github_api_url(void **state)
{
	(void)state;
	accepted("TT_GITHUB_API_URL", "https://api.github.com");
	accepted("TT_GITHUB_API_URL", "https://ghe.example.com/api/v3");
	accepted("TT_GITHUB_API_URL", "http://127.0.0.1:9");
	accepted("TT_GITHUB_API_URL", "http://127.0.0.1");
	accepted("TT_GITHUB_API_URL", "http://localhost:8080/");
	rejected("TT_GITHUB_API_URL", "http://example.com");
	rejected("TT_GITHUB_API_URL", "http://api.github.com");
	rejected("TT_GITHUB_API_URL", "ftp://127.0.0.1");
	rejected("TT_GITHUB_API_URL", "api.github.com");
	rejected("TT_GITHUB_API_URL", "file:///etc/passwd");
}

static void
test_github_api_url_loopback_is_exact(void **state)
{
	/*
	 * http:// is allowed only on loopback, but the check is a prefix
	 * match, so these non-loopback hosts pass today. Found by this test.
	 */
	(void)state;
	rejected("TT_GITHUB_API_URL", "http://127.0.0.1.example.com/");
	rejected("TT_GITHUB_API_URL", "http://localhost.example.com/");
	rejected("TT_GITHUB_API_URL", "http://localhost@example.com/");
	rejected("TT_GITHUB_API_URL", "http://127.0.0.1:80@example.com/");
}

/*
 * TT_PUBLIC_URL: a scheme and host, maybe a port and a path; no query,
 * fragment, userinfo or trailing '/'; plain http only to loopback. The
 * scheme decides Secure.
 */
static void
test_public_url(void **state)
{
	static const char *const good[] = {
		"https://tt.example.com", "https://tt.example.com:8443",
		"https://example.com/terrateam", "https://10.0.0.7",
		"https://[2001:db8::1]:443", "http://127.0.0.1:8080",
		"http://localhost", "http://[::1]:80/tt",
	};
	static const char *const bad[] = {
		"tt.example.com", "ftp://tt.example.com", "https://",
		"https:///path", "https://tt.example.com/",
		"https://tt.example.com?x=1", "https://tt.example.com/a?x",
		"https://tt.example.com#top", "https://u@tt.example.com",
		"https://u:p@tt.example.com", "https://tt.example.com:",
		"https://tt.example.com:0", "https://tt.example.com:65536",
		"https://tt.example.com:80x", "https://tt.exa mple.com",
		"https://tt.example.com/a b", "https://tt.example.com/%2e",
		"https://[::1", "https://-x.example.com",
		"http://tt.example.com", "http://127.0.0.1.example.com",
		"http://localhost.example.com:80", "http://10.0.0.7",
		"HTTPS://tt.example.com",
	};
	size_t	i;

	(void)state;
	assert_int_equal(load(), 0);
	assert_null(tt_config.public_url);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		accepted("TT_PUBLIC_URL", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rejected("TT_PUBLIC_URL", bad[i]);
	setenv("TT_PUBLIC_URL", "https://tt.example.com", 1);
	assert_int_equal(load(), 0);
	assert_string_equal(tt_config.public_url, "https://tt.example.com");
	assert_int_equal(tt_config.public_url_https, 1);
	setenv("TT_PUBLIC_URL", "http://127.0.0.1:8080", 1);
	assert_int_equal(load(), 0);
	assert_int_equal(tt_config.public_url_https, 0);
	unsetenv("TT_PUBLIC_URL");
}

static void
test_jwt_issuer_length(void **state)
{
	char	long_issuer[300];

	(void)state;
	memset(long_issuer, 'i', 256);
	long_issuer[256] = '\0';
	accepted("TT_JWT_ISSUER", long_issuer);
	long_issuer[256] = 'i';
	long_issuer[257] = '\0';
	rejected("TT_JWT_ISSUER", long_issuer);
}

static void
test_error_message_fits_small_buffers(void **state)
{
	char	small[16];

	(void)state;
	setenv("TT_ACCESS_TOKEN_TTL", "abc", 1);
	memset(small, 'X', sizeof(small));
	assert_int_equal(tt_config_load(small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, "invalid TT_ACCE", sizeof(small));
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clean_env),
		cmocka_unit_test_setup(test_values_are_read, clean_env),
		cmocka_unit_test_setup(test_access_token_ttl_range, clean_env),
		cmocka_unit_test_setup(test_other_integers, clean_env),
		cmocka_unit_test_setup(test_log_level, clean_env),
		cmocka_unit_test_setup(test_github_api_url, clean_env),
		cmocka_unit_test_setup(test_github_api_url_loopback_is_exact,
		    clean_env),
		cmocka_unit_test_setup(test_public_url, clean_env),
		cmocka_unit_test_setup(test_jwt_issuer_length, clean_env),
		cmocka_unit_test_setup(test_error_message_fits_small_buffers,
		    clean_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
