/* fuzz_audit.c: libFuzzer target for cleaning a User-Agent (audit.c). */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "valid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * Whatever the header holds, the kept text is at most the bound, valid
 * UTF-8, free of control characters, and a prefix of the input wherever
 * the input was already clean.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 bounds[] = { 1, 2, 3, 4, 5, 64, 256 };
	const char		*in;
	char			*s;
	size_t			 i, j, n;

	if (arena == NULL)
		arena = tt_arena_new();
	in = tt_arena_strndup(arena, (const char *)data, size);
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		s = tt_audit_clean(arena, in, bounds[i]);
		if (s == NULL) {
			if (in[0] != '\0')
				abort();
			continue;
		}
		n = strlen(s);
		if (n > bounds[i] || !tt_valid_utf8(s, n))
			abort();
		for (j = 0; j < n; j++)
			if ((unsigned char)s[j] < 0x20 || s[j] == 0x7f)
				abort();
		if (tt_valid_utf8(in, strlen(in)) && n > 0 &&
		    strchr(s, '?') == NULL && memcmp(s, in, n) != 0)
			abort();
	}
	tt_arena_reset(arena);
	return 0;
}
