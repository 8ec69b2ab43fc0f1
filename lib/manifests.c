/* manifests.c: work manifests and dirspaces, keyset-paginated. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
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

TT_DB_STMT(stmt_wm_desc) = {
	.name = "wm_list_desc",
	.sql = WM_PAGE("<", BEFORE("$2", "$3"), "DESC"),
	.nparams = 4,
	.retry = 1,
	.standby = 1,
};

TT_DB_STMT(stmt_wm_asc) = {
	.name = "wm_list_asc",
	.sql = WM_PAGE(">", AFTER("$2", "$3"), "ASC"),
	.nparams = 4,
	.retry = 1,
	.standby = 1,
};

TT_DB_STMT(stmt_wm_one) = {
	.name = "wm_get",
	.sql =
	    "SELECT " WM_COLS ", " WM_DIRSPACES WM_FROM "AND wm.id = $2::uuid",
	.nparams = 2,
	.retry = 1,
	.standby = 1,
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

TT_DB_STMT(stmt_ds_desc) = {
	.name = "ds_list_desc",
	.sql = DS_PAGE("<", "DESC"),
	.nparams = 6,
	.retry = 1,
	.standby = 1,
};

TT_DB_STMT(stmt_ds_asc) = {
	.name = "ds_list_asc",
	.sql = DS_PAGE(">", "ASC"),
	.nparams = 6,
	.retry = 1,
	.standby = 1,
};

/* The columns a row is written from, looked up once per result. */
enum {
	C_ID, C_RUN_TYPE, C_CREATED, C_COMPLETED, C_BASE_SHA, C_SHA,
	C_BASE_BRANCH, C_BRANCH, C_OWNER, C_REPO, C_TAG_QUERY, C_USER,
	C_RUN_ID, C_ENV, C_KIND, C_PULL_NUMBER, C_PR_TITLE, C_DIR,
	C_WORKSPACE, C_DS_STATE, C_STATE, C_REPO_ID, C_DIRSPACES, C__N
};
static const char *const col_names[C__N] = {
	"id", "run_type", "created_at", "completed_at", "base_sha", "sha",
	"base_branch", "branch", "owner", "repo", "tag_query", "username",
	"run_id", "environment", "kind", "pull_number", "pull_request_title",
	"dir", "workspace", "ds_state", "state", "repo_id", "dirspaces"
};

static void
find_cols(const struct tt_db_res *r, int col[C__N])
{
	int	i;

	for (i = 0; i < C__N; i++)
		col[i] = tt_db_col(r, col_names[i]);
}

/* ,"key":"value" (key given with its comma and colon); NULL: left out. */
static void
put_str(struct tt_buf *b, const char *key, const char *v)
{
	if (v == NULL)
		return;
	tt_buf_puts(b, key);
	tt_json_buf_string(b, v);
}

/* The same for a value that is JSON already (PostgreSQL built it). */
static void
put_raw(struct tt_buf *b, const char *key, const char *v)
{
	if (v == NULL)
		return;
	tt_buf_puts(b, key);
	tt_buf_puts(b, v);
}

/* A timestamp column as RFC 3339 UTC. */
static void
put_time(struct tt_buf *b, const char *key, const char *v)
{
	char	utc[TT_DB_UTC_LEN];

	if (v == NULL)
		return;
	if (tt_db_time(v, utc, NULL) != 0) {
		/* db.c sets DateStyle; only a misconfiguration gets here. */
		tt_log_errx("unexpected timestamp form \"%.40s\"", v);
		put_str(b, key, v);
		return;
	}
	tt_buf_puts(b, key);
	tt_buf_put(b, "\"", 1);
	tt_buf_put(b, utc, TT_DB_UTC_LEN - 1);
	tt_buf_put(b, "\"", 1);
}

/*
 * One row as the API's WM object (dirspace rows: WM fields + dir...),
 * written as JSON text straight into b (a page is built once, and this
 * is most of its work).
 */
