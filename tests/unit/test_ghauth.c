/* test_ghauth.c: the GitHub App without GitHub: the installation call's
 * argument checks, the App key checks, the RS256 App JWT and the token
 * cache's sealing. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "ghauth.h"
#include "github.h"
#include "json.h"

#define APP_ID	"4242"
#define NOW	((time_t)1700000000)
#define TOKEN	"ghs_16C7e42F292c6912E7710c838347Ae178B4a"

static struct tt_arena	*A;
static char		 dir[] = "/tmp/test_ghauth.XXXXXX";
static char		 rsa_file[64], rsa2_file[64], small_file[64],
			 ec_file[64], enc_file[64], junk_file[64],
			 missing_file[64];
static EVP_PKEY		*rsa;	/* the key in rsa_file */

/* Writes a key as PEM (encrypted with "pw" when enc). */
static void
write_key(const char *path, EVP_PKEY *k, int enc)
{
	FILE	*f;

	assert_non_null(k);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(f, k,
	    enc ? EVP_aes_256_cbc() : NULL, enc ? (unsigned char *)"pw" : NULL,
	    enc ? 2 : 0, NULL, NULL), 1);
	fclose(f);
}

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
	A = tt_arena_new();
	if (mkdtemp(dir) == NULL)
		return -1;
	set_path(rsa_file, "app.pem");
	set_path(rsa2_file, "other.pem");
	set_path(small_file, "small.pem");
	set_path(ec_file, "ec.pem");
	set_path(enc_file, "enc.pem");
	set_path(junk_file, "junk.pem");
	set_path(missing_file, "missing.pem");
	rsa = EVP_RSA_gen(2048);
	write_key(rsa_file, rsa, 0);
	write_key(rsa2_file, k = EVP_RSA_gen(2048), 0);
	EVP_PKEY_free(k);
	write_key(small_file, k = EVP_RSA_gen(1024), 0);
	EVP_PKEY_free(k);
	write_key(ec_file, k = EVP_EC_gen("P-256"), 0);
	EVP_PKEY_free(k);
	write_key(enc_file, rsa, 1);
	if ((f = fopen(junk_file, "w")) == NULL)
		return -1;
	fputs("-----BEGIN PRIVATE KEY-----\nnot a key\n"
	    "-----END PRIVATE KEY-----\n", f);
	fclose(f);
	tt_config.github_api_url = "http://127.0.0.1:1";
	tt_config.github_app_id = APP_ID;
	tt_config.github_app_private_key_file = rsa_file;
	return 0;
}

static int
teardown(void **state)
{
	const char	*files[] = { rsa_file, rsa2_file, small_file, ec_file,
	    enc_file, junk_file };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(dir);
	EVP_PKEY_free(rsa);
	tt_ghauth_cleanup();
	tt_arena_free(A);
	return 0;
}

/* Loads the App key from file, forgetting any loaded before. */
static enum tt_err
use_key(const char *id, const char *file, char *why, size_t whylen)
{
	tt_ghauth_cleanup();
	tt_config.github_app_id = id;
	tt_config.github_app_private_key_file = file;
	why[0] = '\0';
	return tt_ghauth_configured(why, whylen);
}

static void
test_call_checks(void **state)
{
	struct tt_github_resp	 r;

	(void)state;
	/* tt_ghauth_call judges its arguments before any token or database. */
	assert_int_equal(tt_ghauth_call(A, 1, "GET", "/repos/../app", NULL, &r),
	    TT_EINVAL);
	assert_string_equal(r.error, "invalid path");
	assert_int_equal(tt_ghauth_call(A, 1, "BREW", "/app", NULL, &r),
	    TT_EINVAL);
	assert_int_equal(tt_ghauth_call(A, 0, "GET", "/app", NULL, &r),
	    TT_EINVAL);
	assert_int_equal(tt_ghauth_call(A, -5, "GET", "/app", NULL, &r),
	    TT_EINVAL);
}

