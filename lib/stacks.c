/* stacks.c: reads config.yml's dirs and stacks; a pull request's stacks. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "stacks.h"
#include "tagquery.h"
#include "valid.h"

/* One stacks.names entry. */
struct stack {
	const char	*name;
	const char	*tag_query;	/* a leaf; NULL for a nested stack */
	const cJSON	*children;	/* nested: names (strings) */
	const cJSON	*after[2];	/* rules: plan_after, apply_after */
	const cJSON	*modified_by;	/* rules: checked, and see after[0] */
	int		 parent;	/* index, -1 at the top */
	int		 root;		/* index of its top-level stack */
	int		 indeg, placed, order[2];
	unsigned char	*pred;		/* leaves: pred[j] leaf j first */
	cJSON		*dirspaces;
};

struct ctx {
	struct tt_arena	*a;
	char		*err;
	size_t		 errlen;
	struct stack	*st;
	int		 n;
	const cJSON	*dirs;		/* the dirs mapping or NULL */
	unsigned char	*rpred;		/* see leaf_preds */
	cJSON		*holder;	/* arena-owned home of loose arrays */
	size_t		 qbytes;	/* all leaves' tag_query bytes */
	size_t		 work;		/* query bytes judged, dirs matched */
};

static int
fail(struct ctx *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int	node(const struct ctx *, int, int);

static int
find(const struct ctx *c, const char *name)
{
	int	i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->st[i].name, name) == 0)
			return i;
	return -1;
}

/* A list of stack names: absent, or an array of known names. */
static int
name_list(struct ctx *c, const char *owner, const char *what,
    const cJSON *l)
{
	const cJSON	*e;

	if (l == NULL || cJSON_IsNull(l))
		return 0;
	if (!cJSON_IsArray(l))
		return fail(c, "stack %s: %s must be a list of stack names",
		    owner, what);
	if (cJSON_GetArraySize(l) > TT_STACKS_MAX_STACKS)
		return fail(c, "stack %s: %s lists more than %d names", owner,
		    what, TT_STACKS_MAX_STACKS);
	cJSON_ArrayForEach(e, l) {
		if (!cJSON_IsString(e))
			return fail(c, "stack %s: %s must be a list of stack "
			    "names", owner, what);
		if (find(c, e->valuestring) < 0)
			return fail(c, "stack %s: %s names \"%.*s\", which is "
			    "not a stack", owner, what, TT_STACKS_MAX_NAME,
			    e->valuestring);
	}
	return 0;
}

static int
only_keys(struct ctx *c, const char *owner, const cJSON *o,
    const char *const *keys)
{
	const cJSON	*e;
	size_t		 i;

	cJSON_ArrayForEach(e, o) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(e->string, keys[i]) == 0)
				break;
		if (keys[i] == NULL)
			return fail(c, "stack %s: unknown key \"%.40s\"", owner,
			    e->string);
	}
	return 0;
}

