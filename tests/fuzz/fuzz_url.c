/* fuzz_url.c: libFuzzer target for percent-decoding and query lookup. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "url.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

static int
ishex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * Decodes s[0..n) and checks the result against a second, simpler
 * reading of the rules: every '%' starts exactly two hex digits, and
 * each escape shortens the text by two bytes.
 */
static void
check_decode(const char *s, size_t n, int plus_space)
{
	char	*d, *e, *d2;
	size_t	 i, dn = 0, escapes = 0, dn2 = 0;
	int	 valid = 1;

	for (i = 0; i < n; i++)
		if (s[i] == '%') {
			if (n - i < 3 || !ishex(s[i + 1]) || !ishex(s[i + 2])) {
				valid = 0;
				break;
			}
			escapes++;
			i += 2;
		}
	d = tt_url_decode(arena, s, n, plus_space, &dn);
	if ((d != NULL) != valid)
		abort();
	if (d == NULL)
		return;
	if (dn != n - 2 * escapes || d[dn] != '\0')
		abort();
	if (escapes == 0 && (!plus_space || memchr(s, '+', n) == NULL) &&
	    memcmp(d, s, n) != 0)
		abort();

	/* Encoding then decoding gives the text back. */
	if (strlen(d) != dn)
		return;
	e = tt_url_encode(arena, d);
	for (i = 0; e[i] != '\0'; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_.~%", e[i]) == NULL)
			abort();
	d2 = tt_url_decode(arena, e, strlen(e), 1, &dn2);
	if (d2 == NULL || dn2 != dn || memcmp(d, d2, dn) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data, *nl, *v;
	char		*query, *name;
	unsigned	 nth;
	int		 bad, absent = 0;

	if (arena == NULL)
		arena = tt_arena_new();

	check_decode(s, size, 0);
	check_decode(s, size, 1);

	/* Query before the first newline, the name after it. */
	nl = memchr(s, '\n', size);
	query = tt_arena_strndup(arena, s, nl ? (size_t)(nl - s) : size);
	name = nl ? tt_arena_strndup(arena, nl + 1, size - (size_t)(nl - s) -
	    1) : tt_arena_strdup(arena, "");
	for (nth = 0; nth < 5; nth++) {
		bad = -1;
		v = tt_url_query(arena, query, name, nth, &bad);
		if (bad != 0 && bad != 1)
			abort();
		if (bad && v != NULL)
			abort();
		/* Once the nth is absent, every later one is too. */
		if (absent && (v != NULL || bad))
			abort();
		if (v == NULL && !bad)
			absent = 1;
	}

	tt_arena_reset(arena);
	return 0;
}
