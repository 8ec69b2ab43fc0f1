/*
 * test_citus.c: Citus readiness. The direction past one primary is Citus
 * with installation_id as the distribution column of every table that
 * has one (an "installation-scoped" table) and the other tables as
 * reference tables. This test lists what stands in the way, from the
 * migrated schema (TT_DATABASE_URL, tests/unit/testdb.h) and from every
 * statement the library declares (TT_DB_STMT, found in the tt_db_stmts
 * section as tests/unit/test_dbstmt.c finds them: this test links all
 * of libtt.a).
 *
 * Tables (test_tables). For each installation-scoped table: its primary
 * key and every other unique index include installation_id as a key
 * column (Citus enforces uniqueness per shard only); installation_id is
 * NOT NULL and bigint (a distribution column holds no NULL; co-located
 * tables share its type); a foreign key between two such tables pairs
 * installation_id with installation_id (co-location), and no table
 * without installation_id refers to one (a reference table cannot refer
 * to a distributed one). No statement-level trigger sits on one (Citus
 * propagates row triggers only, with citus.enable_unsafe_triggers).
 *
 * Statements (test_statements) and the schema's SQL and PL/pgSQL
 * functions (test_functions, each statement of a body apart; $n, NEW.x,
 * OLD.x and the function's argument names count as values there). The
 * rule: every reference to an installation-scoped table must be tied to
 * one installation, so that Citus can send the statement to one shard:
 *
 *   - a reference is a table name in FROM, JOIN, UPDATE, DELETE FROM,
 *     USING or INSERT INTO, in any subquery or CTE: any occurrence of
 *     the name outside strings and comments that is not a column
 *     qualifier (name.column). Its alias follows it.
 *   - a reference is tied when its installation_id (alias.installation_id,
 *     or a bare installation_id that SQL resolves to it) is compared with
 *     = to a value ($n; not = ANY/ALL), or with = to the installation_id
 *     of a reference that is tied (a join on installation_id to a tied
 *     table ties it, in either direction, through any chain), or to
 *     name.installation_id of a CTE or derived table all of whose own
 *     references are tied (a CTE filtered by installation_id ties what
 *     joins it; never the other way round: a CTE is computed whole). An
 *     INSERT's target is tied when its column list names installation_id.
 *   - "=" inside an UPDATE's SET list is an assignment and does not
 *     count. A bare installation_id belongs to the reference of the
 *     innermost enclosing parenthesised query that has one (SQL scoping,
 *     approximated by parentheses; UNION parts are apart).
 *
 * So "names installation_id" means names it in a comparison that pins
 * the row to one installation, per table: a statement that only selects
 * installation_id, compares it with <> ALL or IN, or joins a second
 * table on another column, is an offender. The rule is lexical and
 * cannot see what a function called by a statement does (functions are
 * checked on their own), whether a comparison sits in a SELECT list
 * rather than a WHERE clause, nor an outer join's loosening; it is a
 * necessary condition for routing a statement to one shard, not proof.
 * ttctl's ad hoc SQL (tools/, tt_db_exec) is not in the section and not
 * checked: admin commands (docs/OPERATIONS.md, Citus).
 *
 * The known blockers are listed in tests/unit/citus-blockers.txt, one a
 * line: KIND NAME REASON. A test fails for an offender not listed there
 * and for a listed entry that is no longer an offender (remove it), so
 * the list stays the exact set of blockers. Every offender is printed.
 */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "testdb.h"

#ifndef TT_CITUS_BLOCKERS
#define TT_CITUS_BLOCKERS "tests/unit/citus-blockers.txt"
#endif

extern struct tt_db_stmt *const __start_tt_db_stmts[];
extern struct tt_db_stmt *const __stop_tt_db_stmts[];

#define COL	"installation_id"

/* ---------------------------------------------------------------- */
/* The lexer: tokens with the parenthesised group each belongs to.   */

enum { K_IDENT, K_PARAM, K_OP, K_PUNCT, K_OTHER };

struct tok {
	int	 kind;
	char	 s[64];		/* identifiers lowercased (unless quoted) */
	int	 group;		/* the group the token is in */
	int	 opens;		/* '(': the group it opens; else -1 */
	int	 closes;	/* ')': the group it closes; else -1 */
	int	 in_set;	/* inside an UPDATE's SET list */
};

struct lex {
	struct tok	*t;
	int		 n, cap;
	int		*parent;	/* scope parent of each group (-1: none) */
	int		*paren;		/* the parenthesised group it is part of */
	int		*first;		/* index of its first token (-1: none) */
	int		 ng, gcap;
};

static int
new_group(struct lex *L, int parent, int paren)
{
	if (L->ng == L->gcap) {
		L->gcap = L->gcap ? L->gcap * 2 : 16;
		L->parent = realloc(L->parent, (size_t)L->gcap * sizeof(int));
		L->paren = realloc(L->paren, (size_t)L->gcap * sizeof(int));
		L->first = realloc(L->first, (size_t)L->gcap * sizeof(int));
		if (L->parent == NULL || L->paren == NULL || L->first == NULL)
			abort();
	}
	L->parent[L->ng] = parent;
	L->paren[L->ng] = paren < 0 ? L->ng : paren;
	L->first[L->ng] = -1;
	return L->ng++;
}

