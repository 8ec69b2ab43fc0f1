/* crypto.c: thin wrappers over OpenSSL for the primitives we use. */
/* SPDX-License-Identifier: MIT */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>

#include "crypto.h"
#include "log.h"

void
tt_crypto_sha256(const void *p, size_t n, unsigned char out[TT_SHA256_LEN])
{
	if (EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) != 1) {
		tt_log_errx("EVP_Digest failed");
		abort();
	}
}

void
tt_crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[TT_SHA256_LEN])
{
	unsigned int	len = TT_SHA256_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) ==
	    NULL) {
		tt_log_errx("HMAC failed");
		abort();
	}
}

int
tt_crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
tt_crypto_random(void *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1) {
		tt_log_errx("RAND_bytes failed");
		abort();
	}
}

void
tt_crypto_hex(const unsigned char *p, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
tt_crypto_unhex(const char *s, size_t hexlen, unsigned char *out)
{
	size_t	i;
	int	hi, lo;

	if (hexlen % 2 != 0)
		return -1;
	for (i = 0; i < hexlen / 2; i++) {
		if ((hi = hexval(s[2 * i])) < 0 ||
		    (lo = hexval(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