/* stacks.names into c->st. */
static int
read_stacks(struct ctx *c, const cJSON *config)
{
	static const char *const stack_keys[] = { "tag_query", "stacks",
	    "rules", "variables", NULL };
	static const char *const rule_keys[] = { "plan_after", "apply_after",
	    "modified_by", "auto_apply", NULL };
	const cJSON		*sec, *names, *e, *rules, *tq, *kids, *mod;
	struct tt_tagquery_error qe;
	struct stack		*s;
	int			 i, m;

	if ((sec = cJSON_GetObjectItemCaseSensitive(config, "stacks")) ==
	    NULL || cJSON_IsNull(sec))
		return 0;
	if (!cJSON_IsObject(sec))
		return fail(c, "stacks must be a mapping");
	cJSON_ArrayForEach(e, sec)
		if (strcmp(e->string, "names") != 0 &&
		    strcmp(e->string, "allow_workflow_steps_override") != 0)
			return fail(c, "stacks: unknown key \"%.40s\"",
			    e->string);
	if ((names = cJSON_GetObjectItemCaseSensitive(sec, "names")) == NULL ||
	    cJSON_IsNull(names))
		return 0;
	if (!cJSON_IsObject(names))
		return fail(c, "stacks.names must be a mapping of stack names");
	if ((m = cJSON_GetArraySize(names)) > TT_STACKS_MAX_STACKS)
		return fail(c, "more than %d stacks", TT_STACKS_MAX_STACKS);
	c->st = tt_arena_alloc(c->a, (size_t)(m + 1) * sizeof(*c->st));
	cJSON_ArrayForEach(e, names) {
		s = &c->st[c->n];
		s->name = e->string;
		s->parent = -1;
		if (s->name[0] == '\0' || strlen(s->name) > TT_STACKS_MAX_NAME ||
		    !tt_valid_utf8(s->name, strlen(s->name)))
			return fail(c, "a stack name must be 1 to %d bytes of "
			    "UTF-8", TT_STACKS_MAX_NAME);
		for (i = 0; s->name[i] != '\0'; i++)
			if ((unsigned char)s->name[i] < 0x20)
				return fail(c, "a stack name holds a control "
				    "character");
		if (strcmp(s->name, "default") == 0)
			return fail(c, "the stack name \"default\" is reserved "
			    "for the dirspaces no stack selects");
		if (!cJSON_IsObject(e))
			return fail(c, "stack %s must be a mapping", s->name);
		if (only_keys(c, s->name, e, stack_keys) != 0)
			return -1;
		tq = cJSON_GetObjectItemCaseSensitive(e, "tag_query");
		kids = cJSON_GetObjectItemCaseSensitive(e, "stacks");
		if ((tq != NULL) == (kids != NULL))
			return fail(c, "stack %s needs either tag_query or "
			    "stacks, not %s", s->name, tq ? "both" : "neither");
		if (tq != NULL) {
			if (!cJSON_IsString(tq))
				return fail(c, "stack %s: tag_query must be a "
				    "string", s->name);
			s->tag_query = tq->valuestring;
			if (tt_tagquery_match(c->a, s->tag_query, NULL, &i,
			    &qe) != TT_OK)
				return fail(c, "stack %s: tag_query: %s",
				    s->name, qe.msg);
		} else {
			if (!cJSON_IsArray(kids) || cJSON_GetArraySize(kids) ==
			    0)
				return fail(c, "stack %s: stacks must be a "
				    "non-empty list of stack names", s->name);
			s->children = kids;
		}
		if ((rules = cJSON_GetObjectItemCaseSensitive(e, "rules")) !=
		    NULL && !cJSON_IsNull(rules)) {
			if (!cJSON_IsObject(rules))
				return fail(c, "stack %s: rules must be a "
				    "mapping", s->name);
			if (only_keys(c, s->name, rules, rule_keys) != 0)
				return -1;
			s->after[0] = cJSON_GetObjectItemCaseSensitive(rules,
			    "plan_after");
			s->after[1] = cJSON_GetObjectItemCaseSensitive(rules,
			    "apply_after");
			mod = cJSON_GetObjectItemCaseSensitive(rules,
			    "modified_by");
			/* modified_by implies plan_after (RFD 725). */
			s->modified_by = mod;
			if (s->after[0] == NULL)
				s->after[0] = mod;
		}
		c->n++;
	}
	/* References, now that every name is known. */
	for (i = 0; i < c->n; i++) {
		s = &c->st[i];
		if (name_list(c, s->name, "stacks", s->children) != 0 ||
		    name_list(c, s->name, "rules.plan_after", s->after[0]) !=
		    0 || name_list(c, s->name, "rules.apply_after",
		    s->after[1]) != 0 || name_list(c, s->name,
		    "rules.modified_by", s->modified_by) != 0)
			return -1;
		if (s->children == NULL)
			continue;
		cJSON_ArrayForEach(e, s->children) {
			m = find(c, e->valuestring);
			if (m == i)
				return fail(c, "stack %s lists itself", s->name);
			if (c->st[m].parent >= 0 && c->st[m].parent != i)
				return fail(c, "stack %s is nested in both %s "
				    "and %s", c->st[m].name,
				    c->st[c->st[m].parent].name, s->name);
			c->st[m].parent = i;
		}
	}
	return 0;
}

