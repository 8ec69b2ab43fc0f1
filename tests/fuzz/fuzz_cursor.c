/* fuzz_cursor.c: libFuzzer target for opaque page cursors. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "page.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/* A cursor that decodes must encode back to one that decodes the same. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*f[TT_PAGE_FIELDS], *g[TT_PAGE_FIELDS];
	char		*c, *again;
	size_t		 n, i;

	if (arena == NULL)
		arena = tt_arena_new();
	c = tt_arena_strndup(arena, (const char *)data, size);
	for (n = 1; n <= TT_PAGE_FIELDS; n++) {
		if (tt_page_decode(arena, c, f, n) != 0)
			continue;
		again = tt_page_encode(arena, f, n);
		if (tt_page_decode(arena, again, g, n) != 0)
			abort();
		for (i = 0; i < n; i++)
			if (strcmp(f[i], g[i]) != 0)
				abort();
	}
	tt_arena_reset(arena);
	return 0;
}
