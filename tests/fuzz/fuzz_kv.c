/* fuzz_kv.c: libFuzzer target for KV keys and the select parameter. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "kv.h"
#include "url.h"
#include "valid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/* 1 if s is a non-empty run of [A-Za-z0-9_]. */
static int
plain_name(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i > 0;
}

/*
 * A parsed select is a JSON array of at most TT_KV_SELECT_MAX [name, path]
 * string pairs, none empty, whose names hold no '='; each select value of
 * the query is its pairs, in order, as "name=path" joined by commas, and
 * a name after a comma is [A-Za-z0-9_]+.
 */
static void
check_select(const char *query, const char *sel)
{
	struct tt_buf	 b = { 0 };
	const char	*v, *name, *path, *why;
	cJSON		*j, *p;
	int		 bad, i = 0, n;
	unsigned	 k;

	j = tt_json_parse(arena, sel, strlen(sel), &why);
	if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) < 1 ||
	    cJSON_GetArraySize(j) > TT_KV_SELECT_MAX)
		abort();
	n = cJSON_GetArraySize(j);
	for (k = 0; (v = tt_url_query(arena, query, "select", k, &bad)) !=
	    NULL; k++) {
		tt_buf_clear(&b);
		do {
			if (i == n)
				abort();
			p = cJSON_GetArrayItem(j, i++);
			if (cJSON_GetArraySize(p) != 2 ||
			    !cJSON_IsString(cJSON_GetArrayItem(p, 0)) ||
			    !cJSON_IsString(cJSON_GetArrayItem(p, 1)))
				abort();
			name = cJSON_GetArrayItem(p, 0)->valuestring;
			path = cJSON_GetArrayItem(p, 1)->valuestring;
			if (name[0] == '\0' || path[0] == '\0' ||
			    strchr(name, '=') != NULL ||
			    (b.n > 0 && !plain_name(name)))
				abort();
			tt_buf_printf(&b, "%s%s=%s", b.n > 0 ? "," : "", name,
			    path);
		} while (b.n < strlen(v));
		if (b.n != strlen(v) || memcmp(b.p, v, b.n) != 0)
			abort();
	}
	if (i != n)
		abort();
	tt_buf_free(&b);
}

/*
 * The input as a key: a valid key is never empty, too long, NUL-cut or
 * invalid UTF-8. The input as a query string: a select that parses
 * passes check_select.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*sel;
	char		*s;

	if (arena == NULL)
		arena = tt_arena_new();
	s = tt_arena_strndup(arena, (const char *)data, size);
	if (tt_kv_key_valid(s, size) && (size == 0 || size > TT_KV_KEY_MAX ||
	    strlen(s) != size || !tt_valid_utf8(s, size)))
		abort();
	if (tt_kv_select(arena, s, &sel) == 0 && sel != NULL)
		check_select(s, sel);
	tt_arena_reset(arena);
	return 0;
}
