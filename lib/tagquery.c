/* tagquery.c: lexer, recursive-descent parser and SQL emitter for q. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "tagquery.h"
#include "valid.h"

/*
 * Grammar (juxtaposition means and; not binds tightest):
 *   query := or
 *   or    := and { "or" and }
 *   and   := not { ["and"] not }
 *   not   := "not" not | "(" or ")" | term
 *   term  := key ":" value        value: bare word, 'quoted' or "quoted"
 * sort:asc|desc may appear once, outside not and or.
 */

enum tok {
	T_END,
	T_LPAREN,
	T_RPAREN,
	T_AND,
	T_OR,
	T_NOT,
	T_TERM,
};

struct parser {
	struct tt_arena			*a;
	const char			*q;
	size_t				 len, pos;
	enum tok			 tok;
	size_t				 tokpos;
	char				*key, *value;	/* of a T_TERM */
	const char			*tz;
	enum tt_tagquery_target		 target;
	int				 next_param;
	int				 terms, depth;
	int				 sort_seen, sort_asc;
	struct tt_buf			 params;	/* const char * array */
	int				 nparams;
	struct tt_tagquery_error	*err;
	const struct tt_tagquery_subject *subject;	/* stacks: or NULL */
};

static int	parse_or(struct parser *, struct tt_buf *, int top, int *);

static int
fail(struct parser *p, const char *id, size_t pos, const char *fmt, ...)
{
	va_list	ap;

	if (p->err->id != NULL)
		return -1;
	p->err->id = id;
	p->err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_word(char c)
{
	return c != '\0' && !is_space(c) && c != '(' && c != ')' &&
	    c != '"' && c != '\'';
}

/* Reads a quoted value starting at the quote; no escapes, as Terrateam. */
static char *
quoted(struct parser *p)
{
	char	 qc = p->q[p->pos];
	size_t	 start = ++p->pos;

	while (p->pos < p->len && p->q[p->pos] != qc)
		p->pos++;
	if (p->pos >= p->len) {
		fail(p, "PARSE_ERROR", start - 1, "unterminated quote at "
		    "offset %zu", start - 1);
		return NULL;
	}
	p->pos++;
	return tt_arena_strndup(p->a, p->q + start, p->pos - 1 - start);
}

static int
lex(struct parser *p)
{
	size_t	start, colon;

	while (p->pos < p->len && is_space(p->q[p->pos]))
		p->pos++;
	p->tokpos = p->pos;
	if (p->pos >= p->len) {
		p->tok = T_END;
		return 0;
	}
	switch (p->q[p->pos]) {
	case '(':
		p->pos++;
		p->tok = T_LPAREN;
		return 0;
	case ')':
		p->pos++;
		p->tok = T_RPAREN;
		return 0;
	case '"':
	case '\'':
		return fail(p, "PARSE_ERROR", p->pos, "a quoted value needs a "
		    "key (key:'value') at offset %zu", p->pos);
	default:
		break;
	}
	start = p->pos;
	while (p->pos < p->len && is_word(p->q[p->pos]) && p->q[p->pos] != ':')
		p->pos++;
	if (p->pos < p->len && p->q[p->pos] == ':') {
		colon = p->pos;
		if (colon == start)
			return fail(p, "PARSE_ERROR", start, "missing key "
			    "before ':' at offset %zu", start);
		p->key = tt_arena_strndup(p->a, p->q + start, colon - start);
		p->pos++;
		if (p->pos < p->len && (p->q[p->pos] == '"' ||
		    p->q[p->pos] == '\'')) {
			if ((p->value = quoted(p)) == NULL)
				return -1;
		} else {
			start = p->pos;
			while (p->pos < p->len && is_word(p->q[p->pos]))
				p->pos++;
			if (p->pos == start)
				return fail(p, "PARSE_ERROR", start, "missing "
				    "value after '%s:' at offset %zu", p->key,
				    start);
			p->value = tt_arena_strndup(p->a, p->q + start,
			    p->pos - start);
		}
		p->tok = T_TERM;
		return 0;
	}
	if (p->pos - start == 3 && memcmp(p->q + start, "and", 3) == 0)
		p->tok = T_AND;
	else if (p->pos - start == 2 && memcmp(p->q + start, "or", 2) == 0)
		p->tok = T_OR;
	else if (p->pos - start == 3 && memcmp(p->q + start, "not", 3) == 0)
		p->tok = T_NOT;
	else if (p->target == TT_TAGQUERY_STACKS) {
		/* A stack's query: a bare word is a tag. */
		p->key = "tag";
		p->value = tt_arena_strndup(p->a, p->q + start, p->pos - start);
		p->tok = T_TERM;
	} else
		return fail(p, "PARSE_ERROR", start, "expected key:value, "
		    "and, or, not or a parenthesis at offset %zu", start);
	return 0;
}

/* Appends a parameter and returns its placeholder number. */
static int
param(struct parser *p, const char *v)
{
	tt_buf_put(&p->params, &v, sizeof(v));
	p->nparams++;
	return p->next_param++;
}

static int
two_digits(const char *s, int lo, int hi, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return *v >= lo && *v <= hi ? 0 : -1;
}

/*
 * "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" (also with 'T'), a real date.
 * Returns the unit ("1 day" or "1 minute") or NULL.
 */
static const char *
date_unit(const char *s, char **norm, struct tt_arena *a)
{
	static const int	 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };
	size_t			 n = strlen(s), i;
	int			 y = 0, m, d, hh, mm;

	if (n != 10 && n != 16)
		return NULL;
	for (i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return NULL;
		y = y * 10 + (s[i] - '0');
	}
	if (y < 1 || s[4] != '-' || two_digits(s + 5, 1, 12, &m) != 0 ||
	    s[7] != '-' || two_digits(s + 8, 1, mdays[m - 1], &d) != 0)
		return NULL;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return NULL;
	if (n == 10) {
		*norm = tt_arena_strndup(a, s, 10);
		return "1 day";
	}
	if ((s[10] != ' ' && s[10] != 'T') || two_digits(s + 11, 0, 23,
	    &hh) != 0 || s[13] != ':' || two_digits(s + 14, 0, 59, &mm) != 0)
		return NULL;
	*norm = tt_arena_printf(a, "%.10s %.5s", s, s + 11);
	return "1 minute";
}

