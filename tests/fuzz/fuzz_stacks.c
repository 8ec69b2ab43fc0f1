/* fuzz_stacks.c: libFuzzer target for the config.yml reader and stacks. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "stacks.h"
#include "yaml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * Any config.yml: read, stacks computed for a fixed set of changed
 * directories, rendered with results for some dirspaces. A success puts
 * every dirspace in exactly one stack; a refusal always says why.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dirs[] = { ".", "env/prod", "env/dev",
	    "modules/net", "base", "apps/web/prod" };
	struct tt_stacks_run	 runs[2] = {
		{ "env/prod", "default", "plan", 1, 1 },
		{ "base", "default", "apply", 0, 0 },
	};
	struct tt_stacks_result	 r;
	const cJSON		*o, *in, *d;
	cJSON			*cfg;
	static struct tt_buf	 b;
	const char		*why;
	char			 err[512];
	int			 n;

	if (arena == NULL)
		arena = tt_arena_new();
	if (tt_yaml_parse(arena, (const char *)data, size, &cfg, err,
	    sizeof(err)) != TT_OK) {
		if (err[0] == '\0')
			abort();
		goto out;
	}
	if (tt_stacks_compute(arena, cfg, dirs, 6, &r, err, sizeof(err)) !=
	    TT_OK) {
		if (err[0] == '\0')
			abort();
		goto out;
	}
	n = 0;
	cJSON_ArrayForEach(o, r.stacks)
		cJSON_ArrayForEach(in, cJSON_GetObjectItem(o, "stacks"))
			cJSON_ArrayForEach(d, cJSON_GetObjectItem(in,
			    "dirspaces"))
				n++;
	if (n != cJSON_GetArraySize(r.dirspaces))
		abort();
	/* The answer is JSON that parses back. */
	tt_buf_clear(&b);
	tt_stacks_render(arena, &b, r.stacks, runs, 2);
	if (tt_json_parse(arena, b.p, b.n, &why) == NULL)
		abort();
out:
	tt_arena_reset(arena);
	return 0;
}