static struct tok *
push(struct lex *L, int kind, const char *s, size_t len, int group)
{
	struct tok	*t;

	if (L->n == L->cap) {
		L->cap = L->cap ? L->cap * 2 : 64;
		if ((L->t = realloc(L->t, (size_t)L->cap * sizeof(*t))) == NULL)
			abort();
	}
	t = &L->t[L->n++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	if (len > sizeof(t->s) - 1)
		len = sizeof(t->s) - 1;
	memcpy(t->s, s, len);
	t->group = group;
	t->opens = t->closes = -1;
	if (L->first[group] < 0)
		L->first[group] = L->n - 1;
	return t;
}

static int
is_opchar(int c)
{
	return c != '\0' && strchr("+-*/<>=~!@#%^&|`?", c) != NULL;
}

static int
is(const struct lex *L, int i, const char *s)
{
	return i >= 0 && i < L->n && L->t[i].kind != K_OTHER &&
	    strcmp(L->t[i].s, s) == 0;
}

/* Reads sql into L; 0, or -1 on an unterminated string or comment. */
static int
lex(struct lex *L, const char *sql)
{
	const char	*p = sql, *q, *end;
	int		 g, d, i;
	struct tok	*t;
	char		 tag[64];
	size_t		 n;

	memset(L, 0, sizeof(*L));
	g = new_group(L, -1, -1);
	while (*p != '\0') {
		if (isspace((unsigned char)*p)) {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			if ((q = strstr(p + 2, "*/")) == NULL)
				return -1;
			p = q + 2;
		} else if (*p == '\'' || ((*p == 'e' || *p == 'E') &&
		    p[1] == '\'')) {
			d = *p != '\'';	/* E'': backslash escapes */
			for (p += d + 1; *p != '\0'; p++) {
				if (d && *p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '\'' && p[1] == '\'')
					p++;
				else if (*p == '\'')
					break;
			}
			if (*p++ == '\0')
				return -1;
			push(L, K_OTHER, "'", 1, g);
		} else if (*p == '"') {
			for (q = ++p; *p != '\0' && !(*p == '"' && p[1] != '"');
			    p += (*p == '"') ? 2 : 1)
				;
			if (*p == '\0')
				return -1;
			push(L, K_IDENT, q, (size_t)(p - q), g);
			p++;
		} else if (*p == '$' && isdigit((unsigned char)p[1])) {
			for (q = p++; isdigit((unsigned char)*p); p++)
				;
			push(L, K_PARAM, q, (size_t)(p - q), g);
		} else if (*p == '$') {
			/* A dollar-quoted string: $tag$ ... $tag$. */
			q = p + 1;
			while (isalnum((unsigned char)*q) || *q == '_')
				q++;
			if (*q != '$' || (size_t)(q - p + 1) >= sizeof(tag))
				return -1;
			n = (size_t)(q - p + 1);
			memcpy(tag, p, n);
			tag[n] = '\0';
			if ((end = strstr(q + 1, tag)) == NULL)
				return -1;
			p = end + n;
			push(L, K_OTHER, "'", 1, g);
		} else if (isalpha((unsigned char)*p) || *p == '_' ||
		    (unsigned char)*p >= 0x80) {
			for (q = p; isalnum((unsigned char)*p) || *p == '_' ||
			    *p == '$' || (unsigned char)*p >= 0x80; p++)
				;
			t = push(L, K_IDENT, q, (size_t)(p - q), g);
			for (i = 0; t->s[i] != '\0'; i++)
				t->s[i] = (char)tolower((unsigned char)t->s[i]);
			/* UNION, INTERSECT, EXCEPT: the next part apart. */
			if (strcmp(t->s, "union") == 0 ||
			    strcmp(t->s, "intersect") == 0 ||
			    strcmp(t->s, "except") == 0)
				g = new_group(L, L->parent[g], L->paren[g]);
		} else if (isdigit((unsigned char)*p) || (*p == '.' &&
		    isdigit((unsigned char)p[1]))) {
			for (q = p; isalnum((unsigned char)*p) || *p == '.'; p++)
				;
			push(L, K_OTHER, q, (size_t)(p - q), g);
		} else if (p[0] == ':' && (p[1] == ':' || p[1] == '=')) {
			push(L, p[1] == ':' ? K_PUNCT : K_OP, p, 2, g);
			p += 2;
		} else if (*p == '(') {
			t = push(L, K_PUNCT, p++, 1, g);
			t->opens = g = new_group(L, g, -1);
		} else if (*p == ')') {
			d = L->paren[g];
			if (L->parent[d] < 0)
				return -1;
			g = L->parent[d];
			t = push(L, K_PUNCT, p++, 1, g);
			t->closes = d;
		} else if (is_opchar(*p)) {
			for (q = p; is_opchar(*p) && !(p[0] == '-' &&
			    p[1] == '-') && !(p[0] == '/' && p[1] == '*'); p++)
				;
			push(L, K_OP, q, (size_t)(p - q), g);
		} else {
			push(L, K_PUNCT, p++, 1, g);
		}
	}
	if (L->parent[g] >= 0)
		return -1;	/* a parenthesis left open */
	/* SET lists: from SET to WHERE, FROM or RETURNING in that group. */
	{
		int	*set = calloc((size_t)L->ng, sizeof(int));

		if (set == NULL)
			abort();
		for (i = 0; i < L->n; i++) {
			t = &L->t[i];
			if (t->kind == K_IDENT && strcmp(t->s, "set") == 0)
				set[L->paren[t->group]] = 1;
			else if (t->kind == K_IDENT &&
			    (strcmp(t->s, "where") == 0 ||
			    strcmp(t->s, "from") == 0 ||
			    strcmp(t->s, "returning") == 0))
				set[L->paren[t->group]] = 0;
			else if (t->kind == K_PUNCT && strcmp(t->s, ";") == 0)
				set[L->paren[t->group]] = 0;
			t->in_set = set[L->paren[t->group]];
		}
		free(set);
	}
	return 0;
}

static void
lex_free(struct lex *L)
{
	free(L->t);
	free(L->parent);
	free(L->paren);
	free(L->first);
}

/* ---------------------------------------------------------------- */
/* The rule.                                                         */

/* Words that end a table reference instead of naming its alias. */
static const char *const not_alias[] = {
	"as", "where", "set", "join", "inner", "left", "right", "full",
	"cross", "natural", "on", "using", "group", "order", "limit",
	"offset", "returning", "values", "default", "select", "for",
	"union", "except", "intersect", "window", "having", "fetch",
	"tablesample", "lateral", "when", "then", "else", "end", "and",
	"or", "not", "into", "do", "overriding", "loop", "if", "with",
	"only", "from",
};

static int
keyword(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(not_alias) / sizeof(not_alias[0]); i++)
		if (strcmp(s, not_alias[i]) == 0)
			return 1;
	return 0;
}

