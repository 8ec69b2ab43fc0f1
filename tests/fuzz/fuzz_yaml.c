/* fuzz_yaml.c: libFuzzer target for the YAML reader (config.yml). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "yaml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/* Nesting of arrays and objects; a scalar is 0. */
static int
depth(const cJSON *j)
{
	const cJSON	*c;
	int		 d, max = 0;

	if (!cJSON_IsArray(j) && !cJSON_IsObject(j))
		return 0;
	for (c = j->child; c != NULL; c = c->next)
		if ((d = depth(c)) > max)
			max = d;
	return max + 1;
}

/*
 * Any input is either refused, with *out NULL and a "line L, column C: "
 * message, or read into a tree within the depth limit that prints as JSON
 * the request body parser accepts in turn: no duplicate names, no NUL,
 * valid UTF-8, finite numbers.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*why;
	char		 err[256];
	cJSON		*j = (cJSON *)&j;
	char		*s;

	if (arena == NULL)
		arena = tt_arena_new();
	memset(err, 'x', sizeof(err));
	switch (tt_yaml_parse(arena, (const char *)data, size, &j, err,
	    sizeof(err))) {
	case TT_OK:
		if (j == NULL || depth(j) > TT_YAML_MAX_DEPTH)
			abort();
		s = tt_json_print(arena, j);
		if (tt_json_parse(arena, s, strlen(s), &why) == NULL)
			abort();
		break;
	case TT_EINVAL:
		if (j != NULL || strncmp(err, "line ", 5) != 0 ||
		    strchr(err, ':') == NULL || memchr(err, '\0',
		    sizeof(err)) == NULL)
			abort();
		break;
	default:
		abort();
	}
	tt_arena_reset(arena);
	return 0;
}
