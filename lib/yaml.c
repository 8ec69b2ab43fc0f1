/* yaml.c: one untrusted YAML document into cJSON, over libyaml's events. */
/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* libyaml's <yaml.h>: lib/ is searched for "quoted" includes only. */
#include <yaml.h>

#include "arena.h"
#include "json.h"
#include "valid.h"
#include "yaml.h"

/* A key of the mapping being read, kept to find duplicates at its end. */
struct key {
	const char	*name;		/* borrowed from the tree */
	yaml_mark_t	 mark;
};

/* An open sequence or mapping. */
struct frame {
	cJSON		*node;		/* array or object, in the tree */
	char		*key;		/* key awaiting its value (malloc) */
	yaml_mark_t	 keymark;
	struct key	*keys;		/* keys read so far (malloc) */
	size_t		 nkeys, maxkeys;
};

struct state {
	struct frame	 stack[TT_YAML_MAX_DEPTH];
	size_t		 depth;
	cJSON		*root;
	size_t		 nodes;
	int		 docs;
	char		*err;
	size_t		 errlen;
};

static enum tt_err	 fail(struct state *, size_t, size_t, const char *, ...)
			    __attribute__((format(printf, 4, 5)));
static size_t		 bad_byte(const char *, size_t);
static void		 where(const char *, size_t, size_t, size_t *,
			    size_t *);
static enum tt_err	 syntax_error(struct state *, const yaml_parser_t *,
			    const char *, size_t);
static int		 is_null(const char *, size_t);
static int		 is_bool(const char *, int *);
static int		 is_number(const char *, size_t, double *);
static cJSON		*scalar(const yaml_event_t *, size_t);
static void		 attach(struct state *, cJSON *);
static int		 cmp_keys(const void *, const void *);
static enum tt_err	 check_keys(struct state *, struct frame *);
static enum tt_err	 step(struct state *, const yaml_event_t *);

/* Writes "line L, column C: <what>" into the caller's buffer. */
static enum tt_err
fail(struct state *st, size_t line, size_t col, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (st->errlen == 0)
		return TT_EINVAL;
	n = snprintf(st->err, st->errlen, "line %zu, column %zu: ", line, col);
	if (n >= 0 && (size_t)n < st->errlen) {
		va_start(ap, fmt);
		vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return TT_EINVAL;
}

/* The offset of the first NUL or ill-formed UTF-8 sequence, or n. */
static size_t
bad_byte(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, k;

	for (i = 0; i < n; i += k) {
		if (p[i] == '\0')
			return i;
		if (p[i] < 0x80) {
			k = 1;
			continue;
		}
		k = p[i] < 0xe0 ? 2 : p[i] < 0xf0 ? 3 : 4;
		if (k > n - i || !tt_valid_utf8(s + i, k))
			return i;
	}
	return n;
}

/*
 * The 1-based line and column (in characters, after a byte-order mark) of
 * byte off of s, as libyaml counts them: CR, LF, CR LF and YAML 1.1's NEL,
 * LS and PS end a line.
 */
static void
where(const char *s, size_t n, size_t off, size_t *line, size_t *col)
{
	size_t	i = 0, k;

	*line = *col = 1;
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < off && i < n; i += k) {
		k = 1;
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			k = 2;
		else if (n - i >= 2 && memcmp(s + i, "\xc2\x85", 2) == 0)
			k = 2;
		else if (n - i >= 3 && (memcmp(s + i, "\xe2\x80\xa8", 3) == 0 ||
		    memcmp(s + i, "\xe2\x80\xa9", 3) == 0))
			k = 3;
		else if (s[i] != '\n' && s[i] != '\r') {
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				(*col)++;
			continue;
		}
		(*line)++;
		*col = 1;
	}
}

/* libyaml's own error, with its context when it gives one. */
static enum tt_err
syntax_error(struct state *st, const yaml_parser_t *p, const char *s,
    size_t n)
{
	const char	*problem = p->problem ? p->problem : "syntax error";
	size_t		 line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		tt_oom(0);
	case YAML_READER_ERROR:
		where(s, n, p->problem_offset, &line, &col);
		return fail(st, line, col, "%s", problem);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		line = p->problem_mark.line + 1;
		col = p->problem_mark.column + 1;
		if (p->context == NULL)
			return fail(st, line, col, "%s", problem);
		if (p->context_mark.index == p->problem_mark.index)
			return fail(st, line, col, "%s (%s)", problem,
			    p->context);
		return fail(st, line, col, "%s (%s at line %zu, column %zu)",
		    problem, p->context, p->context_mark.line + 1,
		    p->context_mark.column + 1);
	default:
		return fail(st, 1, 1, "%s", problem);
	}
}