/* What a statement is checked against. */
struct scope {
	const char	*const *tables;	/* installation-scoped tables */
	size_t		 ntables;
	const char	*const *values;	/* names that stand for a value */
	size_t		 nvalues;
	int		 rowvars;	/* NEW.x and OLD.x are values */
};

struct ref {
	int	 tok;		/* its token */
	int	 table;		/* index into scope tables */
	char	 alias[64];	/* "" when none */
	int	 target;	/* an INSERT's target */
	int	 tied;
};

/* A term of an equality: a reference's or a derived group's
 * installation_id, a value, or anything else. */
enum { T_NONE, T_REF, T_DERIVED, T_VALUE };
struct term {
	int	kind;
	int	id;
};

struct stmt {
	const struct lex	*L;
	const struct scope	*S;
	int			 lo, hi;
	struct ref		*refs;
	int			 nrefs;
	int			*name_tok;	/* per group: token naming it */
};

static int
scoped(const struct scope *S, const char *s)
{
	size_t	i;

	for (i = 0; i < S->ntables; i++)
		if (strcmp(S->tables[i], s) == 0)
			return (int)i;
	return -1;
}

static const char *
ref_name(const struct stmt *st, const struct ref *r)
{
	return r->alias[0] != '\0' ? r->alias : st->S->tables[r->table];
}

/* Is group g inside group d (or d itself)? */
static int
inside(const struct lex *L, int g, int d)
{
	for (; g >= 0; g = L->parent[g])
		if (L->paren[g] == d)
			return 1;
	return 0;
}

/* q.installation_id seen in group g: the reference or derived group q
 * names there. */
static struct term
resolve_qualified(const struct stmt *st, int g, const char *q)
{
	const struct lex	*L = st->L;
	struct term		 t = { T_NONE, 0 };
	int			 i, x;

	for (x = g; x >= 0; x = L->parent[x])
		for (i = 0; i < st->nrefs; i++)
			if (L->t[st->refs[i].tok].group == x &&
			    strcmp(ref_name(st, &st->refs[i]), q) == 0) {
				t.kind = T_REF;
				t.id = i;
				return t;
			}
	for (x = 0; x < L->ng; x++)
		if (st->name_tok[x] >= 0 && strcmp(L->t[st->name_tok[x]].s,
		    q) == 0 && !inside(L, g, x)) {
			t.kind = T_DERIVED;
			t.id = x;
			return t;
		}
	return t;
}

/* A bare installation_id in group g: the one reference of the innermost
 * enclosing group that has any (an INSERT's target only when alone). */
static struct term
resolve_bare(const struct stmt *st, int g)
{
	const struct lex	*L = st->L;
	struct term		 t = { T_NONE, 0 };
	int			 i, x, n, nt, last, lastt;

	for (x = g; x >= 0; x = L->parent[x]) {
		n = nt = 0;
		last = lastt = -1;
		for (i = 0; i < st->nrefs; i++) {
			if (L->t[st->refs[i].tok].group != x)
				continue;
			if (st->refs[i].target) {
				nt++;
				lastt = i;
			} else {
				n++;
				last = i;
			}
		}
		if (n + nt == 0)
			continue;
		if (n == 1 || (n == 0 && nt == 1)) {
			t.kind = T_REF;
			t.id = n == 1 ? last : lastt;
		}
		return t;	/* ambiguous: none */
	}
	return t;
}

static int
value_name(const struct scope *S, const char *s)
{
	size_t	i;

	for (i = 0; i < S->nvalues; i++)
		if (strcmp(S->values[i], s) == 0)
			return 1;
	return 0;
}

/* The operand of = that ends at token e (left) or starts at b (right). */
static struct term
operand(const struct stmt *st, int i, int left)
{
	const struct lex	*L = st->L;
	struct term		 none = { T_NONE, 0 }, val = { T_VALUE, 0 };
	const char		*q = NULL, *c;
	int			 g;

	if (i < st->lo || i >= st->hi)
		return none;
	g = L->t[i].group;

	if (left) {
		/* Skip casts: x::bigint = ... */
		while (i - 2 >= st->lo && L->t[i].kind == K_IDENT &&
		    is(L, i - 1, "::"))
			i -= 2;
		if (i < st->lo)
			return none;
		if (L->t[i].kind == K_PARAM)
			return val;
		if (L->t[i].kind != K_IDENT)
			return none;
		c = L->t[i].s;
		if (i - 2 >= st->lo && is(L, i - 1, ".") &&
		    L->t[i - 2].kind == K_IDENT)
			q = L->t[i - 2].s;
	} else {
		if (i >= st->hi)
			return none;
		if (L->t[i].kind == K_PARAM)
			return val;
		if (L->t[i].kind != K_IDENT)
			return none;
		if (i + 2 < st->hi && is(L, i + 1, ".") &&
		    L->t[i + 2].kind == K_IDENT) {
			q = L->t[i].s;
			c = L->t[i + 2].s;
		} else {
			c = L->t[i].s;
			if (is(L, i + 1, "(") || strcmp(c, "any") == 0 ||
			    strcmp(c, "all") == 0 || strcmp(c, "some") == 0)
				return none;
		}
	}
	if (q != NULL && st->S->rowvars && (strcmp(q, "new") == 0 ||
	    strcmp(q, "old") == 0))
		return val;
	if (q == NULL && value_name(st->S, c))
		return val;
	if (strcmp(c, COL) != 0)
		return none;
	return q != NULL ? resolve_qualified(st, g, q) : resolve_bare(st, g);
}