static void
put_row(struct tt_buf *b, const struct tt_db_res *r, int i,
    const int col[C__N], int dirspaces)
{
#define V(c)	tt_db_val(r, i, col[c])
	const char	*kind = V(C_KIND);

	tt_buf_puts(b, "{\"id\":");
	tt_json_buf_string(b, V(C_ID));
	put_str(b, ",\"run_type\":", V(C_RUN_TYPE));
	put_time(b, ",\"created_at\":", V(C_CREATED));
	put_time(b, ",\"completed_at\":", V(C_COMPLETED));
	put_str(b, ",\"base_ref\":", V(C_BASE_SHA));
	put_str(b, ",\"branch_ref\":", V(C_SHA));
	put_str(b, ",\"base_branch\":", V(C_BASE_BRANCH));
	put_str(b, ",\"branch\":", V(C_BRANCH));
	put_str(b, ",\"owner\":", V(C_OWNER));
	put_str(b, ",\"repo\":", V(C_REPO));
	put_str(b, ",\"tag_query\":", V(C_TAG_QUERY));
	put_str(b, ",\"user\":", V(C_USER));
	put_str(b, ",\"run_id\":", V(C_RUN_ID));
	put_str(b, ",\"environment\":", V(C_ENV));
	if (kind != NULL && strcmp(kind, "pr") == 0) {
		tt_buf_puts(b, ",\"kind\":{");
		/* Present on every pr row (sql/009); {} otherwise. */
		if (V(C_PULL_NUMBER) != NULL) {
			put_raw(b, "\"pull_number\":", V(C_PULL_NUMBER));
			put_str(b, ",\"pull_request_title\":", V(C_PR_TITLE));
		} else if (V(C_PR_TITLE) != NULL)
			put_str(b, "\"pull_request_title\":", V(C_PR_TITLE));
		tt_buf_puts(b, "}");
	} else
		put_str(b, ",\"kind\":", kind);
	if (dirspaces) {
		put_str(b, ",\"dir\":", V(C_DIR));
		put_str(b, ",\"workspace\":", V(C_WORKSPACE));
		put_str(b, ",\"state\":", V(C_DS_STATE));
	} else {
		put_str(b, ",\"state\":", V(C_STATE));
		put_str(b, ",\"repo_id\":", V(C_REPO_ID));
		put_raw(b, ",\"dirspaces\":", V(C_DIRSPACES));
	}
	tt_buf_puts(b, "}");
#undef V
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
    int dirspaces, struct tt_buf *items, struct tt_manifests_result *out)
{
	struct tt_db_stmt	*st;
	struct tt_db_res	*r;
	const char		*p[6] = { NULL }, *f[5];
	int64_t			 us;
	int			 n, i, back = 0, fwd, nf = dirspaces ? 5 : 3;
	int			 col[C__N];
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
		if ((e = tt_db_read(a, sql, 6 + pg->nparams, all, &r)) !=
		    TT_OK)
			return e;
	}
	n = tt_db_nrows(r);
	out->next = out->prev = NULL;
	if (n > pg->limit)
		n = (int)pg->limit;
	find_cols(r, col);
	tt_buf_puts(items, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			tt_buf_puts(items, ",");
		put_row(items, r, back ? n - 1 - i : i, col, dirspaces);
	}
	tt_buf_puts(items, "]");
	if (!back) {
		if (tt_db_nrows(r) > pg->limit)
			out->next = row_cursor(a, r, n - 1, dirspaces, "n");
		if (pg->cursor != NULL && n > 0)
			out->prev = row_cursor(a, r, 0, dirspaces, "p");
	} else {
		if (n > 0)
			out->next = row_cursor(a, r, 0, dirspaces, "n");
		if (tt_db_nrows(r) > pg->limit)
			out->prev = row_cursor(a, r, n - 1, dirspaces, "p");
	}
	return TT_OK;
}

enum tt_err
tt_manifests_get(struct tt_arena *a, const char *installation_id,
    const char *id, struct tt_buf *wm)
{
	struct tt_db_res	*r;
	const char		*p[2];
	int			 col[C__N];
	enum tt_err		 e;

	p[0] = installation_id;
	p[1] = id;
	if ((e = tt_db_run(a, &stmt_wm_one, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_ENOTFOUND;
	find_cols(r, col);
	put_row(wm, r, 0, col, 0);
	return TT_OK;
}
