/* crypto.c: thin wrappers over OpenSSL for the primitives we use. */
/* SPDX-License-Identifier: MIT */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#include "crypto.h"
#include "log.h"
#include "valid.h"

/*
 * The digest and MAC are fetched once per process and their contexts are
 * reused: OpenSSL 3's one-shot EVP_Digest and HMAC look the algorithm up
 * in the provider store on every call, which costs more than hashing a
 * token. Each program is single-threaded.
 */
static EVP_MD		*sha256_md;
static EVP_MD_CTX	*sha256_ctx;
static EVP_MAC_CTX	*hmac_ctx;

static void
crypto_fail(const char *what)
{
	tt_log_errx("OpenSSL: %s failed", what);
	abort();
}

void
tt_crypto_sha256(const void *p, size_t n, unsigned char out[TT_SHA256_LEN])
{
	if (sha256_md == NULL &&
	    (sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		crypto_fail("EVP_MD_fetch");
	if (sha256_ctx == NULL && (sha256_ctx = EVP_MD_CTX_new()) == NULL)
		crypto_fail("EVP_MD_CTX_new");
	if (EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, p, n) != 1 ||
	    EVP_DigestFinal_ex(sha256_ctx, out, NULL) != 1)
		crypto_fail("SHA-256");
}

static EVP_MAC_CTX *
hmac_sha256_ctx(void)
{
	EVP_MAC		*mac;
	OSSL_PARAM	 params[2];

	if (hmac_ctx != NULL)
		return hmac_ctx;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		crypto_fail("EVP_MAC_fetch");
	if ((hmac_ctx = EVP_MAC_CTX_new(mac)) == NULL)
		crypto_fail("EVP_MAC_CTX_new");
	EVP_MAC_free(mac);	/* the context keeps its own reference */
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(hmac_ctx, params) != 1)
		crypto_fail("EVP_MAC_CTX_set_params");
	return hmac_ctx;
}

void
tt_crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[TT_SHA256_LEN])
{
	EVP_MAC_CTX	*ctx = hmac_sha256_ctx();
	size_t		 len = 0;
	static const unsigned char none;

	/* An empty key is legal HMAC; OpenSSL wants a non-NULL pointer. */
	if (EVP_MAC_init(ctx, keylen ? key : &none, keylen, NULL) != 1 ||
	    EVP_MAC_update(ctx, msg, msglen) != 1 ||
	    EVP_MAC_final(ctx, out, &len, TT_SHA256_LEN) != 1 ||
	    len != TT_SHA256_LEN)
		crypto_fail("HMAC-SHA256");
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

int
tt_crypto_unhex(const char *s, size_t hexlen, unsigned char *out)
{
	size_t	i;
	int	hi, lo;

	if (hexlen % 2 != 0)
		return -1;
	for (i = 0; i < hexlen / 2; i++) {
		if ((hi = tt_valid_hexdigit(s[2 * i])) < 0 ||
		    (lo = tt_valid_hexdigit(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

unsigned char *
tt_crypto_b64_decode(struct tt_arena *a, const char *s, size_t n,
    size_t *outlen)
{
	unsigned char	*out;
	char		*flat;
	size_t		 i, m = 0, pad = 0;
	int		 len;

	if (n > 1 << 26)
		return NULL;
	flat = tt_arena_alloc(a, n + 1);
	for (i = 0; i < n; i++) {
		char	c = s[i];

		if (c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			if (++pad > 2)
				return NULL;
		} else if (pad > 0 || !((c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '+' || c == '/'))
			return NULL;
		flat[m++] = c;
	}
	if (m % 4 != 0)
		return NULL;
	out = tt_arena_alloc(a, m / 4 * 3 + 1);
	if (m > 0 && (len = EVP_DecodeBlock(out, (unsigned char *)flat,
	    (int)m)) >= 0)
		*outlen = (size_t)len - pad;
	else if (m == 0)
		*outlen = 0;
	else
		return NULL;
	out[*outlen] = '\0';
	return out;
}

unsigned char *
tt_crypto_b64url_decode(struct tt_arena *a, const char *s, size_t n,
    size_t *outlen)
{
	char		*std;
	unsigned char	*out;
	size_t		 i, padded, pad;
	int		 len;

	if (n % 4 == 1 || n > 1 << 24)
		return NULL;
	pad = (4 - n % 4) % 4;
	padded = n + pad;
	std = tt_arena_alloc(a, padded + 1);
	for (i = 0; i < n; i++) {
		char	c = s[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			return NULL;
		std[i] = c;
	}
	/* Canonical only: the unused low bits of the last digit are 0. */
	if (n > 0 && pad > 0) {
		const char	*d = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		int		 v = (int)(strchr(d, std[n - 1]) - d);

		if ((pad == 2 && (v & 0x0f) != 0) || (pad == 1 && (v & 0x03) != 0))
			return NULL;
	}
	memset(std + n, '=', pad);
	out = tt_arena_alloc(a, padded / 4 * 3 + 1);
	len = EVP_DecodeBlock(out, (unsigned char *)std, (int)padded);
	if (len < 0)
		return NULL;
	*outlen = (size_t)len - pad;
	out[*outlen] = '\0';
	return out;
}

char *
tt_crypto_b64url_encode(struct tt_arena *a, const unsigned char *p, size_t n)
{
	char	*out;
	size_t	 i, len;

	out = tt_arena_alloc(a, (n + 2) / 3 * 4 + 1);
	len = (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}
