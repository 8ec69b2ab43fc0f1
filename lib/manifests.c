/* manifests.c: work manifests and dirspaces, keyset-paginated. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "manifests.h"
#include "page.h"
#include "tagquery.h"
#include "valid.h"


/* Microseconds since the epoch: exact keys for cursors. */

#define WM_COLS_(owner, repo) \
	"wm.id, wm.run_type, wm.state, wm.created_at::text AS created_at, " \
	"wm.completed_at::text AS completed_at, wm.base_sha, wm.sha, " \
	"wm.base_branch, wm.branch, " owner " AS owner, " repo " AS repo, " \
	"wm.repo_id::text AS repo_id, wm.tag_query, wm.username, wm.run_id, " \
	"wm.environment, wm.kind, wm.pull_number::text AS pull_number, " \
	"wm.pull_request_title"
#define WM_COLS		WM_COLS_("r.owner", "r.name")

/* Kept equal to the dirspace rows by triggers (sql/005). */
#define WM_DIRSPACES	"wm.dirspaces_json AS dirspaces"

#define WM_FROM \
	" FROM work_manifests wm JOIN repositories r ON " \
	"r.installation_id = wm.installation_id AND r.id = wm.repo_id " \
	"WHERE wm.installation_id = $1::bigint "

/*
 * $2/$3 the cursor row (or NULL for the first page), $4 the limit. The
 * keyset condition is always a plain row comparison (an open end for the
 * first page), so it is an index condition and a deep page seeks instead
 * of scanning the pages before it.
 */
#define BEFORE(p, q) "(" FROM_US_OR(p, "'infinity'") ", coalesce(" q \
	"::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))"
#define AFTER(p, q) "(" FROM_US_OR(p, "'-infinity'") ", coalesce(" q \
	"::uuid, '00000000-0000-0000-0000-000000000000'))"
#define FROM_US_OR(p, dflt) \
	"coalesce(" TT_DB_FROM_US(p) ", " dflt "::timestamptz)"

/*
 * Pages are chosen in an inner query and only its rows are formatted:
 * whatever plan PostgreSQL picks, the per-row work (dates, dirspace JSON)
 * is done for one page, never for every row it sorts. A compiled q goes
 * where FILTER stands (manifests.c with_filter).
 */
#define FILTER	" /*FILTER*/ "
#define WM_PAGE(cmp, bound, dir) \
	"SELECT " WM_COLS_("wm.r_owner", "wm.r_name") ", " WM_DIRSPACES \
	" FROM (SELECT wm.*, r.owner AS r_owner, r.name AS r_name" WM_FROM \
	"AND (wm.created_at, wm.id) " cmp " " bound FILTER \
	"ORDER BY wm.created_at " dir ", wm.id " dir " LIMIT $4::int) wm " \
	"ORDER BY wm.created_at " dir ", wm.id " dir

static struct tt_db_stmt stmt_wm_desc = {
	"wm_list_desc", WM_PAGE("<", BEFORE("$2", "$3"), "DESC"), 4, 1, 0, 1
};

static struct tt_db_stmt stmt_wm_asc = {
	"wm_list_asc", WM_PAGE(">", AFTER("$2", "$3"), "ASC"), 4, 1, 0, 1
};

static struct tt_db_stmt stmt_wm_one = {
	"wm_get",
	"SELECT " WM_COLS ", " WM_DIRSPACES WM_FROM "AND wm.id = $2::uuid",
	2, 1, 0, 1
};

#define DS_FROM \
	" FROM work_manifests wm JOIN repositories r ON " \
	"r.installation_id = wm.installation_id AND r.id = wm.repo_id " \
	"JOIN work_manifest_dirspaces d ON d.installation_id = " \
	"wm.installation_id AND d.work_manifest_id = wm.id " \
	"WHERE wm.installation_id = $1::bigint "

#define DS_PAGE(cmp, dir) \
	"SELECT " WM_COLS_("wm.r_owner", "wm.r_name") ", wm.d_dir AS dir, " \
	"wm.d_workspace AS workspace, CASE WHEN wm.state = 'aborted' THEN " \
	"'aborted' WHEN wm.state IN ('queued', 'running') THEN wm.state " \
	"WHEN wm.d_success THEN 'success' WHEN NOT wm.d_success THEN " \
	"'failure' ELSE 'unknown' END AS ds_state FROM (SELECT wm.*, " \
	"r.owner AS r_owner, r.name AS r_name, d.dir AS d_dir, d.workspace " \
	"AS d_workspace, d.success AS d_success" DS_FROM "AND ($2::bigint IS " \
	"NULL OR (wm.created_at, wm.id, d.dir, d.workspace) " cmp " (" \
	TT_DB_FROM_US("$2") ", $3::uuid, $5, $6))" FILTER "ORDER BY wm.created_at " \
	dir ", wm.id " dir ", d.dir " dir ", d.workspace " dir " LIMIT $4::int) " \
	"wm ORDER BY wm.created_at " dir ", wm.id " dir ", wm.d_dir " dir \
	", wm.d_workspace " dir