/* Top-level stacks and paths; a nesting cycle has no top. */
static int
find_roots(struct ctx *c)
{
	int	i, j, steps;

	for (i = 0; i < c->n; i++) {
		for (j = i, steps = 0; c->st[j].parent >= 0; steps++) {
			if (steps > c->n)
				return fail(c, "stack %s is nested in itself "
				    "(a cycle of stacks lists)", c->st[i].name);
			j = c->st[j].parent;
		}
		if (steps > TT_STACKS_MAX_DEPTH)
			return fail(c, "stack %s is nested more than %d deep",
			    c->st[i].name, TT_STACKS_MAX_DEPTH);
		c->st[i].root = j;
	}
	return 0;
}

/* 1 when stack i is anc or nested (at any depth) under it. */
static int
under(const struct ctx *c, int i, int anc)
{
	for (; i >= 0; i = c->st[i].parent)
		if (i == anc)
			return 1;
	return 0;
}

/*
 * pred of each leaf: the leaves under the rules of the leaf and of its
 * ancestors, which must go first; rpred[j * n + i]: top-level stack j
 * holds a leaf that one under top-level stack i must follow.
 */
static int
leaf_preds(struct ctx *c)
{
	unsigned char	*below, *req;
	const cJSON	*e;
	char		 names[256];
	size_t		 n = (size_t)c->n, k, m;
	int		 i, j, r, x;

	below = tt_arena_alloc(c->a, n * n + 1);
	req = tt_arena_alloc(c->a, n * n + 1);
	c->rpred = tt_arena_alloc(c->a, n * n + 1);
	for (k = 0; k < n; k++)
		if (c->st[k].tag_query != NULL)
			for (x = (int)k; x >= 0; x = c->st[x].parent)
				below[(size_t)x * n + k] = 1;
	for (j = 0; j < c->n; j++)
		for (r = 0; r < 2; r++) {
			if (c->st[j].after[r] == NULL)
				continue;
			cJSON_ArrayForEach(e, c->st[j].after[r]) {
				x = find(c, e->valuestring);
				if (under(c, j, x) || under(c, x, j))
					return fail(c, "stack %s cannot come "
					    "after %s: one holds the other",
					    c->st[j].name, c->st[x].name);
				for (k = 0; k < n; k++)
					req[(size_t)j * n + k] |=
					    below[(size_t)x * n + k];
			}
		}
	for (i = 0; i < c->n; i++) {
		if (c->st[i].tag_query == NULL)
			continue;
		c->st[i].pred = tt_arena_alloc(c->a, n + 1);
		for (j = i; j >= 0; j = c->st[j].parent)
			for (k = 0; k < n; k++)
				c->st[i].pred[k] |= req[(size_t)j * n + k];
	}
	/* What must come first, transitively (Warshall over the leaves). */
	for (x = 0; x < c->n; x++)
		for (i = 0; c->st[x].tag_query != NULL && i < c->n; i++)
			if (c->st[i].tag_query != NULL && c->st[i].pred[x])
				for (k = 0; k < n; k++)
					c->st[i].pred[k] |= c->st[x].pred[k];
	names[0] = '\0';
	for (i = 0, m = 0; i < c->n; i++)
		if (c->st[i].tag_query != NULL && c->st[i].pred[i] &&
		    m < sizeof(names) - 1)
			m += (size_t)snprintf(names + m, sizeof(names) - m,
			    "%s%s", m ? ", " : "", c->st[i].name);
	if (names[0] != '\0')
		return fail(c, "the stacks' order has a cycle "
		    "(rules.plan_after or apply_after) among: %s", names);
	for (i = 0; i < c->n; i++) {
		if (c->st[i].tag_query == NULL)
			continue;
		for (k = 0; k < n; k++)
			if (c->st[i].pred[k] && c->st[k].root !=
			    c->st[i].root)
				c->rpred[(size_t)c->st[k].root * n +
				    (size_t)c->st[i].root] = 1;
	}
	return 0;
}

