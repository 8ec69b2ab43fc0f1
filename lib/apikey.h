/* apikey.h: long-lived API keys: tt_live_ format, checksum and hash. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_APIKEY_H
#define TT_APIKEY_H

#include <stddef.h>

#define TT_APIKEY_PREFIX	"tt_live_"
#define TT_APIKEY_RANDOM	36
#define TT_APIKEY_CRC		6
#define TT_APIKEY_LEN		(8 + TT_APIKEY_RANDOM + TT_APIKEY_CRC)

/*
 * Writes a new key (TT_APIKEY_LEN chars and a NUL): the prefix, 36 base62
 * characters from the OS CSPRNG and 6 base62 characters of CRC32 over
 * the random part.
 */
void	tt_apikey_generate(char out[TT_APIKEY_LEN + 1]);

/*
 * 1 if s has the key's exact shape and a matching checksum: this is
 * checked before any database access, so a typo or a guess costs nothing.
 */
int	tt_apikey_check(const char *s);

/* Lower-case hex SHA-256 of the whole key: all the database ever holds. */
void	tt_apikey_hash_hex(const char *key, char out[65]);

#endif