/* created_at:a, a..b, a.., ..b: [start of a, end of b) in the tz. */
static int
emit_created(struct parser *p, struct tt_buf *out, size_t pos)
{
	const char	*dots, *ua = NULL, *ub = NULL;
	char		*a = NULL, *b = NULL, *sa, *sb;
	int		 tz, na, nb;

	dots = strstr(p->value, "..");
	if (dots == NULL) {
		sa = p->value;
		sb = p->value;
	} else {
		sa = tt_arena_strndup(p->a, p->value,
		    (size_t)(dots - p->value));
		sb = tt_arena_strdup(p->a, dots + 2);
		if (sa[0] == '\0' && sb[0] == '\0')
			return fail(p, "BAD_DATE_FORMAT", pos, "created_at "
			    "range needs at least one end at offset %zu", pos);
	}
	if (sa[0] != '\0' && (ua = date_unit(sa, &a, p->a)) == NULL)
		return fail(p, "BAD_DATE_FORMAT", pos, "bad date \"%.40s\" at "
		    "offset %zu: expected YYYY-MM-DD or YYYY-MM-DD HH:MM", sa,
		    pos);
	if (sb[0] != '\0' && (ub = date_unit(sb, &b, p->a)) == NULL)
		return fail(p, "BAD_DATE_FORMAT", pos, "bad date \"%.40s\" at "
		    "offset %zu: expected YYYY-MM-DD or YYYY-MM-DD HH:MM", sb,
		    pos);
	tz = param(p, p->tz);
	tt_buf_puts(out, "(true");
	if (a != NULL) {
		na = param(p, a);
		tt_buf_printf(out, " AND wm.created_at >= ($%d::timestamp AT "
		    "TIME ZONE $%d::text)", na, tz);
	}
	if (b != NULL) {
		nb = param(p, b);
		tt_buf_printf(out, " AND wm.created_at < (($%d::timestamp + "
		    "interval '%s') AT TIME ZONE $%d::text)", nb, ub, tz);
	}
	tt_buf_puts(out, ")");
	(void)ua;
	return 0;
}

