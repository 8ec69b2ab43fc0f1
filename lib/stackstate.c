/*
 * stackstate.c: a pull request's stored stacks, loaded, with stack and
 * dirspace states at read time, and the API answer.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "json.h"
#include "stacks.h"

static const char *const state_names[] = {
	[TT_STACKS_NO_CHANGES] = "no_changes",
	[TT_STACKS_APPLY_SUCCESS] = "apply_success",
	[TT_STACKS_APPLY_READY] = "apply_ready",
	[TT_STACKS_APPLY_PENDING] = "apply_pending",
	[TT_STACKS_APPLY_FAILED] = "apply_failed",
	[TT_STACKS_PLAN_PENDING] = "plan_pending",
	[TT_STACKS_PLAN_FAILED] = "plan_failed",
};

const char *
tt_stacks_state_name(enum tt_stacks_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "plan_pending";
	return state_names[s];
}

static int
ends_with(const char *s, const char *suf)
{
	size_t	n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

enum tt_stacks_state
tt_stacks_dirspace_state(const char *run_type, int success, int has_changes)
{
	if (run_type == NULL)
		return TT_STACKS_PLAN_PENDING;
	if (ends_with(run_type, "apply"))
		return success ? TT_STACKS_APPLY_SUCCESS : TT_STACKS_APPLY_FAILED;
	if (!success)
		return TT_STACKS_PLAN_FAILED;
	return has_changes ? TT_STACKS_APPLY_PENDING : TT_STACKS_APPLY_SUCCESS;
}

static int
cmp_run(const void *x, const void *y)
{
	const struct tt_stacks_run	*a = x, *b = y;
	int				 c;

	if ((c = strcmp(a->dir, b->dir)) != 0)
		return c;
	return strcmp(a->workspace, b->workspace);
}

/* runs sorted by cmp_run. */
static const struct tt_stacks_run *
run_of(const struct tt_stacks_run *runs, size_t n, const char *dir,
    const char *ws)
{
	struct tt_stacks_run	key;

	if (n == 0)
		return NULL;
	key.dir = dir;
	key.workspace = ws;
	return bsearch(&key, runs, n, sizeof(*runs), cmp_run);
}

static const char *
name_of(const cJSON *o)
{
	const char	*n = tt_json_string(o, "name");

	return n != NULL ? n : "";
}

/* A stored dirspace's state; NULL members make it skipped. */
static int
dirspace_state(const cJSON *d, const struct tt_stacks_run *runs, size_t n,
    enum tt_stacks_state *s)
{
	const struct tt_stacks_run	*r;
	const char			*dir, *ws;

	dir = tt_json_string(d, "dir");
	ws = tt_json_string(d, "workspace");
	if (dir == NULL || ws == NULL)
		return -1;
	r = run_of(runs, n, dir, ws);
	*s = r == NULL ? tt_stacks_dirspace_state(NULL, 0, 0) :
	    tt_stacks_dirspace_state(r->run_type, r->success, r->has_changes);
	return 0;
}

/* An inner stack's name and own state, sorted by name for lookups. */
struct named {
	const char		*name;
	enum tt_stacks_state	 state;
};

static int
cmp_named(const void *x, const void *y)
{
	return strcmp(((const struct named *)x)->name,
	    ((const struct named *)y)->name);
}

/* The state computed for the inner stack called name, or no_changes. */
static enum tt_stacks_state
state_of(const struct named *by_name, size_t n, const char *name)
{
	struct named	 key = { name, TT_STACKS_NO_CHANGES };
	const struct named *f;

	if (n == 0 || (f = bsearch(&key, by_name, n, sizeof(*by_name),
	    cmp_named)) == NULL)
		return TT_STACKS_NO_CHANGES;
	return f->state;
}

static const cJSON *
stacks_of(const cJSON *outer)
{
	return cJSON_GetObjectItemCaseSensitive(outer, "stacks");
}

