/* test_crypto.c: known-answer tests for crypto.c (SHA-256, HMAC, codecs). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "testhelp.h"


/* Lower-case hex of a 32-byte digest, in a static buffer. */
static const char *
hex32(const unsigned char d[TT_SHA256_LEN])
{
	static char	out[2 * TT_SHA256_LEN + 1];

	tt_crypto_hex(d, TT_SHA256_LEN, out);
	return out;
}

static void
test_sha256_known_answers(void **state)
{
	unsigned char	d[TT_SHA256_LEN];
	char		block[1000];
	size_t		i;

	(void)state;
	tt_crypto_sha256("abc", 3, d);
	assert_string_equal(hex32(d), "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	tt_crypto_sha256("", 0, d);
	assert_string_equal(hex32(d), "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	tt_crypto_sha256("abcdbcdecdefdefgefghfghighijhijk"
	    "ijkljklmklmnlmnomnopnopq", 56, d);
	assert_string_equal(hex32(d), "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	/* Binary input: the length, not a NUL, ends it. */
	memset(block, 0, sizeof(block));
	tt_crypto_sha256(block, 1, d);
	assert_string_equal(hex32(d), "6e340b9cffb37a989ca544e6bb780a2c"
	    "78901d3fb33738768511a30617afa01d");
	for (i = 0; i < sizeof(block); i++)
		block[i] = 'a';
	tt_crypto_sha256(block, 0, d);
	assert_string_equal(hex32(d), "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

static void
test_hmac_rfc4231(void **state)
{
	unsigned char	key[131], d[TT_SHA256_LEN];
	const char	*msg;

	(void)state;
	/* Test case 1. */
	memset(key, 0x0b, 20);
	tt_crypto_hmac_sha256(key, 20, "Hi There", 8, d);
	assert_string_equal(hex32(d), "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
	/* Test case 2. */
	msg = "what do ya want for nothing?";
	tt_crypto_hmac_sha256("Jefe", 4, msg, strlen(msg), d);
	assert_string_equal(hex32(d), "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	/* Test case 6: a key longer than the block is hashed first. */
	memset(key, 0xaa, sizeof(key));
	msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	tt_crypto_hmac_sha256(key, sizeof(key), msg, strlen(msg), d);
	assert_string_equal(hex32(d), "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
}

static void
test_hmac_github_webhook_vector(void **state)
{
	const char	*key = "It's a Secret to Everybody";
	const char	*msg = "Hello, World!";
	unsigned char	 d[TT_SHA256_LEN], want[TT_SHA256_LEN];

	(void)state;
	tt_crypto_hmac_sha256(key, strlen(key), msg, strlen(msg), d);
	assert_string_equal(hex32(d), "757107ea0eb2509fc211221cce984b8a"
	    "37570b6d7586c22c46f4379c8b043e17");
	/* The way a webhook verifier compares it: unhex, then equal. */
	assert_int_equal(tt_crypto_unhex("757107EA0EB2509FC211221CCE984B8A"
	    "37570B6D7586C22C46F4379C8B043E17", 64, want), 0);
	assert_true(tt_crypto_equal(d, want, sizeof(d)));
	want[31] ^= 1;
	assert_false(tt_crypto_equal(d, want, sizeof(d)));
}

static void
test_hex_and_unhex(void **state)
{
	const unsigned char	 bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab,
				    0xff };
	unsigned char		 out[8];
	char			 h[2 * sizeof(bytes) + 1];

	(void)state;
	tt_crypto_hex(bytes, sizeof(bytes), h);
	assert_string_equal(h, "00017f80abff");
	tt_crypto_hex(bytes, 0, h);
	assert_string_equal(h, "");

	memset(out, 0xee, sizeof(out));
	assert_int_equal(tt_crypto_unhex("00017f80abff", 12, out), 0);
	assert_memory_equal(out, bytes, sizeof(bytes));
	assert_int_equal(out[6], 0xee);		/* nothing past n/2 */
	assert_int_equal(tt_crypto_unhex("00017F80ABFF", 12, out), 0);
	assert_memory_equal(out, bytes, sizeof(bytes));
	assert_int_equal(tt_crypto_unhex("", 0, out), 0);

	assert_int_equal(tt_crypto_unhex("abc", 3, out), -1);
	assert_int_equal(tt_crypto_unhex("0g", 2, out), -1);
	assert_int_equal(tt_crypto_unhex("g0", 2, out), -1);
	assert_int_equal(tt_crypto_unhex(" 0", 2, out), -1);
	assert_int_equal(tt_crypto_unhex("0x", 2, out), -1);
	assert_int_equal(tt_crypto_unhex("0\0", 2, out), -1);
	/* Only hexlen bytes are read. */
	assert_int_equal(tt_crypto_unhex("41zz", 2, out), 0);
	assert_int_equal(out[0], 0x41);
}

static void
test_equal(void **state)
{
	(void)state;
	assert_true(tt_crypto_equal("abc", "abc", 3));
	assert_true(tt_crypto_equal("abc", "abd", 2));
	assert_false(tt_crypto_equal("abc", "abd", 3));
	assert_false(tt_crypto_equal("xbc", "abc", 3));
	assert_true(tt_crypto_equal("a", "b", 0));
	assert_false(tt_crypto_equal("a\0b", "a\0c", 3));
}

static void
test_random(void **state)
{
	unsigned char	a[32], b[32], zero[32] = { 0 };

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	tt_crypto_random(a, sizeof(a));
	tt_crypto_random(b, sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	tt_crypto_random(a, 0);
}

static void
test_b64url_rfc4648_vectors(void **state)
{
	static const struct {
		const char	*plain, *enc;
	} v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};
	const unsigned char	 url[] = { 0xfb, 0xff, 0xbf };
	unsigned char		*d;
	size_t			 i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_string_equal(tt_crypto_b64url_encode(A,
		    (const unsigned char *)v[i].plain, strlen(v[i].plain)),
		    v[i].enc);
		n = 999;
		d = tt_crypto_b64url_decode(A, v[i].enc, strlen(v[i].enc), &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(v[i].plain));
		assert_memory_equal(d, v[i].plain, n);
		assert_int_equal(d[n], '\0');
	}
	/* The URL alphabet: '-' and '_' instead of '+' and '/'. */
	assert_string_equal(tt_crypto_b64url_encode(A, url, 3), "-_-_");
	assert_string_equal(tt_crypto_b64url_encode(A, url, 2), "-_8");
	d = tt_crypto_b64url_decode(A, "-_-_", 4, &n);
	assert_non_null(d);
	assert_int_equal(n, 3);
	assert_memory_equal(d, url, 3);
}

static void
test_b64url_rejects_bad_input(void **state)
{
	size_t	n;

	(void)state;
	assert_null(tt_crypto_b64url_decode(A, "Zg==", 4, &n));
	assert_null(tt_crypto_b64url_decode(A, "Zg=", 3, &n));
	assert_null(tt_crypto_b64url_decode(A, "Z", 1, &n));
	assert_null(tt_crypto_b64url_decode(A, "Zm9vY", 5, &n));
	assert_null(tt_crypto_b64url_decode(A, "Zm9+", 4, &n));
	assert_null(tt_crypto_b64url_decode(A, "Zm9/", 4, &n));
	assert_null(tt_crypto_b64url_decode(A, "Zm 9", 4, &n));
	assert_null(tt_crypto_b64url_decode(A, "Zm9\n", 4, &n));
	assert_null(tt_crypto_b64url_decode(A, "Zm\0v", 4, &n));
	assert_null(tt_crypto_b64url_decode(A, "Zm9.", 4, &n));
}

static void
test_b64url_binary_round_trip(void **state)
{
	unsigned char	 buf[257], *d;
	char		*e;
	size_t		 len, i, n;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	for (len = 0; len <= sizeof(buf); len += 1 + len / 3) {
		e = tt_crypto_b64url_encode(A, buf, len);
		assert_null(strchr(e, '='));
		assert_null(strchr(e, '+'));
		assert_null(strchr(e, '/'));
		d = tt_crypto_b64url_decode(A, e, strlen(e), &n);
		assert_non_null(d);
		assert_int_equal(n, len);
		assert_memory_equal(d, buf, len);
	}
}

int main(void);

/* Padded base64 with GitHub's line breaks (contents API). */
static void
test_b64_github_contents(void **state)
{
	static const char *const bad[] = { "Zm9", "Zg=", "Zg===", "Z=g=",
	    "Zm9v!", "Zm9v Zg==", "Zg==Zg==", "-_-_" };
	unsigned char	*d;
	size_t		 n, i;

	(void)state;
	d = tt_crypto_b64_decode(A, "c3RhY2tz\nOgo=\n", 14, &n);
	assert_non_null(d);
	assert_int_equal(n, 8);
	assert_memory_equal(d, "stacks:\n", 8);
	assert_int_equal(d[n], '\0');
	d = tt_crypto_b64_decode(A, "Zg==", 4, &n);
	assert_non_null(d);
	assert_int_equal(n, 1);
	assert_int_equal(d[0], 'f');
	d = tt_crypto_b64_decode(A, "Zm8=\r\n", 6, &n);
	assert_non_null(d);
	assert_int_equal(n, 2);
	d = tt_crypto_b64_decode(A, "\n", 1, &n);
	assert_non_null(d);
	assert_int_equal(n, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(tt_crypto_b64_decode(A, bad[i], strlen(bad[i]),
		    &n));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known_answers),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_hmac_github_webhook_vector),
		cmocka_unit_test(test_hex_and_unhex),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_b64url_rfc4648_vectors),
		cmocka_unit_test(test_b64url_rejects_bad_input),
		cmocka_unit_test(test_b64url_binary_round_trip),
		cmocka_unit_test(test_b64_github_contents),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