/* One key:value as a SQL condition. */
static int
emit_term(struct parser *p, struct tt_buf *out, size_t pos)
{
	static const struct {
		const char	*key;
		const char	*sql;	/* %d: the placeholder */
	} simple[] = {
		{ "branch", "wm.branch = $%d" },
		{ "environment", "wm.environment = $%d" },
		{ "repo", "r.name = $%d" },
		{ "user", "wm.username = $%d" },
	};
	const char	*k = p->key, *v = p->value;
	int64_t		 n;
	size_t		 i;
	int		 dsp = p->target == TT_TAGQUERY_DIRSPACES;

	if (++p->terms > TT_TAGQUERY_MAX_TERMS)
		return fail(p, "PARSE_ERROR", pos, "more than %d terms",
		    TT_TAGQUERY_MAX_TERMS);
	if (!tt_valid_utf8(v, strlen(v)))
		return fail(p, "PARSE_ERROR", pos, "value is not UTF-8");
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (strcmp(k, simple[i].key) == 0) {
			tt_buf_printf(out, simple[i].sql, param(p, v));
			return 0;
		}
	if (strcmp(k, "dir") == 0 || strcmp(k, "workspace") == 0) {
		if (dsp)
			tt_buf_printf(out, "d.%s = $%d", k, param(p, v));
		else
			tt_buf_printf(out, "EXISTS (SELECT 1 FROM "
			    "work_manifest_dirspaces x WHERE x.installation_id "
			    "= wm.installation_id AND x.work_manifest_id = "
			    "wm.id AND x.%s = $%d)", k, param(p, v));
		return 0;
	}
	if (strcmp(k, "id") == 0) {
		if (!tt_valid_uuid(v))
			return fail(p, "PARSE_ERROR", pos, "id must be a uuid "
			    "at offset %zu", pos);
		tt_buf_printf(out, "wm.id = $%d::uuid", param(p, v));
		return 0;
	}
	if (strcmp(k, "pr") == 0) {
		if (tt_valid_int64(v, 1, INT64_MAX, &n) != 0)
			return fail(p, "PARSE_ERROR", pos, "pr must be a pull "
			    "request number at offset %zu", pos);
		tt_buf_printf(out, "wm.pull_number = $%d::bigint", param(p, v));
		return 0;
	}
	if (strcmp(k, "kind") == 0) {
		if (strcmp(v, "pr") != 0 && strcmp(v, "drift") != 0 &&
		    strcmp(v, "index") != 0)
			return fail(p, "PARSE_ERROR", pos, "kind is pr, drift "
			    "or index at offset %zu", pos);
		tt_buf_printf(out, "wm.kind = $%d", param(p, v));
		return 0;
	}
	if (strcmp(k, "type") == 0) {
		tt_buf_printf(out, "wm.run_type = $%d", param(p, v));
		return 0;
	}
	if (strcmp(k, "state") == 0) {
		if (dsp)
			tt_buf_printf(out, "(CASE WHEN wm.state = 'aborted' "
			    "THEN 'aborted' WHEN wm.state IN ('queued', "
			    "'running') THEN wm.state WHEN d.success THEN "
			    "'success' WHEN NOT d.success THEN 'failure' ELSE "
			    "'unknown' END) = $%d", param(p, v));
		else
			tt_buf_printf(out, "wm.state = $%d", param(p, v));
		return 0;
	}
	if (strcmp(k, "created_at") == 0)
		return emit_created(p, out, pos);
	return fail(p, "UNKNOWN_TAG", pos, "unknown tag \"%.40s\" at offset "
	    "%zu", k, pos);
}