/* The inner stack's paths as stored (arrays of names), or []. */
/* pre, a state's name (plain ASCII), post: no printf on this path. */
static void
put_state(struct tt_buf *b, const char *pre, enum tt_stacks_state st,
    const char *post)
{
	tt_buf_puts(b, pre);
	tt_buf_puts(b, tt_stacks_state_name(st));
	tt_buf_puts(b, post);
}

static void
put_paths(struct tt_buf *b, const cJSON *in)
{
	const cJSON	*path, *e;
	int		 first = 1, f2;

	tt_buf_puts(b, "[");
	cJSON_ArrayForEach(path, cJSON_GetObjectItemCaseSensitive(in,
	    "paths")) {
		if (!cJSON_IsArray(path))
			continue;
		tt_buf_puts(b, first ? "[" : ",[");
		first = 0;
		f2 = 1;
		cJSON_ArrayForEach(e, path)
			if (cJSON_IsString(e)) {
				if (!f2)
					tt_buf_puts(b, ",");
				f2 = 0;
				tt_json_buf_string(b, e->valuestring);
			}
		tt_buf_puts(b, "]");
	}
	tt_buf_puts(b, "]");
}

void
tt_stacks_render(struct tt_arena *a, struct tt_buf *b, const cJSON *stored,
    const struct tt_stacks_run *runs, size_t nruns)
{
	const cJSON		*outer, *in, *dep, *d;
	const char		**names;
	struct tt_stacks_run	*sorted;
	struct named		*by_name;
	enum tt_stacks_state	*own, *final, *ds, worst, s;
	size_t			 n = 0, nd = 0, k, j, first_k;
	int			 ready, fo, fi, fd;

	cJSON_ArrayForEach(outer, stored)
		cJSON_ArrayForEach(in, stacks_of(outer)) {
			n++;
			nd += (size_t)cJSON_GetArraySize(
			    cJSON_GetObjectItemCaseSensitive(in, "dirspaces"));
		}
	names = tt_arena_alloc(a, (n + 1) * sizeof(*names));
	own = tt_arena_alloc(a, (n + 1) * sizeof(*own));
	final = tt_arena_alloc(a, (n + 1) * sizeof(*final));
	ds = tt_arena_alloc(a, (nd + 1) * sizeof(*ds));
	sorted = tt_arena_alloc(a, (nruns + 1) * sizeof(*sorted));
	if (nruns > 0)
		memcpy(sorted, runs, nruns * sizeof(*runs));
	qsort(sorted, nruns, sizeof(*sorted), cmp_run);

	/* Every dirspace's state, every inner stack's: its worst. */
	k = j = 0;
	cJSON_ArrayForEach(outer, stored)
		cJSON_ArrayForEach(in, stacks_of(outer)) {
			names[k] = name_of(in);
			own[k] = TT_STACKS_NO_CHANGES;
			cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(
			    in, "dirspaces")) {
				if (dirspace_state(d, sorted, nruns, &ds[j]) ==
				    0 && ds[j] > own[k])
					own[k] = ds[j];
				j++;
			}
			k++;
		}
	by_name = tt_arena_alloc(a, (n + 1) * sizeof(*by_name));
	for (k = 0; k < n; k++) {
		by_name[k].name = names[k];
		by_name[k].state = own[k];
	}
	qsort(by_name, n, sizeof(*by_name), cmp_named);
	/* apply_pending is apply_ready once every stack before it is done. */
	k = 0;
	cJSON_ArrayForEach(outer, stored)
		cJSON_ArrayForEach(in, stacks_of(outer)) {
			final[k] = own[k];
			if (own[k] == TT_STACKS_APPLY_PENDING) {
				ready = 1;
				cJSON_ArrayForEach(dep,
				    cJSON_GetObjectItemCaseSensitive(in,
				    "after"))
					if (cJSON_IsString(dep) &&
					    state_of(by_name, n,
					    dep->valuestring) >
					    TT_STACKS_APPLY_SUCCESS)
						ready = 0;
				if (ready)
					final[k] = TT_STACKS_APPLY_READY;
			}
			k++;
		}

	tt_buf_puts(b, "{\"stacks\":[");
	k = j = 0;
	fo = 1;
	cJSON_ArrayForEach(outer, stored) {
		first_k = k;
		worst = TT_STACKS_NO_CHANGES;
		cJSON_ArrayForEach(in, stacks_of(outer))
			if (final[k++] > worst)
				worst = final[k - 1];
		tt_buf_puts(b, fo ? "{\"name\":" : ",{\"name\":");
		fo = 0;
		tt_json_buf_string(b, name_of(outer));
		put_state(b, ",\"state\":\"", worst, "\",\"stacks\":[");
		k = first_k;
		fi = 1;
		cJSON_ArrayForEach(in, stacks_of(outer)) {
			tt_buf_puts(b, fi ? "{\"name\":" : ",{\"name\":");
			fi = 0;
			tt_json_buf_string(b, names[k]);
			tt_buf_puts(b, ",\"paths\":");
			put_paths(b, in);
			put_state(b, ",\"state\":\"", final[k],
			    "\",\"dirspaces\":[");
			fd = 1;
			cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(
			    in, "dirspaces")) {
				s = ds[j++];
				if (tt_json_string(d, "dir") == NULL ||
				    tt_json_string(d, "workspace") == NULL)
					continue;
				tt_buf_puts(b, fd ? "{\"dirspace\":{\"dir\":" :
				    ",{\"dirspace\":{\"dir\":");
				fd = 0;
				tt_json_buf_string(b, tt_json_string(d, "dir"));
				tt_buf_puts(b, ",\"workspace\":");
				tt_json_buf_string(b, tt_json_string(d,
				    "workspace"));
				put_state(b, "},\"state\":\"", s, "\"}");
			}
			tt_buf_puts(b, "]}");
			k++;
		}
		tt_buf_puts(b, "]}");
	}
	tt_buf_puts(b, "]}");
}

