/* fuzz_content_length.c: libFuzzer target for tt_valid_int64 and UTF-8. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "valid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * Checks one range against the rules in valid.h: an accepted string is
 * [-]digits whose value, printed back, is the input without leading
 * zeros; a short well-formed number in range is never refused.
 */
static void
check_int(const char *s, size_t n, int64_t min, int64_t max)
{
	int64_t		 v = 0, w = 0;
	char		 back[32];
	const char	*p = s;
	size_t		 i, digits;
	int		 rc, neg = 0, shape = n > 0;

	rc = tt_valid_int64(s, min, max, &v);
	if (tt_valid_int64n(s, n, min, max, &w) != rc)
		abort();
	if (rc == 0 && w != v)
		abort();

	if (n > 0 && s[0] == '-') {
		neg = 1;
		p++;
	}
	digits = n - (size_t)neg;
	if (digits == 0 || (neg && min >= 0))
		shape = 0;
	for (i = 0; i < digits && shape; i++)
		if (p[i] < '0' || p[i] > '9')
			shape = 0;

	if (rc == 0) {
		if (!shape || v < min || v > max)
			abort();
		while (digits > 1 && *p == '0') {
			p++;
			digits--;
		}
		snprintf(back, sizeof(back), "%lld", (long long)v);
		if (v == 0) {
			if (strcmp(p, "0") != 0)
				abort();
		} else if (strcmp(back + (v < 0), p) != 0 ||
		    (v < 0) != neg)
			abort();
		return;
	}

	/* Refused: it must be malformed, too long or out of range. */
	if (shape) {
		while (digits > 1 && *p == '0') {
			p++;
			digits--;
		}
		if (digits <= 18) {
			long long	ref = strtoll(s, NULL, 10);

			if (ref >= min && ref <= max)
				abort();
		}
	}
}

/* Well-formed UTF-8 by the table in Unicode 15, section 3.9 (Table 3-7). */
static int
ref_utf8(const unsigned char *s, size_t n)
{
	size_t	i = 0, len, k;
	int	lo, hi;

	while (i < n) {
		if (s[i] <= 0x7f) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			len = 3;
			if (s[i] == 0xe0)
				lo = 0xa0;
			else if (s[i] == 0xed)
				hi = 0x9f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			len = 4;
			if (s[i] == 0xf0)
				lo = 0x90;
			else if (s[i] == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;
	size_t	 n;

	if (arena == NULL)
		arena = tt_arena_new();

	/* The value as a CONTENT_LENGTH string: up to the first NUL. */
	s = tt_arena_strndup(arena, (const char *)data, size);
	n = strlen(s);
	check_int(s, n, 0, INT64_MAX);
	check_int(s, n, INT64_MIN, INT64_MAX);
	check_int(s, n, 1, 9007199254740992LL);
	check_int(s, n, -300, 300);

	if (tt_valid_utf8((const char *)data, size) !=
	    ref_utf8(data, size))
		abort();

	tt_arena_reset(arena);
	return 0;
}