/* Is x a node of the graph topo sorts; must j come before i there? */
static int
node(const struct ctx *c, int roots, int x)
{
	return roots ? c->st[x].parent < 0 : c->st[x].tag_query != NULL;
}

static int
edge(const struct ctx *c, int roots, int j, int i)
{
	return roots ? c->rpred[(size_t)j * (size_t)c->n + (size_t)i] :
	    c->st[i].pred[j];
}

/*
 * Orders the leaves (roots 0) or the top-level stacks (roots 1) so that
 * each comes after what it must follow, config order among equals;
 * st[].order gets the position. A cycle is an error naming its stacks.
 */
static int
topo(struct ctx *c, int roots)
{
	int	i, j, pos = 0, left = 0;
	char	names[256];
	size_t	n = 0;

	for (i = 0; i < c->n; i++) {
		c->st[i].indeg = 0;
		c->st[i].placed = 0;
		left += node(c, roots, i);
	}
	for (i = 0; i < c->n; i++)
		for (j = 0; node(c, roots, i) && j < c->n; j++)
			if (j != i && node(c, roots, j) && edge(c, roots, j, i))
				c->st[i].indeg++;
	while (left > 0) {
		for (i = 0; i < c->n; i++)
			if (node(c, roots, i) && !c->st[i].placed &&
			    c->st[i].indeg == 0)
				break;
		if (i == c->n)
			break;
		c->st[i].placed = 1;
		c->st[i].order[roots] = pos++;
		left--;
		for (j = 0; j < c->n; j++)
			if (j != i && node(c, roots, j) && !c->st[j].placed &&
			    edge(c, roots, i, j))
				c->st[j].indeg--;
	}
	if (left == 0)
		return 0;
	names[0] = '\0';
	for (i = 0; i < c->n && n < sizeof(names) - 1; i++)
		if (node(c, roots, i) && !c->st[i].placed)
			n += (size_t)snprintf(names + n, sizeof(names) - n,
			    "%s%s", n ? ", " : "", c->st[i].name);
	if (roots)
		return fail(c, "the stacks nested in %s would have to "
		    "interleave (rules.plan_after or apply_after put some of "
		    "each before some of the other)", names);
	return fail(c, "the stacks' order has a cycle (rules.plan_after or "
	    "apply_after) among: %s", names);
}

/* Adds the tags of one dirs entry's list to tags (no duplicates). */
static int
add_tags(struct ctx *c, const char *where, const cJSON *l, const char **tags,
    size_t *ntags)
{
	const cJSON	*e;
	size_t		 i;

	if (l == NULL || cJSON_IsNull(l))
		return 0;
	if (!cJSON_IsArray(l))
		return fail(c, "dirs.%s: tags must be a list of strings", where);
	cJSON_ArrayForEach(e, l) {
		if (!cJSON_IsString(e))
			return fail(c, "dirs.%s: tags must be a list of "
			    "strings", where);
		for (i = 0; i < *ntags; i++)
			if (strcmp(tags[i], e->valuestring) == 0)
				break;
		if (i < *ntags)
			continue;
		if (*ntags >= TT_STACKS_MAX_TAGS)
			return fail(c, "dirs.%s: more than %d tags", where,
			    TT_STACKS_MAX_TAGS);
		tags[(*ntags)++] = e->valuestring;
	}
	return 0;
}