/* One key:value of a stack's query, judged against the subject. */
static int
eval_term(struct parser *p, size_t pos, int *v)
{
	const struct tt_tagquery_subject	*s = p->subject;
	const char				*k = p->key, *val = p->value;
	size_t					 i;

	if (++p->terms > TT_TAGQUERY_MAX_TERMS)
		return fail(p, "PARSE_ERROR", pos, "more than %d terms",
		    TT_TAGQUERY_MAX_TERMS);
	*v = 0;
	if (strcmp(k, "tag") == 0) {
		for (i = 0; s != NULL && i < s->ntags; i++)
			if (strcmp(s->tags[i], val) == 0)
				*v = 1;
	} else if (strcmp(k, "dir") == 0)
		*v = s != NULL && strcmp(s->dir, val) == 0;
	else if (strcmp(k, "workspace") == 0)
		*v = s != NULL && strcmp(s->workspace, val) == 0;
	else
		return fail(p, "UNKNOWN_TAG", pos, "unknown tag \"%.40s\" at "
		    "offset %zu (a stack selects by dir:, workspace: or tag)",
		    k, pos);
	return 0;
}

static int
parse_not(struct parser *p, struct tt_buf *out, int top, int *v)
{
	int	x;

	size_t	pos = p->tokpos;

	/*
	 * The verdict is computed for stack queries only; a manifest query's
	 * terms leave it at 1 so that the and/or above never read an
	 * uninitialised value (valgrind).
	 */
	*v = 1;
	if (++p->depth > TT_TAGQUERY_MAX_DEPTH)
		return fail(p, "PARSE_ERROR", pos, "query nested too deeply");
	switch (p->tok) {
	case T_NOT:
		tt_buf_puts(out, "NOT (");
		if (lex(p) != 0 || parse_not(p, out, 0, &x) != 0)
			return -1;
		*v = !x;
		tt_buf_puts(out, ")");
		break;
	case T_LPAREN:
		tt_buf_puts(out, "(");
		if (lex(p) != 0 || parse_or(p, out, 0, v) != 0)
			return -1;
		if (p->tok != T_RPAREN)
			return fail(p, "PARSE_ERROR", p->tokpos, "expected ')' "
			    "at offset %zu", p->tokpos);
		tt_buf_puts(out, ")");
		if (lex(p) != 0)
			return -1;
		break;
	case T_TERM:
		if (p->target == TT_TAGQUERY_STACKS) {
			if (eval_term(p, pos, v) != 0)
				return -1;
		} else if (strcmp(p->key, "sort") == 0) {
			if (!top || p->sort_seen)
				return fail(p, "PARSE_ERROR", pos, "sort: may "
				    "appear once, outside not, or and "
				    "parentheses (offset %zu)", pos);
			if (strcmp(p->value, "asc") != 0 &&
			    strcmp(p->value, "desc") != 0)
				return fail(p, "PARSE_ERROR", pos, "sort is asc "
				    "or desc at offset %zu", pos);
			p->sort_seen = 1;
			p->sort_asc = strcmp(p->value, "asc") == 0;
			tt_buf_puts(out, "true");
		} else {
			/*
			 * A term is true or false, never NULL: "not pr:5" must
			 * keep the manifests that have no pull request.
			 */
			tt_buf_puts(out, "coalesce(");
			if (emit_term(p, out, pos) != 0)
				return -1;
			tt_buf_puts(out, ", false)");
		}
		if (lex(p) != 0)
			return -1;
		break;
	case T_END:
		return fail(p, "PARSE_ERROR", pos, "unexpected end of query "
		    "at offset %zu", pos);
	default:
		return fail(p, "PARSE_ERROR", pos, "unexpected token at "
		    "offset %zu", pos);
	}
	p->depth--;
	return 0;
}

static int
parse_and(struct parser *p, struct tt_buf *out, int top, int *v)
{
	int	x;

	tt_buf_puts(out, "(");
	if (parse_not(p, out, top, v) != 0)
		return -1;
	for (;;) {
		if (p->tok == T_AND) {
			if (lex(p) != 0)
				return -1;
		} else if (p->tok != T_NOT && p->tok != T_LPAREN &&
		    p->tok != T_TERM)
			break;
		tt_buf_puts(out, " AND ");
		if (parse_not(p, out, top, &x) != 0)
			return -1;
		*v = *v && x;
	}
	tt_buf_puts(out, ")");
	return 0;
}