static struct tt_db_stmt stmt_ds_desc = {
	"ds_list_desc", DS_PAGE("<", "DESC"), 6, 1, 0, 1
};

static struct tt_db_stmt stmt_ds_asc = {
	"ds_list_asc", DS_PAGE(">", "ASC"), 6, 1, 0, 1
};

static void
add_opt(cJSON *o, const char *name, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, name, v);
}

/* A timestamp column as RFC 3339 UTC; NULL columns are left out. */
static void
add_time(struct tt_arena *a, cJSON *o, const char *name, const char *v)
{
	char	*utc;

	if (v == NULL)
		return;
	utc = tt_arena_alloc(a, TT_DB_UTC_LEN);
	if (tt_db_time(v, utc, NULL) != 0) {
		/* db.c sets DateStyle; only a misconfiguration gets here. */
		tt_log_errx("unexpected timestamp form \"%.40s\"", v);
		cJSON_AddStringToObject(o, name, v);
		return;
	}
	cJSON_AddStringToObject(o, name, utc);
}

/* One row as the API's WM object (dirspace rows: WM fields + dir...). */
static cJSON *
row_json(struct tt_arena *a, struct tt_db_res *r, int i, int dirspaces)
{
	const char	*kind, *ds;
	cJSON		*o, *k;

	o = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddStringToObject(o, "id", tt_db_get(r, i, "id"));
	cJSON_AddStringToObject(o, "run_type", tt_db_get(r, i, "run_type"));
	add_time(a, o, "created_at", tt_db_get(r, i, "created_at"));
	add_time(a, o, "completed_at", tt_db_get(r, i, "completed_at"));
	cJSON_AddStringToObject(o, "base_ref", tt_db_get(r, i, "base_sha"));
	cJSON_AddStringToObject(o, "branch_ref", tt_db_get(r, i, "sha"));
	cJSON_AddStringToObject(o, "base_branch", tt_db_get(r, i, "base_branch"));
	cJSON_AddStringToObject(o, "branch", tt_db_get(r, i, "branch"));
	cJSON_AddStringToObject(o, "owner", tt_db_get(r, i, "owner"));
	cJSON_AddStringToObject(o, "repo", tt_db_get(r, i, "repo"));
	cJSON_AddStringToObject(o, "tag_query", tt_db_get(r, i, "tag_query"));
	add_opt(o, "user", tt_db_get(r, i, "username"));
	add_opt(o, "run_id", tt_db_get(r, i, "run_id"));
	add_opt(o, "environment", tt_db_get(r, i, "environment"));
	kind = tt_db_get(r, i, "kind");
	if (strcmp(kind, "pr") == 0) {
		k = cJSON_AddObjectToObject(o, "kind");
		cJSON_AddRawToObject(k, "pull_number",
		    tt_db_get(r, i, "pull_number"));
		add_opt(k, "pull_request_title",
		    tt_db_get(r, i, "pull_request_title"));
	} else
		cJSON_AddStringToObject(o, "kind", kind);
	if (dirspaces) {
		cJSON_AddStringToObject(o, "dir", tt_db_get(r, i, "dir"));
		cJSON_AddStringToObject(o, "workspace",
		    tt_db_get(r, i, "workspace"));
		cJSON_AddStringToObject(o, "state", tt_db_get(r, i, "ds_state"));
	} else {
		cJSON_AddStringToObject(o, "state", tt_db_get(r, i, "state"));
		cJSON_AddStringToObject(o, "repo_id", tt_db_get(r, i, "repo_id"));
		/* PostgreSQL built this JSON; it goes out as it is. */
		ds = tt_db_get(r, i, "dirspaces");
		cJSON_AddRawToObject(o, "dirspaces", ds);
	}
	return o;
}

/* The keyset position of a row, as an opaque cursor. */
static const char *
row_cursor(struct tt_arena *a, struct tt_db_res *r, int i, int dirspaces,
    const char *dir)
{
	const char	*f[5];
	int64_t		 us;

	if (tt_db_time(tt_db_get(r, i, "created_at"), NULL, &us) != 0) {
		tt_log_errx("unexpected timestamp form: is DateStyle "
		    "overridden in TT_DATABASE_URL?");
		return NULL;
	}
	f[0] = dir;
	f[1] = tt_arena_printf(a, "%lld", (long long)us);
	f[2] = tt_db_get(r, i, "id");
	if (!dirspaces)
		return tt_page_encode(a, f, 3);
	f[3] = tt_db_get(r, i, "dir");
	f[4] = tt_db_get(r, i, "workspace");
	return tt_page_encode(a, f, 5);
}

