/* fuzz_kv.c: libFuzzer target for KV keys and the select parameter. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "kv.h"
#include "valid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * The input as a key: a valid key is never empty, too long, NUL-cut or
 * invalid UTF-8. The input as a query string: a select that parses is a
 * JSON array of [name, path] string pairs.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*sel, *why;
	char		*s;
	cJSON		*j, *p;

	if (arena == NULL)
		arena = tt_arena_new();
	s = tt_arena_strndup(arena, (const char *)data, size);
	if (tt_kv_key_valid(s, size) && (size == 0 || size > TT_KV_KEY_MAX ||
	    strlen(s) != size || !tt_valid_utf8(s, size)))
		abort();
	if (tt_kv_select(arena, s, &sel) == 0 && sel != NULL) {
		j = tt_json_parse(arena, sel, strlen(sel), &why);
		if (!cJSON_IsArray(j))
			abort();
		cJSON_ArrayForEach(p, j)
			if (cJSON_GetArraySize(p) != 2 ||
			    !cJSON_IsString(cJSON_GetArrayItem(p, 0)) ||
			    !cJSON_IsString(cJSON_GetArrayItem(p, 1)))
				abort();
	}
	tt_arena_reset(arena);
	return 0;
}
