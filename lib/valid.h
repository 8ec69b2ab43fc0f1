/* valid.h: validators for values that come from outside. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_VALID_H
#define TT_VALID_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses a decimal integer in [min, max] (strtonum semantics): optional
 * '-' only when min < 0, digits only, no spaces, no '+', no trailing bytes.
 * Returns 0 and sets *v, or -1.
 */
int	tt_valid_int64(const char *, int64_t min, int64_t max, int64_t *v);
/* Like tt_valid_int64 for a length-delimited string. */
int	tt_valid_int64n(const char *, size_t, int64_t min, int64_t max,
	    int64_t *v);
/* The value of a hex digit (either case), or -1. */
int	tt_valid_hexdigit(char);
/* 1 if the bytes are well-formed UTF-8 (no overlongs, no surrogates). */
int	tt_valid_utf8(const char *, size_t);
/* Replaces every byte of an invalid UTF-8 sequence in s with '?'. */
void	tt_valid_utf8_scrub(char *);
/* 1 if s is a canonical lower- or upper-case 8-4-4-4-12 UUID. */
int	tt_valid_uuid(const char *);
/* 1 if s is a usable request id: 1..128 of [A-Za-z0-9._:-]. */
int	tt_valid_request_id(const char *);

#endif