/* YAML 1.2 core schema: ~, null, Null, NULL or nothing. */
static int
is_null(const char *s, size_t n)
{
	return n == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static int
is_bool(const char *s, int *v)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0) {
		*v = 1;
		return 1;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0) {
		*v = 0;
		return 1;
	}
	return 0;
}

/*
 * YAML 1.2 core schema decimal int or float, without .inf and .nan:
 * [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
 * and finite as a double (1e999 is not a number here). s ends in a NUL.
 */
static int
is_number(const char *s, size_t n, double *v)
{
	char	*end;
	size_t	i = 0, digits = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		digits = 0;
		if (++i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return 0;
	}
	if (i != n)
		return 0;
	*v = strtod(s, &end);
	return end == s + n && isfinite(*v);
}

/*
 * The value of a scalar event: typed when plain and untagged, else a
 * string. The text is NUL-free (checked by the caller) and libyaml ends
 * it with a NUL. depth is 0 for the document's root.
 */
static cJSON *
scalar(const yaml_event_t *ev, size_t depth)
{
	const char	*s = (const char *)ev->data.scalar.value;
	size_t		 n = ev->data.scalar.length;
	double		 d;
	int		 b;
	cJSON		*j;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    ev->data.scalar.tag != NULL)
		j = cJSON_CreateString(s);
	else if (n == 0 && depth == 0)
		j = cJSON_CreateObject();	/* an empty document */
	else if (is_null(s, n))
		j = cJSON_CreateNull();
	else if (is_bool(s, &b))
		j = cJSON_CreateBool(b);
	else if (is_number(s, n, &d))
		j = cJSON_CreateNumber(d);
	else
		j = cJSON_CreateString(s);
	if (j == NULL)
		tt_oom(n);
	return j;
}

/* Adds a new node to the open collection (or makes it the root). */
static void
attach(struct state *st, cJSON *j)
{
	struct frame	*f;
	cJSON_bool	 ok;

	if (st->depth == 0) {
		assert(st->root == NULL);
		st->root = j;
		return;
	}
	f = &st->stack[st->depth - 1];
	if (cJSON_IsArray(f->node)) {
		if (!cJSON_AddItemToArray(f->node, j)) {
			cJSON_Delete(j);
			tt_oom(0);
		}
		return;
	}
	assert(f->key != NULL);
	ok = cJSON_AddItemToObject(f->node, f->key, j);
	free(f->key);
	f->key = NULL;
	if (!ok) {
		cJSON_Delete(j);
		tt_oom(0);
	}
	if (f->nkeys == f->maxkeys) {
		f->maxkeys = f->maxkeys ? 2 * f->maxkeys : 8;
		f->keys = tt_xrealloc(f->keys, f->maxkeys * sizeof(*f->keys));
	}
	f->keys[f->nkeys].name = j->string;
	f->keys[f->nkeys].mark = f->keymark;
	f->nkeys++;
}

/* By name, then by position in the text. */
static int
cmp_keys(const void *a, const void *b)
{
	const struct key	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->mark.index < y->mark.index ? -1 :
	    x->mark.index > y->mark.index;
}

/*
 * A closing mapping's keys, sorted rather than compared pairwise so that a
 * wide mapping costs n log n. The duplicate reported is the earliest
 * second occurrence in the text.
 */
static enum tt_err
check_keys(struct state *st, struct frame *f)
{
	const struct key	*dup = NULL, *first = NULL;
	size_t			 i;

	if (f->nkeys < 2)
		return TT_OK;
	qsort(f->keys, f->nkeys, sizeof(*f->keys), cmp_keys);
	for (i = 1; i < f->nkeys; i++)
		if (strcmp(f->keys[i - 1].name, f->keys[i].name) == 0 &&
		    (dup == NULL || f->keys[i].mark.index < dup->mark.index)) {
			dup = &f->keys[i];
			first = &f->keys[i - 1];
		}
	if (dup == NULL)
		return TT_OK;
	return fail(st, dup->mark.line + 1, dup->mark.column + 1,
	    "duplicate key (first at line %zu, column %zu)",
	    first->mark.line + 1, first->mark.column + 1);
}

