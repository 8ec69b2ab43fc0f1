/* test_consttime.c: secrets are compared in constant time. The program is
 * linked with -Wl,--wrap=CRYPTO_memcmp (Makefile), so every call the
 * library makes to OpenSSL's constant-time compare comes here first: the
 * webhook signature and the access-token signature must each be decided
 * by one such call over the whole 32-byte MAC. A plain memcmp or strcmp
 * in their place (SECURITY.md threat 17) fails these tests. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "crypto.h"
#include "ghsig.h"
#include "json.h"
#include "token.h"
#include "testhelp.h"

int	__real_CRYPTO_memcmp(const void *, const void *, size_t);
int	__wrap_CRYPTO_memcmp(const void *, const void *, size_t);

static int	calls;
static size_t	last_len;
static int	force = -1;	/* -1: the real answer; else this answer */

int
__wrap_CRYPTO_memcmp(const void *a, const void *b, size_t n)
{
	calls++;
	last_len = n;
	if (force >= 0)
		return force;
	return __real_CRYPTO_memcmp(a, b, n);
}

static void
reset(int answer)
{
	calls = 0;
	last_len = 0;
	force = answer;
}

#define SECRET	"It's a Secret to Everybody"
#define BODY	"Hello, World!"
#define GOOD	"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
#define BAD	"sha256=857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

static int
ghverify(const char *h)
{
	return tt_ghsig_verify(h, BODY, strlen(BODY),
	    (const unsigned char *)SECRET, strlen(SECRET));
}

static void
test_webhook_signature(void **state)
{
	(void)state;
	reset(-1);
	assert_int_equal(ghverify(GOOD), 1);
	assert_int_equal(calls, 1);
	assert_int_equal(last_len, TT_SHA256_LEN);
	reset(-1);
	assert_int_equal(ghverify(BAD), 0);
	assert_int_equal(calls, 1);
	/* The constant-time compare, and nothing else, decides. */
	reset(0);
	assert_int_equal(ghverify(BAD), 1);
	reset(1);
	assert_int_equal(ghverify(GOOD), 0);
	reset(-1);
}

static char *
signed_token(const unsigned char *secret)
{
	struct tt_token_claims	c;
	const char		*why;
	char			*tok;
	static const char	 caps[] = "[\"kv_store_read\"]";

	memset(&c, 0, sizeof(c));
	c.issuer = "terrateam";
	c.user_id = "6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f";
	c.api_key_id = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
	c.jti = "00112233445566778899aabbccddeeff";
	c.iat = 1700000000;
	c.exp = 1700000060;
	c.caps = tt_json_parse(A, caps, strlen(caps), &why);
	assert_non_null(c.caps);
	assert_int_equal(tt_token_sign(A, "k1", secret, 32, &c, &tok), TT_OK);
	return tok;
}

static enum tt_err
tverify(const char *tok, const unsigned char *secret)
{
	struct tt_token_claims	out;
	struct tt_token_rules	r;
	const char		*why;

	r.now = 1700000030;
	r.leeway = 5;
	r.max_ttl = 60;
	r.issuer = "terrateam";
	return tt_token_verify(A, tok, secret, 32, &r, &out, &why);
}

static void
test_token_signature(void **state)
{
	unsigned char	 right[32], wrong[32];
	char		*tok;

	(void)state;
	memset(right, 'k', sizeof(right));
	memset(wrong, 'w', sizeof(wrong));
	tok = signed_token(right);
	reset(-1);
	assert_int_equal(tverify(tok, right), TT_OK);
	assert_int_equal(calls, 1);
	assert_int_equal(last_len, TT_SHA256_LEN);
	reset(-1);
	assert_int_equal(tverify(tok, wrong), TT_EUNAUTH);
	assert_int_equal(calls, 1);
	reset(0);
	assert_int_equal(tverify(tok, wrong), TT_OK);
	reset(1);
	assert_int_equal(tverify(tok, right), TT_EUNAUTH);
	reset(-1);
}

static void
test_crypto_equal(void **state)
{
	(void)state;
	reset(-1);
	assert_true(tt_crypto_equal("abcd", "abcd", 4));
	assert_false(tt_crypto_equal("abcd", "abce", 4));
	assert_int_equal(calls, 2);
	assert_int_equal(last_len, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_signature),
		cmocka_unit_test(test_token_signature),
		cmocka_unit_test(test_crypto_equal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