static int
parse_or(struct parser *p, struct tt_buf *out, int top, int *v)
{
	int	any_or = 0, x;

	/* A sort: inside an or would be ambiguous; parse, then refuse. */
	tt_buf_puts(out, "(");
	if (parse_and(p, out, top, v) != 0)
		return -1;
	while (p->tok == T_OR) {
		any_or = 1;
		tt_buf_puts(out, " OR ");
		if (lex(p) != 0 || parse_and(p, out, 0, &x) != 0)
			return -1;
		*v = *v || x;
	}
	tt_buf_puts(out, ")");
	if (any_or && p->sort_seen && top)
		return fail(p, "PARSE_ERROR", 0, "sort: cannot be combined "
		    "with or");
	return 0;
}

/* Lexes and parses q whole; the SQL goes to sql, the verdict to *v. */
static int
run(struct parser *p, struct tt_buf *sql, int *v)
{
	*v = 1;
	if (p->len > TT_TAGQUERY_MAX_LEN)
		return fail(p, "PARSE_ERROR", 0, "query longer than %d bytes",
		    TT_TAGQUERY_MAX_LEN);
	if (!tt_valid_utf8(p->q, p->len))
		return fail(p, "PARSE_ERROR", 0, "query is not UTF-8");
	if (lex(p) != 0)
		return -1;
	if (p->tok == T_END)
		return 0;
	if (parse_or(p, sql, 1, v) != 0)
		return -1;
	if (p->tok != T_END)
		return fail(p, "PARSE_ERROR", p->tokpos, "unexpected %s at "
		    "offset %zu", p->tok == T_RPAREN ? "')'" : "token",
		    p->tokpos);
	return 0;
}

enum tt_err
tt_tagquery_compile(struct tt_arena *a, const char *q, const char *tz,
    enum tt_tagquery_target target, int first_param, struct tt_tagquery *out,
    struct tt_tagquery_error *err)
{
	struct parser	p;
	struct tt_buf	sql = { 0 };
	enum tt_err	e = TT_EINVAL;
	int		v;

	memset(err, 0, sizeof(*err));
	memset(out, 0, sizeof(*out));
	out->where = "true";
	out->params = tt_arena_alloc(a, sizeof(*out->params));
	if (q == NULL || q[0] == '\0')
		return TT_OK;
	if (target == TT_TAGQUERY_STACKS) {
		memset(&p, 0, sizeof(p));
		p.err = err;
		fail(&p, "PARSE_ERROR", 0, "a stack query is matched, not "
		    "compiled");
		return TT_EINVAL;
	}
	memset(&p, 0, sizeof(p));
	p.a = a;
	p.q = q;
	p.len = strlen(q);
	p.tz = tz != NULL && tz[0] != '\0' ? tz : "UTC";
	p.target = target;
	p.next_param = first_param;
	p.err = err;
	if (run(&p, &sql, &v) != 0)
		goto out;
	if (sql.n > 0)
		out->where = tt_arena_strndup(a, sql.p, sql.n);
	out->nparams = p.nparams;
	out->params = tt_arena_alloc(a, (size_t)(p.nparams + 1) *
	    sizeof(*out->params));
	if (p.nparams > 0)
		memcpy(out->params, p.params.p, (size_t)p.nparams *
		    sizeof(*out->params));
	out->sort_asc = p.sort_asc;
	e = TT_OK;
out:
	tt_buf_free(&sql);
	tt_buf_free(&p.params);
	return e;
}

enum tt_err
tt_tagquery_match(struct tt_arena *a, const char *q,
    const struct tt_tagquery_subject *s, int *match,
    struct tt_tagquery_error *err)
{
	struct parser	 p;
	struct tt_buf	 sql = { 0 };
	struct tt_arena	*scratch;
	enum tt_err	 e = TT_OK;

	(void)a;
	/* Called per dirspace and stack: its copies go when it returns. */
	scratch = tt_arena_new();
	memset(err, 0, sizeof(*err));
	memset(&p, 0, sizeof(p));
	p.a = scratch;
	p.q = q != NULL ? q : "";
	p.len = strlen(p.q);
	p.target = TT_TAGQUERY_STACKS;
	p.subject = s;
	p.err = err;
	if (run(&p, &sql, match) != 0) {
		*match = 0;
		e = TT_EINVAL;
	}
	tt_buf_free(&sql);
	tt_arena_free(scratch);
	return e;
}