/*
 * The stored stacks (the repository must belong to the installation)
 * with each dirspace's latest result at the pull request's head, which
 * triggers keep in results (sql/008): one row by primary key.
 */
TT_DB_STMT(stmt_stacks) = {
	.name = "stacks_get",
	.sql =
	    "SELECT s.stacks_text AS stacks, s.config_error, s.head_sha, "
	    "s.results_text AS results FROM pull_request_stacks s JOIN "
	    "repositories r ON r.installation_id = s.installation_id AND r.id = "
	    "s.repo_id WHERE s.installation_id = $1::bigint AND s.repo_id = "
	    "$2::bigint AND s.pull_number = $3::bigint",
	.nparams = 3,
	.retry = 1,
	.standby = 1,
};

/* {"dir": {"workspace": [run_type, success, has_changes]}} */
static struct tt_stacks_run *
read_runs(struct tt_arena *a, const char *text, size_t *n)
{
	struct tt_stacks_run	*runs;
	const cJSON		*obj, *dir, *ws, *t;
	size_t			 i = 0, cap = 0;

	*n = 0;
	if ((obj = tt_json_parse_stored(a, text, strlen(text))) == NULL)
		return NULL;
	cJSON_ArrayForEach(dir, obj)
		cap += (size_t)cJSON_GetArraySize(dir);
	runs = tt_arena_alloc(a, (cap + 1) * sizeof(*runs));
	cJSON_ArrayForEach(dir, obj)
		cJSON_ArrayForEach(ws, dir) {
			t = cJSON_GetArrayItem(ws, 0);
			if (i >= cap || !cJSON_IsString(t))
				continue;
			runs[i].dir = dir->string;
			runs[i].workspace = ws->string;
			runs[i].run_type = t->valuestring;
			runs[i].success = cJSON_IsTrue(cJSON_GetArrayItem(ws,
			    1));
			runs[i].has_changes = cJSON_IsTrue(cJSON_GetArrayItem(
			    ws, 2));
			i++;
		}
	*n = i;
	return runs;
}

