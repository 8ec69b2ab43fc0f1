/* json.h: safe JSON parsing of request bodies and small typed helpers. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_JSON_H
#define TT_JSON_H

#include <stddef.h>
#include <stdint.h>

struct tt_arena;
struct cJSON;

#define TT_JSON_MAX_DEPTH	64

/*
 * Parses a request body under the project's rules: non-empty, no leading
 * byte order mark, valid UTF-8, no \u0000 escape, nesting at most
 * TT_JSON_MAX_DEPTH, no trailing bytes, no duplicate member names, no
 * non-finite numbers. Returns an arena-owned tree (deleted at reset) or
 * NULL with *why set to a static message.
 */
struct cJSON	*tt_json_parse(struct tt_arena *, const char *, size_t,
		    const char **why);

/*
 * Parses JSON this system wrote itself and read back from its database
 * (stored stacks, cached results): only cJSON's syntax check, none of
 * the request rules above. Arena-owned tree, or NULL if not JSON.
 */
struct cJSON	*tt_json_parse_stored(struct tt_arena *, const char *,
		    size_t);

/* Appends s as a JSON string literal (quoted, escaped) to b. */
struct tt_buf;
void		 tt_json_buf_string(struct tt_buf *b, const char *s);

/* Serialises without whitespace into an arena-owned string. */
char		*tt_json_print(struct tt_arena *, const struct cJSON *);

/*
 * Registers a tree the caller built for deletion at the next arena reset
 * and returns it.
 */
struct cJSON	*tt_json_own(struct tt_arena *, struct cJSON *);

/* Case-sensitive member lookups; NULL when absent or of another type. */
const char	*tt_json_string(const struct cJSON *, const char *name);
/* Integral finite number within [min, max]: 0 and *v, else -1. */
/* The member name as an id (an integer 1..2^63-1) in decimal text,
 * arena-owned; NULL when absent or not such an integer. */
const char	*tt_json_id(struct tt_arena *, const struct cJSON *,
		    const char *name);
/* The member name when it is an object, else NULL. */
const struct cJSON *tt_json_object(const struct cJSON *, const char *name);
int		 tt_json_int64(const struct cJSON *, const char *name,
		    int64_t min, int64_t max, int64_t *v);

#endif
