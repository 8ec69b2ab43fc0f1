/* fuzz_json.c: libFuzzer target for tt_json_parse, the request body parser. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "valid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * Every accepted document must honour the parser's promises: valid
 * UTF-8 input, and a tree that prints to text the parser accepts again
 * and that prints the same way the second time.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*why = NULL, *s;
	cJSON		*j, *k;
	char		*out, *again;
	int64_t		 v;

	if (arena == NULL)
		arena = tt_arena_new();

	j = tt_json_parse(arena, (const char *)data, size, &why);
	if (j == NULL) {
		if (why == NULL || why[0] == '\0')
			abort();
		goto out;
	}
	if (size == 0 || !tt_valid_utf8((const char *)data, size))
		abort();
	/* cJSON skips a leading byte order mark; the parser must not. */
	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		abort();

	/*
	 * XXX cJSON 1.7.15 prints DBL_MAX with 15 digits, rounding it up
	 * past the largest double, so the reparse sees infinity. The unit
	 * test test_print_output_parses_again tracks that; every other
	 * reason to refuse our own output is a bug.
	 */
	out = tt_json_print(arena, j);
	k = tt_json_parse(arena, out, strlen(out), &why);
	if (k == NULL) {
		if (strcmp(why, "number out of range") != 0)
			abort();
		goto out;
	}
	again = tt_json_print(arena, k);
	if (strcmp(out, again) != 0)
		abort();

	/* The typed getters on whatever the document holds. */
	if (cJSON_IsObject(j) && j->child != NULL && j->child->string != NULL) {
		s = tt_json_string(j, j->child->string);
		if (s != NULL && !cJSON_IsString(j->child))
			abort();
		if (tt_json_int64(j, j->child->string, -1000000, 1000000,
		    &v) == 0 && (v < -1000000 || v > 1000000))
			abort();
	}
out:
	tt_arena_reset(arena);
	return 0;
}