/* Are all of derived group d's own references tied (and is there one)? */
static int
derived_tied(const struct stmt *st, int d)
{
	int	i, n = 0;

	for (i = 0; i < st->nrefs; i++)
		if (inside(st->L, st->L->t[st->refs[i].tok].group, d)) {
			if (!st->refs[i].tied)
				return 0;
			n++;
		}
	return n > 0;
}

static int
term_tied(const struct stmt *st, struct term t)
{
	return t.kind == T_VALUE || (t.kind == T_REF && st->refs[t.id].tied) ||
	    (t.kind == T_DERIVED && derived_tied(st, t.id));
}

/*
 * Checks tokens lo..hi-1 of L (one statement). Returns how many of its
 * references to installation-scoped tables are not tied to one
 * installation, naming them in why; *nrefs: how many there are.
 */
static int
check_stmt(const struct lex *L, int lo, int hi, const struct scope *S,
    char *why, size_t whylen, int *nrefs)
{
	struct stmt	 st;
	struct term	*ta, *tb;
	int		 i, j, k, ne = 0, changed, bad = 0;
	size_t		 used = 0;

	memset(&st, 0, sizeof(st));
	st.L = L;
	st.S = S;
	st.lo = lo;
	st.hi = hi;
	st.refs = calloc((size_t)(hi - lo + 1), sizeof(*st.refs));
	st.name_tok = malloc((size_t)L->ng * sizeof(int));
	ta = calloc((size_t)(hi - lo + 1), sizeof(*ta));
	tb = calloc((size_t)(hi - lo + 1), sizeof(*tb));
	if (st.refs == NULL || st.name_tok == NULL || ta == NULL || tb == NULL)
		abort();
	for (i = 0; i < L->ng; i++)
		st.name_tok[i] = -1;

	/* References, their aliases, and INSERT targets' column lists. */
	for (i = lo; i < hi; i++) {
		struct ref	*r;

		if (L->t[i].kind != K_IDENT || scoped(S, L->t[i].s) < 0 ||
		    is(L, i + 1, ".") || (is(L, i - 1, ".") &&
		    !is(L, i - 2, "public")))
			continue;
		r = &st.refs[st.nrefs++];
		r->tok = i;
		r->table = scoped(S, L->t[i].s);
		r->target = is(L, i - 1, "into") || (is(L, i - 1, ".") &&
		    is(L, i - 3, "into"));
		j = i + 1;
		if (is(L, j, "as"))
			j++;
		if (j < hi && L->t[j].kind == K_IDENT && !keyword(L->t[j].s)) {
			snprintf(r->alias, sizeof(r->alias), "%s", L->t[j].s);
			j++;
		}
		if (r->target && is(L, j, "(") && L->t[j].opens >= 0)
			for (k = j + 1; k < hi && L->t[k].closes !=
			    L->t[j].opens; k++)
				if (L->t[k].group == L->t[j].opens &&
				    is(L, k, COL))
					r->tied = 1;
	}
	/* Named groups: CTEs (name AS [NOT] [MATERIALIZED] (...)) and
	 * derived tables ((SELECT ...) [AS] name). */
	for (i = lo; i < hi; i++) {
		if (L->t[i].kind == K_IDENT && !keyword(L->t[i].s) &&
		    is(L, i + 1, "as")) {
			j = i + 2;
			if (is(L, j, "not"))
				j++;
			if (is(L, j, "materialized"))
				j++;
			if (j < hi && L->t[j].opens >= 0)
				st.name_tok[L->t[j].opens] = i;
		}
		if (L->t[i].closes >= 0 && L->first[L->t[i].closes] >= 0 &&
		    (is(L, L->first[L->t[i].closes], "select") ||
		    is(L, L->first[L->t[i].closes], "with") ||
		    is(L, L->first[L->t[i].closes], "values"))) {
			j = i + 1;
			if (is(L, j, "as"))
				j++;
			if (j < hi && L->t[j].kind == K_IDENT &&
			    !keyword(L->t[j].s))
				st.name_tok[L->t[i].closes] = j;
		}
	}
	/* Comparisons with = outside SET lists. */
	for (i = lo; i < hi; i++) {
		if (L->t[i].kind != K_OP || strcmp(L->t[i].s, "=") != 0 ||
		    L->t[i].in_set)
			continue;
		ta[ne] = operand(&st, i - 1, 1);
		tb[ne] = operand(&st, i + 1, 0);
		if (ta[ne].kind != T_NONE && tb[ne].kind != T_NONE &&
		    (ta[ne].kind != T_VALUE || tb[ne].kind != T_VALUE))
			ne++;
	}
	/* Ties spread along the comparisons until nothing changes. */
	do {
		changed = 0;
		for (i = 0; i < ne; i++) {
			if (tb[i].kind == T_REF && !st.refs[tb[i].id].tied &&
			    term_tied(&st, ta[i]))
				changed = st.refs[tb[i].id].tied = 1;
			if (ta[i].kind == T_REF && !st.refs[ta[i].id].tied &&
			    term_tied(&st, tb[i]))
				changed = st.refs[ta[i].id].tied = 1;
		}
	} while (changed);

	if (whylen > 0)
		why[0] = '\0';
	for (i = 0; i < st.nrefs; i++) {
		const struct ref	*r = &st.refs[i];
		int			 n;

		if (r->tied)
			continue;
		bad++;
		n = snprintf(why + used, whylen - used, "%s%s%s%s%s",
		    used > 0 ? "; " : "", S->tables[r->table],
		    r->alias[0] != '\0' ? " " : "", r->alias,
		    r->target ? ": INSERT without installation_id" :
		    ": not pinned to one installation");
		if (n > 0 && (size_t)n < whylen - used)
			used += (size_t)n;
	}
	*nrefs = st.nrefs;
	free(st.refs);
	free(st.name_tok);
	free(ta);
	free(tb);
	return bad;
}

