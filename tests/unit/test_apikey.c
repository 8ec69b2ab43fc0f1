/* test_apikey.c: unit tests for apikey.c (format, checksum, hash). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <zlib.h>

#include "apikey.h"

static void
test_generated_keys_have_the_format(void **state)
{
	char	key[TT_APIKEY_LEN + 1], other[TT_APIKEY_LEN + 1];
	size_t	i;

	(void)state;
	tt_apikey_generate(key);
	tt_apikey_generate(other);
	assert_int_equal(strlen(key), 50);
	assert_memory_equal(key, "tt_live_", 8);
	for (i = 8; i < 50; i++)
		assert_non_null(strchr("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz", key[i]));
	assert_true(tt_apikey_check(key));
	assert_string_not_equal(key, other);
}

static void
test_checksum_is_crc32_base62(void **state)
{
	/* 36 'a's: CRC32 computed by zlib, written as 6 base62 digits. */
	char		key[TT_APIKEY_LEN + 1] = "tt_live_";
	const char	b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz";
	uint32_t	crc;
	int		i;

	(void)state;
	memset(key + 8, 'a', 36);
	crc = (uint32_t)crc32(0L, (const unsigned char *)key + 8, 36);
	for (i = 5; i >= 0; i--) {
		key[44 + i] = b62[crc % 62];
		crc /= 62;
	}
	key[50] = '\0';
	assert_true(tt_apikey_check(key));
}

static void
test_typos_are_rejected(void **state)
{
	char	key[TT_APIKEY_LEN + 1], k2[TT_APIKEY_LEN + 2];
	size_t	i;

	(void)state;
	tt_apikey_generate(key);
	/* Every single-character change anywhere is caught. */
	for (i = 0; i < TT_APIKEY_LEN; i++) {
		char	saved = key[i];

		key[i] = saved == 'Z' ? 'Y' : 'Z';
		assert_false(tt_apikey_check(key));
		key[i] = saved;
	}
	assert_false(tt_apikey_check(NULL));
	assert_false(tt_apikey_check(""));
	assert_false(tt_apikey_check("tt_live_"));
	memcpy(k2, key, sizeof(key));
	k2[50] = 'a';
	k2[51] = '\0';
	assert_false(tt_apikey_check(k2));
	key[20] = '-';
	assert_false(tt_apikey_check(key));
}

static void
test_hash_is_sha256_hex(void **state)
{
	char	out[65];

	(void)state;
	tt_apikey_hash_hex("abc", out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_keys_have_the_format),
		cmocka_unit_test(test_checksum_is_crc32_base62),
		cmocka_unit_test(test_typos_are_rejected),
		cmocka_unit_test(test_hash_is_sha256_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
