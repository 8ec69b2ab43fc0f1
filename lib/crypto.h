/* crypto.h: hashing, HMAC, constant-time compare, randomness, encodings. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_CRYPTO_H
#define TT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

struct tt_arena;

#define TT_SHA256_LEN	32

void	tt_crypto_sha256(const void *, size_t, unsigned char out[TT_SHA256_LEN]);
void	tt_crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
	    size_t msglen, unsigned char out[TT_SHA256_LEN]);
/* 1 if equal; time depends only on n. The only way secrets are compared. */
int	tt_crypto_equal(const void *, const void *, size_t n);
/* Fills from the OS CSPRNG; aborts if it cannot (never returns weak bytes). */
void	tt_crypto_random(void *, size_t);
/* Lower-case hex; out must hold 2n+1 bytes. */
void	tt_crypto_hex(const unsigned char *, size_t n, char *out);
/* Parses exactly 2n lower- or upper-case hex digits; 0 on success. */
int	tt_crypto_unhex(const char *, size_t hexlen, unsigned char *out);

/*
 * Decodes unpadded base64url (RFC 4648 section 5) into an arena-owned
 * buffer with a NUL after the data. NULL on any invalid character,
 * padding, or impossible length.
 */
unsigned char	*tt_crypto_b64url_decode(struct tt_arena *, const char *,
		    size_t, size_t *outlen);
/*
 * Decodes padded standard base64 (RFC 4648 section 4) with line breaks,
 * as GitHub's contents API sends it, into an arena-owned buffer with a
 * NUL after the data. NULL on any other character or a bad length.
 */
unsigned char	*tt_crypto_b64_decode(struct tt_arena *, const char *,
		    size_t, size_t *outlen);
/* Unpadded base64url of n bytes, arena-owned. */
char		*tt_crypto_b64url_encode(struct tt_arena *,
		    const unsigned char *, size_t n);

#endif