enum tt_err
tt_stacks_load(struct tt_arena *a, const char *installation_id,
    const char *repo_id, const char *pull_number,
    struct tt_stacks_stored *out)
{
	struct tt_db_res	*r;
	const char		*p[3], *text;
	enum tt_err		 e;

	memset(out, 0, sizeof(*out));
	p[0] = installation_id;
	p[1] = repo_id;
	p[2] = pull_number;
	if ((e = tt_db_run(a, &stmt_stacks, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_ENOTFOUND;
	out->head_sha = tt_db_get(r, 0, "head_sha");
	if ((out->config_error = tt_db_get(r, 0, "config_error")) != NULL)
		return TT_OK;
	text = tt_db_get(r, 0, "stacks");
	if ((out->stacks = tt_json_parse_stored(a, text, strlen(text))) ==
	    NULL)
		return TT_EINTERNAL;
	out->runs = read_runs(a, tt_db_get(r, 0, "results"), &out->nruns);
	return TT_OK;
}

/*
 * The order stacks run in: a stack with none to follow has rank 0, one
 * that must follow others one more than the highest of theirs (the
 * stacks were checked for cycles). -1 while being worked out.
 */
static int
stack_rank(const cJSON *leaves, const char *name, cJSON *ranks, int depth)
{
	const cJSON	*l, *after;
	int		 r = 0, ar;

	if (cJSON_HasObjectItem(ranks, name))
		return cJSON_GetObjectItemCaseSensitive(ranks, name)->valueint;
	if (depth > TT_STACKS_MAX_STACKS)
		return 0;
	cJSON_ArrayForEach(l, leaves)
		if (strcmp(tt_json_string(l, "name"), name) == 0)
			break;
	after = l != NULL ? cJSON_GetObjectItemCaseSensitive(l, "after") : NULL;
	cJSON_ArrayForEach(l, after)
		if (cJSON_IsString(l) && (ar = stack_rank(leaves,
		    l->valuestring, ranks, depth + 1) + 1) > r)
			r = ar;
	cJSON_AddNumberToObject(ranks, name, r);
	return r;
}

/*
 * (tt_stacks_ranked, stacks.h)
 */
cJSON *
tt_stacks_ranked(struct tt_arena *a, const cJSON *stacks, const cJSON *dirspaces)
{
	const cJSON	*top, *in, *d, *m;
	cJSON		*leaves, *ranks, *where, *out, *o;
	const char	*key;

	leaves = tt_json_own(a, cJSON_CreateArray());
	ranks = tt_json_own(a, cJSON_CreateObject());
	where = tt_json_own(a, cJSON_CreateObject());
	out = tt_json_own(a, cJSON_CreateArray());
	cJSON_ArrayForEach(top, stacks)
		cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(top,
		    "stacks"))
			cJSON_AddItemReferenceToArray(leaves, (cJSON *)in);
	/* dir and workspace joined by a byte neither may hold. */
	cJSON_ArrayForEach(in, leaves)
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(in,
		    "dirspaces")) {
			key = tt_arena_printf(a, "%s%c%s", tt_json_string(d,
			    "dir"), 1, tt_json_string(d, "workspace"));
			if (!cJSON_HasObjectItem(where, key))
				cJSON_AddItemReferenceToObject(where, key,
				    (cJSON *)in);
		}
	cJSON_ArrayForEach(d, dirspaces) {
		o = cJSON_Duplicate(d, 1);
		key = tt_arena_printf(a, "%s%c%s", tt_json_string(d, "dir"), 1,
		    tt_json_string(d, "workspace"));
		if ((m = cJSON_GetObjectItemCaseSensitive(where, key)) !=
		    NULL) {
			cJSON_AddStringToObject(o, "stack_name",
			    tt_json_string(m, "name"));
			cJSON_AddNumberToObject(o, "rank", stack_rank(leaves,
			    tt_json_string(m, "name"), ranks, 0));
		}
		cJSON_AddItemToArray(out, o);
	}
	return out;
}