static void
test_configured(void **state)
{
	char	why[256];

	(void)state;
	assert_int_equal(use_key(NULL, rsa_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_non_null(strstr(why, "TT_GITHUB_APP_ID"));
	assert_int_equal(use_key("abc", rsa_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_non_null(strstr(why, "TT_GITHUB_APP_ID"));
	assert_int_equal(use_key("0", rsa_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_int_equal(use_key("42\"x", rsa_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_int_equal(use_key(APP_ID, NULL, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_non_null(strstr(why, "TT_GITHUB_APP_PRIVATE_KEY_FILE"));
	assert_int_equal(use_key(APP_ID, missing_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_non_null(strstr(why, "cannot open"));
	assert_int_equal(use_key(APP_ID, dir, why, sizeof(why)), TT_EUNAVAIL);
	assert_non_null(strstr(why, "regular file"));
	assert_int_equal(use_key(APP_ID, junk_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_non_null(strstr(why, "no unencrypted PEM private key"));
	/* Encrypted: refused, and never a passphrase prompt. */
	assert_int_equal(use_key(APP_ID, enc_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_non_null(strstr(why, "no unencrypted PEM private key"));
	assert_int_equal(use_key(APP_ID, ec_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_non_null(strstr(why, "RSA"));
	assert_int_equal(use_key(APP_ID, small_file, why, sizeof(why)),
	    TT_EUNAVAIL);
	assert_non_null(strstr(why, "1024-bit"));
	assert_int_equal(use_key(APP_ID, rsa_file, why, sizeof(why)), TT_OK);
	/* Loaded once: the file is not read again. */
	tt_config.github_app_private_key_file = missing_file;
	assert_int_equal(tt_ghauth_configured(why, sizeof(why)), TT_OK);
	tt_config.github_app_private_key_file = rsa_file;
}

/* The JSON a base64url JWT part decodes to, arena-owned. */
static const char *
part(const char *s, size_t n)
{
	size_t		 len;
	unsigned char	*p;

	assert_non_null(p = tt_crypto_b64url_decode(A, s, n, &len));
	return (const char *)p;
}

static int
verify(EVP_PKEY *k, const char *input, size_t n, const unsigned char *sig,
    size_t siglen)
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	assert_non_null(ctx = EVP_MD_CTX_new());
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)input,
	    n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static void
test_app_jwt(void **state)
{
	const char	*jwt, *d1, *d2, *why, *claims;
	unsigned char	*sig;
	char		*input, wbuf[256];
	size_t		 siglen;
	int64_t		 v;
	cJSON		*c;

	(void)state;
	tt_ghauth_cleanup();
	tt_config.github_app_id = NULL;
	assert_int_equal(tt_ghauth_app_jwt(A, NOW, &jwt), TT_EUNAVAIL);
	assert_null(jwt);
	assert_int_equal(use_key(APP_ID, rsa_file, wbuf, sizeof(wbuf)), TT_OK);
	assert_int_equal(tt_ghauth_app_jwt(A, NOW, &jwt), TT_OK);

	/* Three base64url parts. */
	assert_non_null(d1 = strchr(jwt, '.'));
	assert_non_null(d2 = strchr(d1 + 1, '.'));
	assert_null(strchr(d2 + 1, '.'));
	assert_null(strpbrk(jwt, "+/= \n"));

	assert_string_equal(part(jwt, (size_t)(d1 - jwt)),
	    "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	claims = part(d1 + 1, (size_t)(d2 - d1 - 1));
	assert_non_null(c = tt_json_parse(A, claims, strlen(claims), &why));
	assert_int_equal(cJSON_GetArraySize(c), 3);
	assert_int_equal(tt_json_int64(c, "iat", 0, INT64_MAX, &v), 0);
	assert_int_equal(v, (int64_t)NOW - 60);
	assert_int_equal(tt_json_int64(c, "exp", 0, INT64_MAX, &v), 0);
	assert_int_equal(v, (int64_t)NOW + 540);
	/* iss is a string, as GitHub documents it. */
	assert_non_null(tt_json_string(c, "iss"));
	assert_string_equal(tt_json_string(c, "iss"), APP_ID);

	/* RS256 over header.claims, verified with the public key. */
	sig = tt_crypto_b64url_decode(A, d2 + 1, strlen(d2 + 1), &siglen);
	assert_non_null(sig);
	assert_int_equal(siglen, 256);
	input = tt_arena_strndup(A, jwt, (size_t)(d2 - jwt));
	assert_true(verify(rsa, input, strlen(input), sig, siglen));
	input[strlen(input) - 1] ^= 1;
	assert_false(verify(rsa, input, strlen(input), sig, siglen));
	input[strlen(input) - 1] ^= 1;
	sig[0] ^= 0x80;
	assert_false(verify(rsa, input, strlen(input), sig, siglen));
}

static void
test_seal(void **state)
{
	const char	*s1, *s2, *t;
	char		*bad, why[256];
	size_t		 i, n;

	(void)state;
	tt_ghauth_cleanup();
	assert_null(tt_ghauth_seal(A, 7, TOKEN));	/* no key yet */
	assert_int_equal(use_key(APP_ID, rsa_file, why, sizeof(why)), TT_OK);
	assert_null(tt_ghauth_unseal(A, 7, NULL));

	assert_non_null(s1 = tt_ghauth_seal(A, 7, TOKEN));
	assert_non_null(s2 = tt_ghauth_seal(A, 7, TOKEN));
	/* Hex of 12 + len + 16 bytes, and a new nonce each time. */
	n = strlen(s1);
	assert_int_equal(n, 2 * (12 + strlen(TOKEN) + 16));
	assert_int_equal(strspn(s1, "0123456789abcdef"), n);
	assert_string_not_equal(s1, s2);
	assert_null(strstr(s1, TOKEN));
	assert_string_equal(t = tt_ghauth_unseal(A, 7, s1), TOKEN);
	assert_string_equal(tt_ghauth_unseal(A, 7, s2), TOKEN);

	/* Another installation's row does not open (the id is the AAD). */
	assert_null(tt_ghauth_unseal(A, 8, s1));
	assert_null(tt_ghauth_unseal(A, -7, s1));

	/* Any changed digit (nonce, ciphertext or tag) is detected. */
	bad = tt_arena_strdup(A, s1);
	for (i = 0; i < n; i++) {
		bad[i] = bad[i] == '0' ? '1' : '0';
		assert_null(tt_ghauth_unseal(A, 7, bad));
		bad[i] = s1[i];
	}
	assert_string_equal(tt_ghauth_unseal(A, 7, bad), TOKEN);

	/* Cut short, odd, not hex, empty, too short to hold anything. */
	assert_null(tt_ghauth_unseal(A, 7, tt_arena_strndup(A, s1, n - 2)));
	assert_null(tt_ghauth_unseal(A, 7, tt_arena_strndup(A, s1, n - 1)));
	assert_null(tt_ghauth_unseal(A, 7, tt_arena_printf(A, "%szz", s1)));
	assert_null(tt_ghauth_unseal(A, 7, ""));
	assert_null(tt_ghauth_unseal(A, 7, tt_arena_strndup(A, s1, 56)));

	/* Tokens that could not go into a header are never sealed. */
	assert_null(tt_ghauth_seal(A, 7, ""));
	assert_null(tt_ghauth_seal(A, 7, "ghs_a\r\nX: y"));
	assert_null(tt_ghauth_seal(A, 7, "ghs a"));

	/* Another App key cannot open this one's rows. */
	assert_int_equal(use_key(APP_ID, rsa2_file, why, sizeof(why)), TT_OK);
	assert_null(tt_ghauth_unseal(A, 7, s1));
	/* The same key from the same file opens them again. */
	assert_int_equal(use_key(APP_ID, rsa_file, why, sizeof(why)), TT_OK);
	assert_string_equal(tt_ghauth_unseal(A, 7, s1), TOKEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_checks),
		cmocka_unit_test(test_configured),
		cmocka_unit_test(test_app_jwt),
		cmocka_unit_test(test_seal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