/*
 * Checks sql, one statement or several separated by ';' (a function's
 * body). Returns the number of untied references (-1: sql not read).
 */
static int
check_sql(const char *sql, const struct scope *S, char *why, size_t whylen,
    int *nrefs)
{
	struct lex	 L;
	int		 i, lo = 0, bad = 0, b, n, total = 0;
	char		 one[512];

	if (whylen > 0)
		why[0] = '\0';
	*nrefs = 0;
	if (lex(&L, sql) != 0) {
		lex_free(&L);
		snprintf(why, whylen, "its SQL could not be read");
		return -1;
	}
	for (i = 0; i <= L.n; i++) {
		if (i < L.n && !(L.t[i].kind == K_PUNCT &&
		    strcmp(L.t[i].s, ";") == 0))
			continue;
		if ((b = check_stmt(&L, lo, i, S, one, sizeof(one), &n)) > 0)
			snprintf(why + strlen(why), whylen - strlen(why),
			    "%s%s", bad > 0 ? "; " : "", one);
		bad += b;
		total += n;
		lo = i + 1;
	}
	lex_free(&L);
	*nrefs = total;
	return bad;
}

/* ---------------------------------------------------------------- */
/* The rule on statements written for it.                            */

static const char *const rule_tables[] = { "t", "u", "v" };
static const struct scope test_scope = { rule_tables, 3, NULL, 0, 0 };

/* How many references of sql are not tied to one installation. */
static int
untied(const char *sql)
{
	char	why[512];
	int	n;

	return check_sql(sql, &test_scope, why, sizeof(why), &n);
}

static void
test_rule(void **state)
{
	(void)state;
	/* Tables out of scope, and values. */
	assert_int_equal(untied("SELECT * FROM users WHERE id = $1"), 0);
	assert_int_equal(untied("SELECT * FROM t WHERE installation_id = $1"),
	    0);
	assert_int_equal(untied("SELECT * FROM t WHERE $1::bigint = "
	    "installation_id"), 0);
	assert_int_equal(untied("SELECT * FROM t x WHERE x.installation_id "
	    "= $1::bigint AND x.id = $2"), 0);
	/* Not pinned: another column, a select list, <> ALL, = ANY, IN. */
	assert_int_equal(untied("SELECT * FROM t WHERE id = $1"), 1);
	assert_int_equal(untied("SELECT installation_id FROM t WHERE id = "
	    "$1"), 1);
	assert_int_equal(untied("DELETE FROM t WHERE installation_id <> "
	    "ALL ($1)"), 1);
	assert_int_equal(untied("SELECT 1 FROM t WHERE installation_id = "
	    "ANY ($1::bigint[])"), 1);
	assert_int_equal(untied("SELECT 1 FROM t WHERE installation_id IN "
	    "(SELECT installation_id FROM u WHERE u.x = $1)"), 2);
	/* Strings and comments are not SQL. */
	assert_int_equal(untied("SELECT 'FROM t' -- FROM t\n/* t */"), 0);
	assert_int_equal(untied("SELECT 1 FROM t WHERE x = 'installation_id"
	    " = $1' -- installation_id = $1"), 1);
	/* Joins: on installation_id to a pinned table, in a chain. */
	assert_int_equal(untied("SELECT 1 FROM t a JOIN u b ON "
	    "b.installation_id = a.installation_id AND b.k = a.k JOIN v c ON "
	    "c.installation_id = b.installation_id WHERE a.installation_id = "
	    "$1"), 0);
	assert_int_equal(untied("SELECT 1 FROM t a JOIN u b ON b.k = a.k "
	    "WHERE a.installation_id = $1"), 1);
	assert_int_equal(untied("SELECT 1 FROM t a JOIN u b ON "
	    "b.installation_id = a.installation_id WHERE a.id = $1"), 2);
	/* Qualified by the table's own name; an alias hides it. */
	assert_int_equal(untied("SELECT 1 FROM t WHERE t.installation_id = "
	    "$1"), 0);
	assert_int_equal(untied("SELECT 1 FROM t x, u WHERE "
	    "t.installation_id = $1 AND u.installation_id = $1"), 1);
	/* Subqueries: each reference on its own; a bare installation_id is
	 * the innermost query's. */
	assert_int_equal(untied("SELECT 1 FROM t WHERE installation_id = $1 "
	    "AND EXISTS (SELECT 1 FROM u WHERE u.k = t.k)"), 1);
	assert_int_equal(untied("SELECT 1 FROM t WHERE installation_id = $1 "
	    "AND EXISTS (SELECT 1 FROM u z WHERE z.installation_id = "
	    "t.installation_id)"), 0);
	assert_int_equal(untied("SELECT 1 FROM t WHERE k = $2 AND EXISTS "
	    "(SELECT 1 FROM u WHERE installation_id = $1)"), 1);
	assert_int_equal(untied("SELECT 1 FROM t WHERE k = $2 AND "
	    "(installation_id = $1 OR false)"), 0);
	/* A CTE or derived table pinned inside ties what joins it, never
	 * the other way round. */
	assert_int_equal(untied("WITH m AS (UPDATE t SET s = 1 WHERE "
	    "installation_id = $1 RETURNING installation_id, id) UPDATE u d "
	    "SET s = 2 FROM m WHERE d.installation_id = m.installation_id"),
	    0);
	assert_int_equal(untied("WITH m AS (UPDATE t SET s = 1 WHERE s = 0 "
	    "RETURNING installation_id, id) UPDATE u d SET s = 2 FROM m WHERE "
	    "d.installation_id = m.installation_id"), 2);
	assert_int_equal(untied("SELECT 1 FROM (SELECT installation_id FROM t"
	    ") m WHERE m.installation_id = $1"), 1);
	assert_int_equal(untied("SELECT 1 FROM (SELECT * FROM t x WHERE "
	    "x.installation_id = $1) m JOIN u ON u.installation_id = "
	    "m.installation_id"), 0);
	/* A SET list assigns; UNION parts are apart. */
	assert_int_equal(untied("UPDATE t SET installation_id = $1 WHERE id "
	    "= $2"), 1);
	assert_int_equal(untied("UPDATE t SET x = $2 WHERE installation_id = "
	    "$1"), 0);
	assert_int_equal(untied("SELECT 1 FROM t WHERE installation_id = $1 "
	    "UNION ALL SELECT 1 FROM u WHERE installation_id = $1"), 0);
	assert_int_equal(untied("SELECT 1 FROM t WHERE installation_id = $1 "
	    "UNION ALL SELECT 1 FROM u WHERE k = $1"), 1);
	/* INSERT: the column list ties the target; its source on its own. */
	assert_int_equal(untied("INSERT INTO t (installation_id, k) VALUES "
	    "($1, $2) ON CONFLICT (installation_id, k) DO UPDATE SET k = "
	    "EXCLUDED.k WHERE t.k < EXCLUDED.k"), 0);
	assert_int_equal(untied("INSERT INTO t VALUES ($1, $2)"), 1);
	assert_int_equal(untied("INSERT INTO t AS x (k, installation_id) "
	    "SELECT k, installation_id FROM u WHERE k = $1"), 1);
	/* Several statements (a function's body). */
	assert_int_equal(untied("BEGIN UPDATE t SET k = 1 WHERE "
	    "installation_id = $1; DELETE FROM u WHERE k = 2; END"), 1);
	/* Not read: an open string, comment or parenthesis. */
	assert_int_equal(untied("SELECT 'open FROM t"), -1);
	assert_int_equal(untied("SELECT (1 FROM t"), -1);
}