static int
dir_matches(const char *pattern, const char *dir)
{
	if (strpbrk(pattern, "*?[") == NULL)
		return strcmp(pattern, dir) == 0;
	return fnmatch(pattern, dir, 0) == 0;
}

/* Which stack (leaf index, or -1 for default) selects the dirspace. */
static int
select_stack(struct ctx *c, const struct tt_tagquery_subject *s, int *leaf)
{
	struct tt_tagquery_error	qe;
	int				i, m;

	*leaf = -1;
	/* Each dirspace costs every query's length: bound the whole. */
	c->work += c->qbytes;
	if (c->work > TT_STACKS_MAX_WORK)
		return fail(c, "the stacks' tag queries over this pull "
		    "request's dirspaces are too much to evaluate (more than "
		    "%d MB of queries): use fewer or shorter queries",
		    TT_STACKS_MAX_WORK / 1000000);
	for (i = 0; i < c->n; i++) {
		if (c->st[i].tag_query == NULL)
			continue;
		if (tt_tagquery_match(c->a, c->st[i].tag_query, s, &m, &qe) !=
		    TT_OK)
			return fail(c, "stack %s: tag_query: %s",
			    c->st[i].name, qe.msg);
		if (!m)
			continue;
		if (*leaf >= 0)
			return fail(c, "dirspace %s:%s is selected by both "
			    "stack %s and stack %s", s->dir, s->workspace,
			    c->st[*leaf].name, c->st[i].name);
		*leaf = i;
	}
	return 0;
}

static cJSON *
dirspace_json(const char *dir, const char *ws)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "dir", dir);
	cJSON_AddStringToObject(o, "workspace", ws);
	return o;
}

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The dirspaces of one changed dir, each placed in its stack. */
static int
place_dir(struct ctx *c, const char *dir, cJSON *all, cJSON *deflt,
    size_t *count)
{
	const char			*tags[TT_STACKS_MAX_TAGS * 2];
	const char			*wsn[TT_STACKS_MAX_TAGS];
	const cJSON			*e, *wss, *w, *ws_of[TT_STACKS_MAX_TAGS];
	struct tt_tagquery_subject	 s;
	size_t				 ntags = 0, nws = 0, i, wt;
	int				 leaf;

	cJSON_ArrayForEach(e, c->dirs) {
		if (!dir_matches(e->string, dir))
			continue;
		/* Each match merges up to 64 tags: bound the whole. */
		if (++c->work > TT_STACKS_MAX_WORK ||
		    (c->work += TT_STACKS_MAX_TAGS * TT_STACKS_MAX_TAGS) >
		    TT_STACKS_MAX_WORK)
			return fail(c, "too many dirs entries match this pull "
			    "request's directories to evaluate");
		if (cJSON_IsNull(e))
			continue;
		if (!cJSON_IsObject(e))
			return fail(c, "dirs.%s must be a mapping", e->string);
		if (add_tags(c, e->string, cJSON_GetObjectItemCaseSensitive(e,
		    "tags"), tags, &ntags) != 0)
			return -1;
		wss = cJSON_GetObjectItemCaseSensitive(e, "workspaces");
		if (wss == NULL || cJSON_IsNull(wss))
			continue;
		if (!cJSON_IsObject(wss))
			return fail(c, "dirs.%s.workspaces must be a mapping",
			    e->string);
		cJSON_ArrayForEach(w, wss) {
			for (i = 0; i < nws; i++)
				if (strcmp(wsn[i], w->string) == 0)
					break;
			if (i == nws) {
				if (nws >= TT_STACKS_MAX_TAGS)
					return fail(c, "dirs.%s: more than %d "
					    "workspaces", e->string,
					    TT_STACKS_MAX_TAGS);
				if (w->string[0] == '\0')
					return fail(c, "dirs.%s: an empty "
					    "workspace name", e->string);
				wsn[nws] = w->string;
				ws_of[nws++] = w;
			}
		}
	}
	if (nws == 0) {
		wsn[0] = "default";
		ws_of[0] = NULL;
		nws = 1;
	}
	for (i = 0; i < nws; i++) {
		if (++*count > TT_STACKS_MAX_DIRSPACES)
			return fail(c, "more than %d dirspaces",
			    TT_STACKS_MAX_DIRSPACES);
		wt = ntags;
		if (ws_of[i] != NULL && !cJSON_IsNull(ws_of[i]) &&
		    !cJSON_IsObject(ws_of[i]))
			return fail(c, "dirs: workspace %s must be a mapping",
			    wsn[i]);
		if (ws_of[i] != NULL && cJSON_IsObject(ws_of[i]) &&
		    add_tags(c, dir, cJSON_GetObjectItemCaseSensitive(ws_of[i],
		    "tags"), tags, &wt) != 0)
			return -1;
		s.dir = dir;
		s.workspace = wsn[i];
		s.tags = tags;
		s.ntags = wt;
		if (select_stack(c, &s, &leaf) != 0)
			return -1;
		cJSON_AddItemToArray(all, dirspace_json(dir, wsn[i]));
		cJSON_AddItemToArray(leaf >= 0 ? c->st[leaf].dirspaces : deflt,
		    dirspace_json(dir, wsn[i]));
	}
	return 0;
}

