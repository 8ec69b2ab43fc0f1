/* fuzz_apikey.c: libFuzzer target for the tt_live_ API key format check. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "apikey.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The format spelled out a second time, independently of apikey.c: the
 * prefix, 36 base62 characters, then CRC32 of those 36 as 6 base62
 * digits, most significant first.
 */
static int
b62_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 36;
	return -1;
}

static int
reference_check(const char *s, size_t n)
{
	uint64_t	want = 0;
	size_t		i;

	if (n != TT_APIKEY_LEN || strncmp(s, "tt_live_", 8) != 0)
		return 0;
	for (i = 8; i < TT_APIKEY_LEN; i++)
		if (b62_value((unsigned char)s[i]) < 0)
			return 0;
	for (i = 8 + TT_APIKEY_RANDOM; i < TT_APIKEY_LEN; i++)
		want = want * 62 + (uint64_t)b62_value((unsigned char)s[i]);
	return want == (uint64_t)(crc32(0L, (const unsigned char *)s + 8,
	    TT_APIKEY_RANDOM) % ((uint64_t)62 * 62 * 62 * 62 * 62 * 62));
}

/*
 * Any input, as the bearer value refresh receives (a C string: the web
 * server never passes a NUL inside a header). tt_apikey_check must agree
 * with the reference; an accepted key must hash to 64 lower-case hex
 * digits, and changing any one of its characters must make it fail.
 * A well-formed body with the checksum recomputed must pass, so the
 * fuzzer also reaches the accepting path.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, hash[65], fixed[TT_APIKEY_LEN + 1];
	size_t	 n, i;
	int	 ok;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);

	ok = tt_apikey_check(s);
	if (ok != reference_check(s, n))
		abort();
	if (ok) {
		tt_apikey_hash_hex(s, hash);
		if (strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64)
			abort();
		for (i = 0; i < n; i++) {
			char	c = s[i];

			s[i] = c == 'z' ? 'y' : 'z';
			if (tt_apikey_check(s))
				abort();
			s[i] = c;
		}
	}

	/* The same characters with the checksum made right. */
	if (n >= 8 + TT_APIKEY_RANDOM) {
		uint32_t	crc;
		int		k;

		memcpy(fixed, "tt_live_", 8);
		for (i = 0; i < TT_APIKEY_RANDOM; i++)
			fixed[8 + i] = b62_value((unsigned char)s[8 + i]) < 0 ?
			    'A' : s[8 + i];
		crc = (uint32_t)crc32(0L, (const unsigned char *)fixed + 8,
		    TT_APIKEY_RANDOM);
		for (k = TT_APIKEY_CRC - 1; k >= 0; k--) {
			fixed[8 + TT_APIKEY_RANDOM + k] =
			    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz"[crc % 62];
			crc /= 62;
		}
		fixed[TT_APIKEY_LEN] = '\0';
		if (!tt_apikey_check(fixed))
			abort();
	}
	free(s);
	return 0;
}