static void
test_rule_function(void **state)
{
	static const char *const args[] = { "inst" };
	const struct scope	 fs = { rule_tables, 3, args, 1, 1 };
	char			 why[256];
	int			 n;

	(void)state;
	assert_int_equal(check_sql("UPDATE t SET k = 1 WHERE installation_id"
	    " = NEW.installation_id", &fs, why, sizeof(why), &n), 0);
	assert_int_equal(check_sql("DELETE FROM t WHERE installation_id = "
	    "inst", &fs, why, sizeof(why), &n), 0);
	assert_int_equal(check_sql("UPDATE t x SET k = 1 FROM (SELECT "
	    "DISTINCT installation_id FROM changed_new) c WHERE "
	    "x.installation_id = c.installation_id", &fs, why, sizeof(why),
	    &n), 1);
	assert_int_equal(n, 1);
	assert_string_equal(why, "t x: not pinned to one installation");
}

/* ---------------------------------------------------------------- */
/* Offenders, and the list of known ones.                            */

struct entry {
	char	kind[32];
	char	name[128];
	char	why[1024];
	int	seen;
};

struct list {
	struct entry	*e;
	size_t		 n, cap;
};

static struct list	 blockers;	/* tests/unit/citus-blockers.txt */
static char		 blockers_err[512];
static char		**tables;	/* installation-scoped tables */
static size_t		 ntables;
static struct tt_arena	*A;

/* The kinds an entry may have, and the test that checks each. */
static const char *const table_kinds[] = { "primary-key", "nullable",
    "type", "unique-index", "foreign-key", "trigger" };
static const char *const stmt_kinds[] = { "statement" };
static const char *const func_kinds[] = { "function" };

static void
add(struct list *l, const char *kind, const char *name, const char *why)
{
	struct entry	*e;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		if ((l->e = realloc(l->e, l->cap * sizeof(*e))) == NULL)
			abort();
	}
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->why, sizeof(e->why), "%s", why);
}

static int
known_kind(const char *k)
{
	size_t	i;

	for (i = 0; i < sizeof(table_kinds) / sizeof(table_kinds[0]); i++)
		if (strcmp(k, table_kinds[i]) == 0)
			return 1;
	return strcmp(k, "statement") == 0 || strcmp(k, "function") == 0;
}

/* Reads the list; 0, or -1 with blockers_err set. */
static int
load_blockers(const char *path)
{
	FILE	*f;
	char	 line[2048], kind[64], name[256], *p;
	int	 lineno = 0, off;
	size_t	 i;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(blockers_err, sizeof(blockers_err), "%s: cannot "
		    "open it", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (sscanf(p, "%63s %255s %n", kind, name, &off) != 2 ||
		    p[off] == '\0' || !known_kind(kind)) {
			snprintf(blockers_err, sizeof(blockers_err), "%s:%d: "
			    "not KIND NAME REASON with a known kind: %.200s", path,
			    lineno, line);
			fclose(f);
			return -1;
		}
		for (i = 0; i < blockers.n; i++)
			if (strcmp(blockers.e[i].kind, kind) == 0 &&
			    strcmp(blockers.e[i].name, name) == 0) {
				snprintf(blockers_err, sizeof(blockers_err),
				    "%s:%d: %s %s is listed twice", path,
				    lineno, kind, name);
				fclose(f);
				return -1;
			}
		add(&blockers, kind, name, p + off);
	}
	fclose(f);
	return 0;
}

static int
of_kind(const char *k, const char *const *kinds, size_t nk)
{
	size_t	i;

	for (i = 0; i < nk; i++)
		if (strcmp(k, kinds[i]) == 0)
			return 1;
	return 0;
}

/*
 * Prints every offender of these kinds; fails for one not listed, and
 * for a listed entry of these kinds that is no longer an offender.
 */
