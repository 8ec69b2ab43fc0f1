/* test_ghsetup.c: which set GitHub settings are unusable, and how that is said. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ghauth.h"
#include "ghsetup.h"
#include "ghsig.h"

static char	dir[] = "/tmp/test_ghsetup.XXXXXX";
static char	key[64], secret[64], empty[64], missing[64];

static void
set_path(char *dst, const char *name)
{
	assert_true(snprintf(dst, 64, "%s/%s", dir, name) < 64);
}

static int
setup(void **state)
{
	EVP_PKEY	*k;
	FILE		*f;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	set_path(key, "app.pem");
	set_path(secret, "secret");
	set_path(empty, "empty");
	set_path(missing, "missing");
	if ((k = EVP_RSA_gen(2048)) == NULL || (f = fopen(key, "w")) == NULL)
		return -1;
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(k);
	if ((f = fopen(secret, "w")) == NULL)
		return -1;
	fputs("s3cret-webhook-value\n", f);
	fclose(f);
	if ((f = fopen(empty, "w")) == NULL)
		return -1;
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(key);
	unlink(secret);
	unlink(empty);
	rmdir(dir);
	tt_ghauth_cleanup();
	tt_ghsig_cleanup();
	return 0;
}

/* Sets the three variables afresh (nothing loaded) and checks them. */
static size_t
check(const char *id, const char *keyfile, const char *secretfile,
    struct tt_ghsetup_problem *p)
{
	tt_ghauth_cleanup();
	tt_ghsig_cleanup();
	tt_config.github_app_id = id;
	tt_config.github_app_private_key_file = keyfile;
	tt_config.github_webhook_secret_file = secretfile;
	memset(p, 0, TT_GHSETUP_MAX * sizeof(*p));
	return tt_ghsetup_check(p, TT_GHSETUP_MAX);
}

/* Unset is a choice; set and usable is fine. */
static void
test_nothing_wrong(void **state)
{
	struct tt_ghsetup_problem	p[TT_GHSETUP_MAX];

	(void)state;
	assert_int_equal(check(NULL, NULL, NULL, p), 0);
	assert_int_equal(check("4242", key, secret, p), 0);
}

/* A key file that cannot be opened: the variable, the file, errno. */
static void
test_key_file_unreadable(void **state)
{
	struct tt_ghsetup_problem	p[TT_GHSETUP_MAX];

	(void)state;
	assert_int_equal(check("4242", missing, secret, p), 1);
	assert_string_equal(p[0].var, "TT_GITHUB_APP_PRIVATE_KEY_FILE");
	assert_string_equal(p[0].reason,
	    "cannot be read: No such file or directory");
	assert_non_null(strstr(p[0].detail, "TT_GITHUB_APP_PRIVATE_KEY_FILE"));
	assert_non_null(strstr(p[0].detail, missing));
	assert_non_null(strstr(p[0].detail, "No such file or directory"));
	assert_non_null(strstr(p[0].detail, "wait in the ledger"));
	/* /healthz gets no path. */
	assert_null(strstr(p[0].reason, dir));
}

/* Half an App is a misconfiguration too; a bad key file is named. */
static void
test_app_half_set_or_bad_key(void **state)
{
	struct tt_ghsetup_problem	p[TT_GHSETUP_MAX];

	(void)state;
	assert_int_equal(check(NULL, key, NULL, p), 1);
	assert_string_equal(p[0].var, "TT_GITHUB_APP_ID");
	assert_string_equal(p[0].reason, "is not set");
	assert_int_equal(check("4242", NULL, NULL, p), 1);
	assert_string_equal(p[0].var, "TT_GITHUB_APP_PRIVATE_KEY_FILE");
	assert_string_equal(p[0].reason, "is not set");
	assert_int_equal(check("x", key, NULL, p), 1);
	assert_string_equal(p[0].var, "TT_GITHUB_APP_ID");
	assert_int_equal(check("4242", secret, NULL, p), 1);
	assert_string_equal(p[0].var, "TT_GITHUB_APP_PRIVATE_KEY_FILE");
	assert_string_equal(p[0].reason,
	    "does not hold a usable RSA private key");
}

/* The webhook secret: unreadable or empty; never its contents. */
static void
test_secret_file(void **state)
{
	struct tt_ghsetup_problem	p[TT_GHSETUP_MAX];

	(void)state;
	assert_int_equal(check(NULL, NULL, missing, p), 1);
	assert_string_equal(p[0].var, "TT_GITHUB_WEBHOOK_SECRET_FILE");
	assert_string_equal(p[0].reason,
	    "cannot be read: No such file or directory");
	assert_non_null(strstr(p[0].detail, missing));
	assert_non_null(strstr(p[0].detail, "refused (503)"));
	assert_int_equal(check(NULL, NULL, empty, p), 1);
	assert_string_equal(p[0].reason, "holds no secret (empty, or too large)");
	assert_int_equal(check(NULL, NULL, dir, p), 1);
	assert_non_null(strstr(p[0].detail, "Is a directory"));

	/* Both at once, in a fixed order. */
	assert_int_equal(check("4242", missing, missing, p), 2);
	assert_string_equal(p[0].var, "TT_GITHUB_APP_PRIVATE_KEY_FILE");
	assert_string_equal(p[1].var, "TT_GITHUB_WEBHOOK_SECRET_FILE");
	/* Room for one: the first only. */
	assert_int_equal(tt_ghsetup_check(p, 1), 1);
}

/* A secret file too large to be one: said without its contents. */
static void
test_never_contents(void **state)
{
	struct tt_ghsetup_problem	p[TT_GHSETUP_MAX];
	char				big[64];
	FILE				*f;
	int				i;

	(void)state;
	set_path(big, "big");
	assert_non_null(f = fopen(big, "w"));
	for (i = 0; i < 300; i++)
		fputs("s3cret-webhook-value", f);
	fclose(f);
	assert_int_equal(check(NULL, NULL, big, p), 1);
	assert_non_null(strstr(p[0].detail, "too large"));
	assert_null(strstr(p[0].detail, "s3cret"));
	assert_null(strstr(p[0].reason, "s3cret"));
	unlink(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_wrong),
		cmocka_unit_test(test_key_file_unreadable),
		cmocka_unit_test(test_app_half_set_or_bad_key),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_never_contents),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
