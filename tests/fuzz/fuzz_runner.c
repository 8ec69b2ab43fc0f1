/*
 * fuzz_runner.c: libFuzzer target for what the runner and pull-request
 * comments send: results of version 2 (runner.c's outcomes) and comment
 * commands (ghcomment.c).
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ghcomment.h"
#include "json.h"
#include "runner.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * The input as results: outcomes, when there are any, are objects with
 * string dir and workspace and a boolean success, each (dir, workspace)
 * once. The input as a comment: a command's query is at most 1000 bytes
 * of the first line, with no line break.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const cJSON	*o, *p;
	const char	*why, *q;
	char		*s;
	cJSON		*body, *list;
	int		 apply;

	if (arena == NULL)
		arena = tt_arena_new();
	s = tt_arena_alloc(arena, size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if ((body = tt_json_parse(arena, s, size, &why)) != NULL &&
	    (list = tt_runner_outcomes(arena, body)) != NULL) {
		cJSON_ArrayForEach(o, list) {
			if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o,
			    "dir")) || !cJSON_IsString(
			    cJSON_GetObjectItemCaseSensitive(o, "workspace")) ||
			    !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o,
			    "success")))
				abort();
			for (p = o->next; p != NULL; p = p->next)
				if (strcmp(tt_json_string(o, "dir"),
				    tt_json_string(p, "dir")) == 0 &&
				    strcmp(tt_json_string(o, "workspace"),
				    tt_json_string(p, "workspace")) == 0)
					abort();
		}
	}
	if (tt_ghcomment_parse(s, &apply, &q, arena)) {
		if (q == NULL || strlen(q) > 1000 || strchr(q, '\n') != NULL ||
		    strchr(q, '\r') != NULL || (apply != 0 && apply != 1))
			abort();
	}
	tt_arena_reset(arena);
	return 0;
}