static void
compare(const struct list *found, const char *const *kinds, size_t nk)
{
	size_t		 i, j;
	int		 fresh = 0, stale = 0, listed;

	for (i = 0; i < found->n; i++) {
		const struct entry	*o = &found->e[i];

		if (!of_kind(o->kind, kinds, nk))
			continue;
		listed = 0;
		for (j = 0; j < blockers.n; j++)
			if (strcmp(blockers.e[j].kind, o->kind) == 0 &&
			    strcmp(blockers.e[j].name, o->name) == 0)
				listed = blockers.e[j].seen = 1;
		print_message("# %s %s %s: %s\n", listed ? "offender" :
		    "NEW OFFENDER", o->kind, o->name, o->why);
		fresh += !listed;
	}
	for (j = 0; j < blockers.n; j++) {
		if (!of_kind(blockers.e[j].kind, kinds, nk) ||
		    blockers.e[j].seen)
			continue;
		print_message("# NO LONGER AN OFFENDER %s %s: remove it from "
		    "%s\n", blockers.e[j].kind, blockers.e[j].name,
		    TT_CITUS_BLOCKERS);
		stale++;
	}
	if (fresh > 0 || stale > 0)
		fail_msg("%d offender(s) not listed in %s (list one there with "
		    "its reason only if it is to stay a blocker), %d listed "
		    "entr%s no longer offending", fresh, TT_CITUS_BLOCKERS,
		    stale, stale == 1 ? "y" : "ies");
}

/* Runs a catalog query; the test fails if it does. */
static struct tt_db_res *
query(const char *sql)
{
	struct tt_db_res	*r;
	enum tt_err		 e;

	if ((e = tt_db_select(A, sql, 0, NULL, &r)) != TT_OK)
		fail_msg("catalog query failed (%s, SQLSTATE %s): %s",
		    tt_err_str(e), tt_db_last_sqlstate(), sql);
	return r;
}

/* The public schema's tables with an installation_id column. */
#define SCOPED_SQL \
	"SELECT c.oid, c.relname, a.attnum, a.attnotnull, " \
	"format_type(a.atttypid, a.atttypmod) AS type FROM pg_class c " \
	"JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a " \
	"ON a.attrelid = c.oid AND a.attname = 'installation_id' AND NOT " \
	"a.attisdropped WHERE n.nspname = 'public' AND c.relkind IN ('r', " \
	"'p')"

static int
group_setup(void **state)
{
	struct tt_db_res	*r;
	enum tt_err		 e;
	int			 i;

	if (load_blockers(TT_CITUS_BLOCKERS) != 0) {
		printf("# %s\n", blockers_err);
		return -1;
	}
	if (testdb_open(state) != 0)
		return -1;
	A = tt_arena_new();
	if ((e = tt_db_select(A, SCOPED_SQL " ORDER BY c.relname", 0, NULL,
	    &r)) != TT_OK) {
		printf("# catalog query failed: %s\n", tt_err_str(e));
		return -1;
	}
	ntables = (size_t)tt_db_nrows(r);
	if ((tables = calloc(ntables + 1, sizeof(*tables))) == NULL)
		abort();
	for (i = 0; i < (int)ntables; i++)
		tables[i] = strdup(tt_db_get(r, i, "relname"));
	return 0;
}

static int
group_teardown(void **state)
{
	size_t	i;

	for (i = 0; i < ntables; i++)
		free(tables[i]);
	free(tables);
	free(blockers.e);
	tt_arena_free(A);
	return testdb_close(state);
}

