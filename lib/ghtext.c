/* ghtext.c: text for GitHub comments and check runs (ghtext.h). */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "arena.h"
#include "ghtext.h"

const char *
tt_ghtext_fenced(struct tt_arena *a, const char *text, size_t max)
{
	size_t	 run = 0, longest = 0, i, n, len;
	char	*fence;

	len = strlen(text);
	if (len > max) {
		len = max;
		/* Not inside a UTF-8 sequence: back to its first byte. */
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		run = text[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	n = longest < 3 ? 3 : longest + 1;
	fence = tt_arena_alloc(a, n + 1);
	memset(fence, '`', n);
	fence[n] = '\0';
	return tt_arena_printf(a, "%s\n%.*s\n%s", fence, (int)len, text,
	    fence);
}