static cJSON *
names_array(const char *const *names, size_t n)
{
	cJSON	*a = cJSON_CreateArray();
	size_t	 i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
	return a;
}

/* A new array kept in the holder until it is attached elsewhere. */
static cJSON *
loose_array(struct ctx *c)
{
	cJSON	*l = cJSON_CreateArray();

	cJSON_AddItemToArray(c->holder, l);
	return l;
}

static cJSON *
unloose(struct ctx *c, cJSON *l)
{
	return cJSON_DetachItemViaPointer(c->holder, l);
}

/* One inner entry: name, paths, dirspaces, after. */
static cJSON *
inner_json(struct ctx *c, int leaf)
{
	const char	*path[TT_STACKS_MAX_STACKS + 1], *after[TT_STACKS_MAX_STACKS];
	cJSON		*o = cJSON_CreateObject(), *paths;
	size_t		 n = 0, na = 0, i;
	int		 j;

	for (j = leaf; j >= 0; j = c->st[j].parent)
		path[n++] = c->st[j].name;
	for (i = 0; i < n / 2; i++) {
		const char *t = path[i];
		path[i] = path[n - 1 - i];
		path[n - 1 - i] = t;
	}
	for (j = 0; j < c->n; j++)
		if (c->st[j].tag_query != NULL && c->st[leaf].pred[j])
			after[na++] = c->st[j].name;
	cJSON_AddStringToObject(o, "name", c->st[leaf].name);
	paths = cJSON_AddArrayToObject(o, "paths");
	cJSON_AddItemToArray(paths, names_array(path, n));
	cJSON_AddItemToObject(o, "dirspaces", unloose(c,
	    c->st[leaf].dirspaces));
	cJSON_AddItemToObject(o, "after", names_array(after, na));
	return o;
}

/* Sorts and de-duplicates the changed directories. */
static const char **
unique_dirs(struct tt_arena *a, const char *const *dirs, size_t *ndirs)
{
	const char	**d;
	size_t		  i, n = 0;

	d = tt_arena_alloc(a, (*ndirs + 1) * sizeof(*d));
	if (*ndirs > 0)
		memcpy(d, dirs, *ndirs * sizeof(*d));
	qsort(d, *ndirs, sizeof(*d), cmp_str);
	for (i = 0; i < *ndirs; i++)
		if (n == 0 || strcmp(d[n - 1], d[i]) != 0)
			d[n++] = d[i];
	*ndirs = n;
	return d;
}