static void
test_tables(void **state)
{
	struct list		 found = { 0 };
	struct tt_db_res	*r;
	const char		*why;
	int			 i;

	(void)state;
	/* What is installation-scoped, and its primary key. */
	r = query("SELECT s.relname, s.attnotnull, s.type, "
	    "pg_get_constraintdef(k.oid) AS pk, k.oid IS NOT NULL AND "
	    "s.attnum = ANY (k.conkey) AS pk_ok FROM (" SCOPED_SQL ") s "
	    "LEFT JOIN pg_constraint k ON k.conrelid = s.oid AND k.contype = "
	    "'p' ORDER BY s.relname");
	assert_true(tt_db_nrows(r) >= 10);
	for (i = 0; i < tt_db_nrows(r); i++) {
		const char	*t = tt_db_get(r, i, "relname");
		const char	*pk = tt_db_get(r, i, "pk");

		print_message("# installation-scoped: %s, %s\n", t,
		    pk != NULL ? pk : "no primary key");
		if (strcmp(tt_db_get(r, i, "pk_ok"), "t") != 0)
			add(&found, "primary-key", t, tt_arena_printf(A,
			    "%s does not include installation_id",
			    pk != NULL ? pk : "no primary key, which"));
		if (strcmp(tt_db_get(r, i, "attnotnull"), "t") != 0)
			add(&found, "nullable", t, "installation_id may be "
			    "NULL, which a distribution column may not");
		if (strcmp(tt_db_get(r, i, "type"), "bigint") != 0)
			add(&found, "type", t, tt_arena_printf(A,
			    "installation_id is %s, not bigint like the other "
			    "co-located tables'", tt_db_get(r, i, "type")));
	}
	/* Unique indexes other than the primary key (unique constraints
	 * and CREATE UNIQUE INDEX alike): installation_id a key column. */
	r = query("SELECT i.relname AS name, pg_get_indexdef(i.oid) AS def "
	    "FROM (" SCOPED_SQL ") s JOIN pg_index x ON x.indrelid = s.oid "
	    "AND x.indisunique AND NOT x.indisprimary JOIN pg_class i ON "
	    "i.oid = x.indexrelid WHERE NOT s.attnum = ANY "
	    "((x.indkey::int2[])[0:x.indnkeyatts - 1]) ORDER BY i.relname");
	for (i = 0; i < tt_db_nrows(r); i++)
		add(&found, "unique-index", tt_db_get(r, i, "name"),
		    tt_arena_printf(A, "%s: unique without installation_id, "
		    "which Citus cannot enforce across shards",
		    tt_db_get(r, i, "def")));
	/* Foreign keys that touch an installation-scoped table. */
	r = query("SELECT f.conname, f.conrelid::regclass::text AS src, "
	    "f.confrelid::regclass::text AS dst, pg_get_constraintdef(f.oid) "
	    "AS def, s.attnum AS s_att, d.attnum AS d_att, "
	    "array_position(f.conkey, s.attnum) AS s_pos, "
	    "array_position(f.confkey, d.attnum) AS d_pos FROM pg_constraint "
	    "f LEFT JOIN (" SCOPED_SQL ") s ON s.oid = f.conrelid LEFT JOIN "
	    "(" SCOPED_SQL ") d ON d.oid = f.confrelid WHERE f.contype = 'f' "
	    "AND (s.oid IS NOT NULL OR d.oid IS NOT NULL) ORDER BY f.conname");
	for (i = 0; i < tt_db_nrows(r); i++) {
		const char	*s = tt_db_get(r, i, "s_att");
		const char	*d = tt_db_get(r, i, "d_att");
		const char	*sp = tt_db_get(r, i, "s_pos");
		const char	*dp = tt_db_get(r, i, "d_pos");

		why = NULL;
		if (s == NULL)
			why = "a table without installation_id (a reference "
			    "table) refers to an installation-scoped one";
		else if (d != NULL && (sp == NULL || dp == NULL ||
		    strcmp(sp, dp) != 0))
			why = "does not pair installation_id with "
			    "installation_id, so the rows may sit on "
			    "different shards";
		if (why != NULL)
			add(&found, "foreign-key", tt_db_get(r, i, "conname"),
			    tt_arena_printf(A, "%s %s: %s",
			    tt_db_get(r, i, "src"), tt_db_get(r, i, "def"),
			    why));
	}
	/* Statement-level triggers (tgtype bit 0: FOR EACH ROW). */
	r = query("SELECT c.relname || '.' || t.tgname AS name, "
	    "pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN (" 
	    SCOPED_SQL ") c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND "
	    "(t.tgtype & 1) = 0 ORDER BY 1");
	for (i = 0; i < tt_db_nrows(r); i++)
		add(&found, "trigger", tt_db_get(r, i, "name"),
		    tt_arena_printf(A, "a statement-level trigger, which "
		    "Citus does not run on distributed tables: %s",
		    tt_db_get(r, i, "def")));
	compare(&found, table_kinds, sizeof(table_kinds) /
	    sizeof(table_kinds[0]));
	free(found.e);
}

static void
test_statements(void **state)
{
	struct tt_db_stmt *const	*s;
	struct list			 found = { 0 };
	const struct scope		 sc = { (const char *const *)tables,
	    ntables, NULL, 0, 0 };
	char				 why[1024];
	int				 n, touching = 0, total = 0;

	(void)state;
	for (s = __start_tt_db_stmts; s < __stop_tt_db_stmts; s++) {
		total++;
		if (check_sql((*s)->sql, &sc, why, sizeof(why), &n) != 0)
			add(&found, "statement", (*s)->name, why);
		touching += n > 0;
	}
	print_message("# %d statements, %d of them touch installation-scoped "
	    "tables\n", total, touching);
	assert_true(total >= 74);
	compare(&found, stmt_kinds, 1);
	free(found.e);
}

static void
test_functions(void **state)
{
	struct tt_db_res	*r;
	struct list		 found = { 0 };
	char			 why[1024], *args, *p, **names;
	size_t			 nn;
	int			 i, n, touching = 0;

	(void)state;
	/* The schema's own SQL and PL/pgSQL functions (not extensions'). */
	r = query("SELECT p.proname, p.prosrc, coalesce(array_to_string("
	    "p.proargnames, ' '), '') AS args FROM pg_proc p JOIN "
	    "pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON "
	    "l.oid = p.prolang WHERE n.nspname = 'public' AND l.lanname IN "
	    "('sql', 'plpgsql') AND NOT EXISTS (SELECT 1 FROM pg_depend d "
	    "WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND "
	    "d.deptype = 'e') ORDER BY p.proname");
	assert_true(tt_db_nrows(r) >= 5);
	for (i = 0; i < tt_db_nrows(r); i++) {
		struct scope	sc = { (const char *const *)tables, ntables,
		    NULL, 0, 1 };

		args = tt_arena_strdup(A, tt_db_get(r, i, "args"));
		names = tt_arena_alloc(A, (strlen(args) / 2 + 1) *
		    sizeof(*names));
		nn = 0;
		for (p = strtok_r(args, " ", &args); p != NULL;
		    p = strtok_r(NULL, " ", &args))
			names[nn++] = p;
		sc.values = (const char *const *)names;
		sc.nvalues = nn;
		if (check_sql(tt_db_get(r, i, "prosrc"), &sc, why, sizeof(why),
		    &n) != 0)
			add(&found, "function", tt_db_get(r, i, "proname"),
			    why);
		touching += n > 0;
	}
	print_message("# %d functions, %d of them touch installation-scoped "
	    "tables\n", tt_db_nrows(r), touching);
	compare(&found, func_kinds, 1);
	free(found.e);
}

int
main(void)
{
	const struct CMUnitTest rule[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test(test_rule_function),
	};
	const struct CMUnitTest schema[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_functions),
	};
	int	failed;

	failed = cmocka_run_group_tests_name("rule", rule, NULL, NULL);
	failed += cmocka_run_group_tests_name("citus", schema, group_setup,
	    group_teardown);
	return failed != 0;
}