/*
 * The statement text with the compiled q in place of FILTER; for work
 * manifests also a no-op use of $5 and $6 so every placeholder is typed.
 */
static char *
with_filter(struct tt_arena *a, const char *sql, const char *where,
    int dirspaces)
{
	const char	*f = strstr(sql, FILTER);

	return tt_arena_printf(a, "%.*s AND (%s)%s %s", (int)(f - sql), sql,
	    where, dirspaces ? "" : " AND ($5::text IS NULL OR true) AND "
	    "($6::text IS NULL OR true)", f + strlen(FILTER));
}

enum tt_err
tt_manifests_list(struct tt_arena *a, const struct tt_manifests_page *pg,
    int dirspaces, struct tt_manifests_result *out)
{
	struct tt_db_stmt	*st;
	struct tt_db_res	*r;
	const char		*p[6] = { NULL }, *f[5];
	int64_t			 us;
	int			 n, i, back = 0, fwd, nf = dirspaces ? 5 : 3;
	enum tt_err		 e;
	const char		**all;
	char			*sql;

	p[0] = pg->installation_id;
	if (pg->cursor != NULL) {
		/* "n": rows after the cursor; "p": rows before it. */
		if (tt_page_decode(a, pg->cursor, f, (size_t)nf) != 0 ||
		    (strcmp(f[0], "n") != 0 && strcmp(f[0], "p") != 0) ||
		    tt_valid_int64(f[1], 0, INT64_MAX, &us) != 0 ||
		    !tt_valid_uuid(f[2]))
			return TT_EINVAL;
		back = f[0][0] == 'p';
		p[1] = f[1];
		p[2] = f[2];
		if (dirspaces) {
			p[4] = f[3];
			p[5] = f[4];
		}
	}
	p[3] = tt_arena_printf(a, "%lld", (long long)pg->limit + 1);
	/* Going back runs the query in the other direction, then flips. */
	fwd = pg->asc != back;
	if (dirspaces)
		st = fwd ? &stmt_ds_asc : &stmt_ds_desc;
	else
		st = fwd ? &stmt_wm_asc : &stmt_wm_desc;
	if (pg->where == NULL) {
		if ((e = tt_db_run(a, st, p, &r)) != TT_OK)
			return e;
	} else {
		/*
		 * A filtered list: the same statement with the compiled q (only
		 * fixed SQL and $n placeholders) added to its WHERE clause;
		 * $5 and $6 are always present so q's numbers do not move.
		 */
		sql = with_filter(a, st->sql, pg->where, dirspaces);
		all = tt_arena_alloc(a, (size_t)(6 + pg->nparams) *
		    sizeof(*all));
		memcpy(all, p, sizeof(p));
		memcpy(all + 6, pg->params, (size_t)pg->nparams *
		    sizeof(*all));
		if ((e = tt_db_select(a, sql, 6 + pg->nparams, all, &r)) !=
		    TT_OK)
			return e;
	}
	n = tt_db_nrows(r);
	out->items = tt_json_own(a, cJSON_CreateArray());
	out->next = out->prev = NULL;
	if (n > pg->limit)
		n = (int)pg->limit;
	if (!back) {
		for (i = 0; i < n; i++)
			cJSON_AddItemReferenceToArray(out->items,
			    row_json(a, r, i, dirspaces));
		if (tt_db_nrows(r) > pg->limit)
			out->next = row_cursor(a, r, n - 1, dirspaces, "n");
		if (pg->cursor != NULL && n > 0)
			out->prev = row_cursor(a, r, 0, dirspaces, "p");
	} else {
		for (i = n - 1; i >= 0; i--)
			cJSON_AddItemReferenceToArray(out->items,
			    row_json(a, r, i, dirspaces));
		if (n > 0)
			out->next = row_cursor(a, r, 0, dirspaces, "n");
		if (tt_db_nrows(r) > pg->limit)
			out->prev = row_cursor(a, r, n - 1, dirspaces, "p");
	}
	return TT_OK;
}

enum tt_err
tt_manifests_get(struct tt_arena *a, const char *installation_id,
    const char *id, cJSON **wm)
{
	struct tt_db_res	*r;
	const char		*p[2];
	enum tt_err		 e;

	p[0] = installation_id;
	p[1] = id;
	if ((e = tt_db_run(a, &stmt_wm_one, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_ENOTFOUND;
	*wm = row_json(a, r, 0, 0);
	return TT_OK;
}