/* Applies one event to the tree being built. */
static enum tt_err
step(struct state *st, const yaml_event_t *ev)
{
	const yaml_mark_t	*m = &ev->start_mark;
	const unsigned char	*anchor = NULL;
	struct frame		*top, *f;
	const char		*s;
	size_t			 n;
	cJSON			*j;

	top = st->depth > 0 ? &st->stack[st->depth - 1] : NULL;
	switch (ev->type) {
	case YAML_NO_EVENT:
	case YAML_STREAM_START_EVENT:
	case YAML_STREAM_END_EVENT:
	case YAML_DOCUMENT_END_EVENT:
		return TT_OK;
	case YAML_DOCUMENT_START_EVENT:
		if (st->docs++ > 0)
			return fail(st, m->line + 1, m->column + 1,
			    "more than one document");
		return TT_OK;
	case YAML_ALIAS_EVENT:
		return fail(st, m->line + 1, m->column + 1,
		    "aliases are not allowed");
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		break;
	case YAML_SEQUENCE_END_EVENT:
		free(top->keys);
		st->depth--;
		return TT_OK;
	case YAML_MAPPING_END_EVENT:
		if (check_keys(st, top) != TT_OK)
			return TT_EINVAL;
		free(top->key);
		free(top->keys);
		st->depth--;
		return TT_OK;
	}

	/* A node: a scalar or the start of a collection. */
	if (anchor != NULL)
		return fail(st, m->line + 1, m->column + 1,
		    "anchors are not allowed");
	if (++st->nodes > TT_YAML_MAX_NODES)
		return fail(st, m->line + 1, m->column + 1,
		    "more than %d nodes", TT_YAML_MAX_NODES);
	if (ev->type == YAML_SCALAR_EVENT) {
		s = (const char *)ev->data.scalar.value;
		n = ev->data.scalar.length;
		if (memchr(s, '\0', n) != NULL)
			return fail(st, m->line + 1, m->column + 1,
			    "NUL byte in a scalar");
		if (!tt_valid_utf8(s, n))
			return fail(st, m->line + 1, m->column + 1,
			    "invalid UTF-8 in a scalar");
		if (top != NULL && cJSON_IsObject(top->node) &&
		    top->key == NULL) {
			top->key = tt_xmalloc(n + 1);
			memcpy(top->key, s, n);
			top->key[n] = '\0';
			top->keymark = *m;
			return TT_OK;
		}
		attach(st, scalar(ev, st->depth));
		return TT_OK;
	}
	if (top != NULL && cJSON_IsObject(top->node) && top->key == NULL)
		return fail(st, m->line + 1, m->column + 1,
		    "mapping key is not a scalar");
	if (st->depth == TT_YAML_MAX_DEPTH)
		return fail(st, m->line + 1, m->column + 1,
		    "nested deeper than %d levels", TT_YAML_MAX_DEPTH);
	j = ev->type == YAML_MAPPING_START_EVENT ? cJSON_CreateObject() :
	    cJSON_CreateArray();
	if (j == NULL)
		tt_oom(0);
	attach(st, j);
	f = &st->stack[st->depth++];
	memset(f, 0, sizeof(*f));
	f->node = j;
	return TT_OK;
}

enum tt_err
tt_yaml_parse(struct tt_arena *a, const char *text, size_t len,
    cJSON **out, char *err, size_t errlen)
{
	struct state		 st;
	yaml_parser_t		 p;
	yaml_event_t		 ev;
	yaml_event_type_t	 type;
	enum tt_err		 rc;
	size_t			 off, line, col, i;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	st.err = err;
	st.errlen = err == NULL ? 0 : errlen;
	if (errlen > 0 && err != NULL)
		err[0] = '\0';

	/* Limits and encoding before libyaml sees a byte. */
	if (len > TT_YAML_MAX_BYTES)
		return fail(&st, 1, 1, "input is larger than %d bytes",
		    TT_YAML_MAX_BYTES);
	if (len == 0) {
		*out = tt_json_own(a, cJSON_CreateObject());
		return TT_OK;
	}
	assert(text != NULL);
	if ((off = bad_byte(text, len)) < len) {
		where(text, len, off, &line, &col);
		return fail(&st, line, col, "%s",
		    text[off] == '\0' ? "NUL byte" : "invalid UTF-8");
	}

	if (!yaml_parser_initialize(&p))
		tt_oom(sizeof(p));
	/*
	 * No yaml_parser_set_encoding: the text is UTF-8 by now (a UTF-16
	 * mark is not), and only libyaml's own detection drops a leading
	 * UTF-8 byte-order mark rather than counting it as a column.
	 */
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);

	/* One event at a time, so a limit stops libyaml where it trips. */
	do {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = syntax_error(&st, &p, text, len);
			goto out;
		}
		rc = step(&st, &ev);
		type = ev.type;
		yaml_event_delete(&ev);
	} while (rc == TT_OK && type != YAML_STREAM_END_EVENT);
	if (rc != TT_OK)
		goto out;

	if (st.root == NULL && (st.root = cJSON_CreateObject()) == NULL)
		tt_oom(0);
	*out = tt_json_own(a, st.root);
	st.root = NULL;
out:
	for (i = 0; i < st.depth; i++) {
		free(st.stack[i].key);
		free(st.stack[i].keys);
	}
	cJSON_Delete(st.root);
	yaml_parser_delete(&p);
	return rc;
}
