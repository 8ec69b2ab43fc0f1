/* apikey.c: tt_live_ keys (GitHub-style prefix, base62, CRC32 check). */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "apikey.h"
#include "crypto.h"

static const char	b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void
crc_chars(const char *random, char out[TT_APIKEY_CRC])
{
	uint32_t	crc;
	int		i;

	crc = (uint32_t)crc32(0L, (const unsigned char *)random,
	    TT_APIKEY_RANDOM);
	for (i = TT_APIKEY_CRC - 1; i >= 0; i--) {
		out[i] = b62[crc % 62];
		crc /= 62;
	}
}

void
tt_apikey_generate(char out[TT_APIKEY_LEN + 1])
{
	unsigned char	buf[64];
	size_t		n = 0, i;
	char		*r = out + 8;

	memcpy(out, TT_APIKEY_PREFIX, 8);
	/* Rejection sampling: bytes >= 248 (4 * 62) would bias the digits. */
	while (n < TT_APIKEY_RANDOM) {
		tt_crypto_random(buf, sizeof(buf));
		for (i = 0; i < sizeof(buf) && n < TT_APIKEY_RANDOM; i++)
			if (buf[i] < 248)
				r[n++] = b62[buf[i] % 62];
	}
	crc_chars(r, out + 8 + TT_APIKEY_RANDOM);
	out[TT_APIKEY_LEN] = '\0';
	tt_crypto_random(buf, sizeof(buf));	/* do not leave bytes behind */
}

int
tt_apikey_check(const char *s)
{
	char	crc[TT_APIKEY_CRC];
	size_t	i;

	if (s == NULL || strlen(s) != TT_APIKEY_LEN ||
	    memcmp(s, TT_APIKEY_PREFIX, 8) != 0)
		return 0;
	for (i = 8; i < TT_APIKEY_LEN; i++)
		if (strchr(b62, s[i]) == NULL || s[i] == '\0')
			return 0;
	crc_chars(s + 8, crc);
	return memcmp(crc, s + 8 + TT_APIKEY_RANDOM, TT_APIKEY_CRC) == 0;
}

void
tt_apikey_hash_hex(const char *key, char out[65])
{
	unsigned char	h[TT_SHA256_LEN];

	tt_crypto_sha256(key, strlen(key), h);
	tt_crypto_hex(h, sizeof(h), out);
}
