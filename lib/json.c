/* json.c: safe JSON parsing over cJSON (see SECURITY.md section 4). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "valid.h"

static void	json_delete(void *);
static int	prescan(const char *, size_t, const char **);
static int	check_tree(const cJSON *, struct tt_arena *, const char **);

static void
json_delete(void *p)
{
	cJSON_Delete(p);
}

/*
 * One pass over the raw text, outside cJSON: nesting depth counted on
 * brackets outside strings, and the \u0000 escape (which cJSON would turn
 * into a truncated C string) refused.
 */
static int
prescan(const char *s, size_t n, const char **why)
{
	size_t	i;
	int	depth = 0, instr = 0;

	for (i = 0; i < n; i++) {
		/*
		 * Raw control bytes: never inside strings (RFC 8259), and
		 * outside them only JSON's own whitespace; cJSON would take a
		 * NUL as the end of a string and any of them as whitespace.
		 */
		if ((unsigned char)s[i] < 0x20 && (instr || (s[i] != '\t' &&
		    s[i] != '\n' && s[i] != '\r'))) {
			*why = "control character in JSON";
			return -1;
		}
		if (instr) {
			if (s[i] == '\\') {
				if (i + 1 < n && s[i + 1] == 'u' && n - i >= 6 &&
				    memcmp(s + i + 2, "0000", 4) == 0) {
					*why = "the \\u0000 escape is not allowed";
					return -1;
				}
				i++;
			} else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			if (++depth > TT_JSON_MAX_DEPTH) {
				*why = "JSON nested too deeply";
				return -1;
			}
			break;
		case '}':
		case ']':
			depth--;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
check_tree(const cJSON *j, struct tt_arena *a, const char **why)
{
	const cJSON	 *c;
	const char	**names;
	size_t		  n = 0, i;

	if (cJSON_IsNumber(j) && !isfinite(j->valuedouble)) {
		*why = "number out of range";
		return -1;
	}
	if (cJSON_IsObject(j)) {
		for (c = j->child; c != NULL; c = c->next)
			n++;
		if (n > 1) {
			names = tt_arena_alloc(a, n * sizeof(*names));
			i = 0;
			for (c = j->child; c != NULL; c = c->next)
				names[i++] = c->string;
			qsort(names, n, sizeof(*names), cmp_names);
			for (i = 1; i < n; i++)
				if (strcmp(names[i - 1], names[i]) == 0) {
					*why = "duplicate member name";
					return -1;
				}
		}
	}
	for (c = j->child; c != NULL; c = c->next)
		if (check_tree(c, a, why) != 0)
			return -1;
	return 0;
}

cJSON *
tt_json_parse(struct tt_arena *a, const char *s, size_t n, const char **why)
{
	char		*copy;
	const char	*end = NULL;
	cJSON		*j;

	*why = "invalid JSON";
	if (n == 0) {
		*why = "empty body";
		return NULL;
	}
	/*
	 * cJSON skips a leading UTF-8 byte order mark, so the tree would
	 * parse while the raw text (stored as is, e.g. as a KV record)
	 * would not; RFC 8259 section 8.1 says not to send one.
	 */
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		*why = "body starts with a byte order mark (U+FEFF): send JSON "
		    "without it";
		return NULL;
	}
	if (!tt_valid_utf8(s, n)) {
		*why = "body is not valid UTF-8";
		return NULL;
	}
	if (prescan(s, n, why) != 0)
		return NULL;

	/* len+2 zeroed bytes; cJSON must consume exactly n bytes. */
	copy = tt_arena_alloc(a, n + 2);
	memcpy(copy, s, n);
	j = cJSON_ParseWithLengthOpts(copy, n + 1, &end, 1);
	if (j == NULL)
		return NULL;
	tt_arena_defer(a, json_delete, j);
	if (end != copy + n && !(end == copy + n + 1 && copy[n] == '\0')) {
		*why = "trailing bytes after JSON";
		return NULL;
	}
	if (check_tree(j, a, why) != 0)
		return NULL;
	return j;
}

void
tt_json_buf_string(struct tt_buf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*run = s;
	char			 esc[7];

	tt_buf_put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		tt_buf_put(b, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			tt_buf_put(b, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			tt_buf_put(b, esc, 6);
		}
	}
	tt_buf_put(b, run, (size_t)(s - run));
	tt_buf_put(b, "\"", 1);
}

cJSON *
tt_json_parse_stored(struct tt_arena *a, const char *s, size_t n)
{
	cJSON	*j;

	if ((j = cJSON_ParseWithLength(s, n)) == NULL)
		return NULL;
	tt_arena_defer(a, json_delete, j);
	return j;
}

/*
 * cJSON 1.7.15 prints a double with 15 significant digits whenever its
 * loose round-trip test passes, which changes values in the last digits
 * (1.0000000000000002 prints as 1; DBL_MAX as a number that reads back
 * as infinity). Print a copy whose numbers are raw text with the fewest
 * digits that read back exactly.
 */
static void
exact_numbers(cJSON *j)
{
	char	buf[40];
	int	prec;
	cJSON	*c;

	for (c = j->child; c != NULL; c = c->next) {
		if (cJSON_IsNumber(c) && isfinite(c->valuedouble)) {
			for (prec = 15; prec <= 17; prec++) {
				snprintf(buf, sizeof(buf), "%.*g", prec,
				    c->valuedouble);
				if (strtod(buf, NULL) == c->valuedouble)
					break;
			}
			c->type = cJSON_Raw;
			c->valuestring = strdup(buf);
			if (c->valuestring == NULL)
				tt_oom(sizeof(buf));
		} else
			exact_numbers(c);
	}
}

char *
tt_json_print(struct tt_arena *a, const cJSON *j)
{
	char	*s, *out;
	cJSON	*copy;

	if ((copy = cJSON_Duplicate(j, 1)) == NULL)
		tt_oom(0);
	if (cJSON_IsNumber(copy)) {
		cJSON	*wrap = cJSON_CreateArray();

		cJSON_AddItemToArray(wrap, copy);
		exact_numbers(wrap);
		s = cJSON_PrintUnformatted(wrap);
		cJSON_Delete(wrap);
		if (s == NULL)
			tt_oom(0);
		out = tt_arena_strndup(a, s + 1, strlen(s) - 2);
		cJSON_free(s);
		return out;
	}
	exact_numbers(copy);
	s = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	if (s == NULL)
		tt_oom(0);
	out = tt_arena_strdup(a, s);
	cJSON_free(s);
	return out;
}

cJSON *
tt_json_own(struct tt_arena *a, cJSON *j)
{
	if (j == NULL)
		tt_oom(0);
	tt_arena_defer(a, json_delete, j);
	return j;
}

const char *
tt_json_string(const cJSON *o, const char *name)
{
	const cJSON	*c;

	c = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(c) ? c->valuestring : NULL;
}

int
tt_json_int64(const cJSON *o, const char *name, int64_t min, int64_t max,
    int64_t *v)
{
	const cJSON	*c;
	double		 d;

	c = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsNumber(c))
		return -1;
	d = c->valuedouble;
	/* Beyond 2^53 - 1 a double no longer names one integer. */
	if (!isfinite(d) || d != floor(d) || d < -9007199254740991.0 ||
	    d > 9007199254740991.0 || d < (double)min || d > (double)max)
		return -1;
	*v = (int64_t)d;
	return 0;
}

const char *
tt_json_id(struct tt_arena *a, const cJSON *o, const char *name)
{
	int64_t	v;

	if (tt_json_int64(o, name, 1, INT64_MAX, &v) != 0)
		return NULL;
	return tt_arena_printf(a, "%lld", (long long)v);
}

const cJSON *
tt_json_object(const cJSON *o, const char *name)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsObject(v) ? v : NULL;
}
