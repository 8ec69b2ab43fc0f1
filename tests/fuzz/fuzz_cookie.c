/* fuzz_cookie.c: libFuzzer target for the Cookie header parser. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "http.h"
#include "websession.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/* RFC 6265 cookie-octet, written out again for the check. */
static int
octet(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' &&
	    c != '\\';
}

/*
 * The header is the input up to a NUL. A value found must be 1..256
 * cookie-octets that the header holds right after "name=", at the start
 * or after a ';' and spaces.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { TT_WEBSESSION_COOKIE,
	    TT_WEBSESSION_STATE, "a" };
	struct tt_req	 req;
	char		*env[2], *line, *at;
	const char	*v;
	size_t		 i, j, n;

	if (arena == NULL)
		arena = tt_arena_new();
	line = tt_arena_printf(arena, "HTTP_COOKIE=%.*s", (int)size,
	    (const char *)data);
	env[0] = line;
	env[1] = NULL;
	memset(&req, 0, sizeof(req));
	req.arena = arena;
	req.envp = env;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((v = tt_websession_cookie(&req, names[i])) == NULL)
			continue;
		n = strlen(v);
		if (n == 0 || n > 256)
			abort();
		for (j = 0; j < n; j++)
			if (!octet((unsigned char)v[j]))
				abort();
		at = strstr(line, tt_arena_printf(arena, "%s=%s", names[i],
		    v));
		if (at == NULL)
			abort();
	}
	tt_arena_reset(arena);
	return 0;
}
