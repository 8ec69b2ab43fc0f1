/* fuzz_tagquery.c: libFuzzer target for the tag query compiler. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "tagquery.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * Whatever the query, the SQL it compiles to holds no ';' and no text of
 * the query: every placeholder it names is one of its own parameters,
 * and a refusal always says why and where.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_tagquery		t;
	struct tt_tagquery_error	e;
	const char			*w;
	char				*q, *end;
	long				 n;
	int				 target;

	if (arena == NULL)
		arena = tt_arena_new();
	q = tt_arena_strndup(arena, (const char *)data, size);
	for (target = 0; target < 2; target++) {
		if (tt_tagquery_compile(arena, q, "UTC", target ?
		    TT_TAGQUERY_DIRSPACES : TT_TAGQUERY_MANIFESTS, 7, &t,
		    &e) != TT_OK) {
			if (e.id == NULL || e.msg[0] == '\0' || e.pos > size)
				abort();
			continue;
		}
		if (strchr(t.where, ';') != NULL)
			abort();
		for (w = strchr(t.where, '$'); w != NULL;
		    w = strchr(w + 1, '$')) {
			n = strtol(w + 1, &end, 10);
			if (end == w + 1 || n < 7 || n >= 7 + t.nparams)
				abort();
		}
	}
	/* A stack's query: the verdict is one bit; not q is its opposite. */
	{
		static const char *const tags[] = { "prod", "aws" };
		struct tt_tagquery_subject	sub = { "env/prod", "default",
		    tags, 2 };
		int				m1, m2, m0;
		char				*nq;

		if (tt_tagquery_match(arena, q, &sub, &m1, &e) == TT_OK) {
			if (m1 != 0 && m1 != 1)
				abort();
			if (tt_tagquery_match(arena, q, NULL, &m0, &e) !=
			    TT_OK)
				abort();
			if (size > 0 && size < 1000) {
				nq = tt_arena_printf(arena, "not (%s)", q);
				if (tt_tagquery_match(arena, nq, &sub, &m2,
				    &e) == TT_OK && m2 == m1)
					abort();
			}
		} else if (e.id == NULL || e.msg[0] == '\0' || e.pos > size)
			abort();
	}
	tt_arena_reset(arena);
	return 0;
}