/* The entry for the dirspaces no stack selects. */
static cJSON *
default_json(struct ctx *c, cJSON *deflt)
{
	static const char *const name[] = { "default" };
	cJSON	*outer, *o;

	outer = cJSON_CreateObject();
	cJSON_AddStringToObject(outer, "name", "default");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", "default");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "paths"),
	    names_array(name, 1));
	cJSON_AddItemToObject(o, "dirspaces", unloose(c, deflt));
	cJSON_AddItemToObject(o, "after", cJSON_CreateArray());
	cJSON_AddItemToArray(cJSON_AddArrayToObject(outer, "stacks"), o);
	return outer;
}

/* Index of the node placed at position pos by topo, or -1. */
static int
at(const struct ctx *c, int roots, int pos)
{
	int	i;

	for (i = 0; i < c->n; i++)
		if (node(c, roots, i) && c->st[i].order[roots] == pos)
			return i;
	return -1;
}

static int
read_config(struct ctx *c, const cJSON *config)
{
	int	i;

	if (config == NULL)
		return 0;
	if (!cJSON_IsObject(config))
		return fail(c, "config.yml must be a mapping");
	c->dirs = cJSON_GetObjectItemCaseSensitive(config, "dirs");
	if (c->dirs != NULL && cJSON_IsNull(c->dirs))
		c->dirs = NULL;
	if (c->dirs != NULL && !cJSON_IsObject(c->dirs))
		return fail(c, "dirs must be a mapping of directories");
	if (c->dirs != NULL && cJSON_GetArraySize(c->dirs) >
	    TT_STACKS_MAX_DIRS)
		return fail(c, "more than %d dirs entries", TT_STACKS_MAX_DIRS);
	if (read_stacks(c, config) != 0 || find_roots(c) != 0 ||
	    leaf_preds(c) != 0 || topo(c, 0) != 0 || topo(c, 1) != 0)
		return -1;
	for (i = 0; i < c->n; i++)
		if (c->st[i].tag_query != NULL)
			c->qbytes += strlen(c->st[i].tag_query) + 16;
	return 0;
}

enum tt_err
tt_stacks_compute(struct tt_arena *a, const cJSON *config,
    const char *const *dirs, size_t ndirs, struct tt_stacks_result *out,
    char *err, size_t errlen)
{
	struct ctx	 c;
	const char	**d;
	cJSON		*deflt, *o, *inner;
	size_t		 i, count = 0;
	int		 r, l, k, x;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.a = a;
	c.err = err;
	c.errlen = errlen;
	err[0] = '\0';
	c.holder = tt_json_own(a, cJSON_CreateArray());
	out->dirspaces = tt_json_own(a, cJSON_CreateArray());
	out->stacks = tt_json_own(a, cJSON_CreateArray());
	c.st = tt_arena_alloc(a, sizeof(*c.st));
	if (read_config(&c, config) != 0)
		return TT_EINVAL;
	deflt = loose_array(&c);
	for (k = 0; k < c.n; k++)
		if (c.st[k].tag_query != NULL)
			c.st[k].dirspaces = loose_array(&c);
	d = unique_dirs(a, dirs, &ndirs);
	for (i = 0; i < ndirs; i++)
		if (place_dir(&c, d[i], out->dirspaces, deflt, &count) != 0)
			return TT_EINVAL;

	/* Outer entries by the top-level order, inner ones by the leaves'. */
	for (r = 0; (k = at(&c, 1, r)) >= 0; r++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", c.st[k].name);
		inner = cJSON_AddArrayToObject(o, "stacks");
		for (l = 0; (x = at(&c, 0, l)) >= 0; l++)
			if (c.st[x].root == k)
				cJSON_AddItemToArray(inner, inner_json(&c, x));
		cJSON_AddItemToArray(out->stacks, o);
	}
	if (cJSON_GetArraySize(deflt) > 0 || c.n == 0)
		cJSON_AddItemToArray(out->stacks, default_json(&c, deflt));
	return TT_OK;
}
