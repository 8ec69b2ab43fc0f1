/*
 * ghpull.c: a pull request delivery: its changed files' directories, the
 * repository's config, stacks, the plan work manifest, its check run,
 * its dispatch to the repository's workflow and the comment; a new head
 * or a close ends the manifests still queued or running.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "dispatch.h"
#include "ghauth.h"
#include "ghinst.h"
#include "ghpull.h"
#include "ghtext.h"
#include "github.h"
#include "json.h"
#include "ledger.h"
#include "runner.h"
#include "stacks.h"
#include "valid.h"
#include "yaml.h"

#define FILES_PER_PAGE	100
#define FILES_MAX_PAGES	30	/* GitHub lists at most 3000 files */
#define CHECK_RUN_NAME	"terrateam plan"
#define CONFIG_PATH	".terrateam/config.yml"

static int
has_suffix(const char *s, size_t n, const char *suf)
{
	size_t	m = strlen(suf);

	return n >= m && memcmp(s + n - m, suf, m) == 0;
}

const char *
tt_ghpull_dir_of(struct tt_arena *a, const char *f)
{
	const char	*slash, *p;
	size_t		 n;

	if (f == NULL || (n = strlen(f)) == 0 || n > 4096 || f[0] == '/')
		return NULL;
	if (!has_suffix(f, n, ".tf") && !has_suffix(f, n, ".tf.json") &&
	    !has_suffix(f, n, ".tfvars") && !has_suffix(f, n, ".tfvars.json") &&
	    !has_suffix(f, n, ".hcl"))
		return NULL;
	/* No empty, "." or ".." segments, no control bytes. */
	for (p = f; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	for (p = f; p != NULL; p = slash ? slash + 1 : NULL) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return NULL;
	}
	if ((slash = strrchr(f, '/')) == NULL)
		return ".";
	return tt_arena_strndup(a, f, (size_t)(slash - f));
}

static enum tt_err
run(struct tt_arena *a, struct tt_db_stmt *st, const char *p0,
    const char *p1, const char *p2, const char *p3)
{
	const char		*p[4] = { p0, p1, p2, p3 };
	struct tt_db_res	*r;

	return tt_db_run(a, st, p, &r);
}

/* What this file reads of a pull_request payload; ids as decimal text. */
struct pr {
	const char	*inst, *repo_id, *owner, *repo, *number;
	const char	*title, *head_sha, *head_ref, *base_sha, *base_ref;
	const char	*user;
};

/* A git object name: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits. */
static int
sha_valid(const char *s)
{
	size_t	n = strlen(s);

	return (n == 40 || n == 64) && strspn(s, "0123456789abcdef") == n;
}

static int
pr_read(struct tt_arena *a, const cJSON *pl, struct pr *p)
{
	const cJSON	*in = tt_json_object(pl, "installation"), *rp = tt_json_object(pl,
			    "repository"), *pr = tt_json_object(pl, "pull_request"),
			*head, *base;

	memset(p, 0, sizeof(*p));
	if (in == NULL || rp == NULL || pr == NULL ||
	    (head = tt_json_object(pr, "head")) == NULL ||
	    (base = tt_json_object(pr, "base")) == NULL)
		return -1;
	p->inst = tt_json_id(a, in, "id");
	p->repo_id = tt_json_id(a, rp, "id");
	p->repo = tt_json_string(rp, "name");
	p->owner = tt_json_object(rp, "owner") ? tt_json_string(tt_json_object(rp, "owner"),
	    "login") : NULL;
	p->number = tt_json_id(a, pr, "number");
	p->title = tt_json_string(pr, "title");
	p->head_sha = tt_json_string(head, "sha");
	p->head_ref = tt_json_string(head, "ref");
	p->base_sha = tt_json_string(base, "sha");
	p->base_ref = tt_json_string(base, "ref");
	p->user = tt_json_object(pr, "user") ? tt_json_string(tt_json_object(pr, "user"),
	    "login") : NULL;
	if (p->inst == NULL || p->repo_id == NULL || p->repo == NULL ||
	    p->owner == NULL || p->number == NULL || p->head_sha == NULL ||
	    p->head_ref == NULL || p->base_sha == NULL || p->base_ref == NULL)
		return -1;
	/* Names and the sha go into GitHub URLs: only the safe alphabet. */
	if (!tt_github_name_valid(p->owner) || !tt_github_name_valid(p->repo) ||
	    !sha_valid(p->head_sha))
		return -1;
	return 0;
}

TT_DB_STMT(stmt_pr_upsert) = {
	.name = "gh_pr_upsert",
	.sql =
	    "INSERT INTO pull_requests (installation_id, repo_id, pull_number, "
	    "title, state, base_branch, branch, base_sha, head_sha, ledger_id) "
	    "VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6, $7, $8, $9, "
	    "$10::bigint) "
	    "ON CONFLICT (installation_id, repo_id, pull_number) DO UPDATE SET "
	    "title = EXCLUDED.title, state = EXCLUDED.state, base_branch = "
	    "EXCLUDED.base_branch, branch = EXCLUDED.branch, base_sha = "
	    "EXCLUDED.base_sha, head_sha = EXCLUDED.head_sha, updated_at = now(), "
	    "ledger_id = EXCLUDED.ledger_id "
	    "WHERE pull_requests.ledger_id <= EXCLUDED.ledger_id",
	.nparams = 10,
	.retry = 1,
};

TT_DB_STMT(stmt_pr_lock) = {
	.name = "gh_pr_lock",
	.sql =
	    "SELECT pg_advisory_xact_lock(hashtextextended('pr:' || $1 || ':' || "
	    "$2 || ':' || $3, 0))",
	.nparams = 3,
};

TT_DB_STMT(stmt_wm_insert) = {
	.name = "gh_wm_insert",
	.sql =
	    "INSERT INTO work_manifests (installation_id, repo_id, pull_number, "
	    "run_type, state, kind, base_sha, sha, base_branch, branch, "
	    "tag_query, username, pull_request_title, config_json) VALUES "
	    "($1::bigint, $2::bigint, $3::bigint, 'plan', 'queued', 'pr', $4, "
	    "$5, $6, $7, '', $8, $9, $10) RETURNING id",
	.nparams = 10,
};

TT_DB_STMT(stmt_ds_insert) = {
	.name = "gh_ds_insert",
	.sql =
	    "INSERT INTO work_manifest_dirspaces (installation_id, "
	    "work_manifest_id, dir, workspace, rank, stack_name) SELECT "
	    "$1::bigint, $2::uuid, d->>'dir', d->>'workspace', "
	    "coalesce((d->>'rank')::int, 0), coalesce(d->>'stack_name', "
	    "'default') FROM jsonb_array_elements($3::jsonb) d",
	.nparams = 3,
};

/*
 * The pull request's row and its stacks keep what the newest delivery
 * (the highest ledger id) said: an older delivery retried after a newer
 * one still makes its manifest, but does not put its head back.
 */
TT_DB_STMT(stmt_stacks_store) = {
	.name = "gh_stacks_store",
	.sql =
	    "INSERT INTO pull_request_stacks (installation_id, repo_id, "
	    "pull_number, head_sha, stacks, config_error, ledger_id) VALUES "
	    "($1::bigint, $2::bigint, $3::bigint, $4, $5::jsonb, $6, $7::bigint) "
	    "ON CONFLICT (installation_id, repo_id, pull_number) DO UPDATE SET "
	    "head_sha = EXCLUDED.head_sha, stacks = EXCLUDED.stacks, config_error "
	    "= EXCLUDED.config_error, computed_at = now(), ledger_id = "
	    "EXCLUDED.ledger_id WHERE pull_request_stacks.ledger_id <= "
	    "EXCLUDED.ledger_id",
	.nparams = 7,
};

/*
 * The manifest a previous attempt at this delivery made, read under the
 * pull request's lock: a worker whose lease ran out while it was slow
 * must not make a second one.
 */
TT_DB_STMT(stmt_recorded) = {
	.name = "gh_recorded",
	.sql =
	    "SELECT work_manifest_id::text AS wm FROM webhook_deliveries WHERE "
	    "id = $1::bigint",
	.nparams = 1,
};

TT_DB_STMT(stmt_pr_closed) = {
	.name = "gh_pr_closed",
	.sql =
	    "UPDATE pull_requests SET state = 'closed', updated_at = now() WHERE "
	    "installation_id = $1::bigint AND repo_id = $2::bigint AND "
	    "pull_number = $3::bigint",
	.nparams = 3,
	.retry = 1,
};

/* The check run the runner's progress is shown on (runreport.c). */
TT_DB_STMT(stmt_wm_check) = {
	.name = "gh_wm_check",
	.sql =
	    "UPDATE work_manifests SET check_run_id = $3::bigint WHERE "
	    "installation_id = $1::bigint AND id = $2::uuid AND check_run_id IS "
	    "NULL",
	.nparams = 3,
	.retry = 1,
};

/* Wraps a GitHub failure into the delivery's error. */
static enum tt_err
gh_fail(const char *what, const struct tt_github_resp *r, const char **error,
    int64_t *retry_after)
{
	static char	buf[256];

	snprintf(buf, sizeof(buf), "%s: %s%s%ld", what,
	    r->error ? r->error : "", r->error ? ", status " : "status ",
	    r->status);
	*error = buf;
	*retry_after = r->retry_after;
	return TT_EUNAVAIL;
}

/* The changed files' Terraform directories, unique, in an arena array. */
static enum tt_err
pr_dirs(struct tt_arena *a, const struct pr *p, const char ***dirs,
    size_t *ndirs, const char **error, int64_t *retry_after)
{
	struct tt_github_resp	 r;
	const cJSON		*f;
	const char		*path, *dir;
	cJSON			*set, *it;
	int			 page, n;

	set = tt_json_own(a, cJSON_CreateObject());
	for (page = 1; page <= FILES_MAX_PAGES; page++) {
		path = tt_arena_printf(a, "/repos/%s/%s/pulls/%s/files?"
		    "per_page=%d&page=%d", p->owner, p->repo, p->number,
		    FILES_PER_PAGE, page);
		if (tt_ghauth_call(a, strtoll(p->inst, NULL, 10), "GET", path,
		    NULL, &r) != TT_OK || r.status != 200 ||
		    !cJSON_IsArray(r.json))
			return gh_fail("listing changed files", &r, error,
			    retry_after);
		n = 0;
		cJSON_ArrayForEach(f, r.json) {
			n++;
			dir = tt_ghpull_dir_of(a, tt_json_string(f,
			    "filename"));
			if (dir != NULL && !cJSON_HasObjectItem(set, dir))
				cJSON_AddNullToObject(set, dir);
		}
		if (n < FILES_PER_PAGE)
			break;
	}
	*ndirs = 0;
	*dirs = tt_arena_alloc(a, ((size_t)cJSON_GetArraySize(set) + 1) *
	    sizeof(**dirs));
	cJSON_ArrayForEach(it, set)
		(*dirs)[(*ndirs)++] = it->string;
	return TT_OK;
}

/*
 * .terrateam/config.yml at the head sha, parsed; *config NULL when the
 * file is absent. A file that cannot be used is a configuration error
 * (*cfg_err), not a failure: retrying would not change it.
 */
static enum tt_err
pr_config(struct tt_arena *a, const struct pr *p, cJSON **config,
    const char **cfg_err, const char **error, int64_t *retry_after)
{
	struct tt_github_resp	 r;
	const char		*enc, *content;
	unsigned char		*text;
	char			 why[256];
	int64_t			 size;
	size_t			 n;

	*config = NULL;
	*cfg_err = NULL;
	if (tt_ghauth_call(a, strtoll(p->inst, NULL, 10), "GET",
	    tt_arena_printf(a, "/repos/%s/%s/contents/" CONFIG_PATH "?ref=%s",
	    p->owner, p->repo, p->head_sha), NULL, &r) != TT_OK ||
	    (r.status != 200 && r.status != 404) ||
	    (r.status == 200 && !cJSON_IsObject(r.json) &&
	    !cJSON_IsArray(r.json)))
		return gh_fail("reading " CONFIG_PATH, &r, error, retry_after);
	if (r.status == 404)
		return TT_OK;
	if (cJSON_IsArray(r.json)) {	/* GitHub lists a directory */
		*cfg_err = CONFIG_PATH " is not a file";
		return TT_OK;
	}
	enc = tt_json_string(r.json, "encoding");
	content = tt_json_string(r.json, "content");
	if (tt_json_string(r.json, "type") == NULL ||
	    strcmp(tt_json_string(r.json, "type"), "file") != 0)
		*cfg_err = CONFIG_PATH " is not a file";
	else if ((tt_json_int64(r.json, "size", 0, INT64_MAX, &size) == 0 &&
	    size > TT_YAML_MAX_BYTES) || enc == NULL ||
	    strcmp(enc, "base64") != 0 || content == NULL)
		*cfg_err = tt_arena_printf(a, CONFIG_PATH " is larger than %d "
		    "KiB", TT_YAML_MAX_BYTES / 1024);
	else if ((text = tt_crypto_b64_decode(a, content, strlen(content),
	    &n)) == NULL)
		*cfg_err = CONFIG_PATH " could not be decoded (base64)";
	else if (tt_yaml_parse(a, (const char *)text, n, config, why,
	    sizeof(why)) != TT_OK) {
		*config = NULL;
		*cfg_err = tt_arena_printf(a, CONFIG_PATH ": %s", why);
	}
	return TT_OK;
}

/*
 * The local effects in one transaction, recorded in the ledger row in
 * the same transaction: a retry finds work_manifest_id and skips them.
 * res NULL: a configuration error (cfg_err), stored instead of stacks
 * and no work manifest. No dirspaces: stacks stored, no manifest.
 */
static enum tt_err
pr_record(struct tt_arena *a, const struct tt_ledger_item *it,
    const struct pr *p, const struct tt_stacks_result *res,
    const cJSON *config, const char *cfg_err, const char **wm_id)
{
	struct tt_db_res	*r;
	const char		*q[10];
	enum tt_err		 e;

	if ((e = tt_db_begin(a)) != TT_OK)
		return e;
	q[0] = p->inst; q[1] = p->repo_id; q[2] = p->number;
	if ((e = tt_db_run(a, &stmt_pr_lock, q, &r)) != TT_OK)
		goto fail;
	q[0] = it->id;
	if ((e = tt_db_run(a, &stmt_recorded, q, &r)) != TT_OK)
		goto fail;
	if (tt_db_nrows(r) == 1 && tt_db_get(r, 0, "wm") != NULL) {
		*wm_id = tt_arena_strdup(a, tt_db_get(r, 0, "wm"));
		return tt_db_commit(a);
	}
	q[0] = p->inst;
	/* In case their installation events have not been processed yet. */
	if ((e = tt_ghinst_ensure(a, p->inst, p->owner)) != TT_OK ||
	    (e = tt_ghinst_repo(a, p->inst, p->repo_id,
	    p->owner, p->repo)) != TT_OK)
		goto fail;
	q[3] = p->title; q[4] = "open"; q[5] = p->base_ref; q[6] = p->head_ref;
	q[7] = p->base_sha; q[8] = p->head_sha; q[9] = it->id;
	if ((e = tt_db_run(a, &stmt_pr_upsert, q, &r)) != TT_OK)
		goto fail;
	if (res != NULL && cJSON_GetArraySize(res->dirspaces) > 0) {
		q[3] = p->base_sha; q[4] = p->head_sha; q[5] = p->base_ref;
		q[6] = p->head_ref; q[7] = p->user; q[8] = p->title;
		q[9] = config != NULL ? tt_json_print(a, config) : "{}";
		if ((e = tt_db_run(a, &stmt_wm_insert, q, &r)) != TT_OK)
			goto fail;
		*wm_id = tt_db_get(r, 0, "id");
		q[1] = *wm_id;
		q[2] = tt_json_print(a, tt_stacks_ranked(a, res->stacks,
		    res->dirspaces));
		if ((e = tt_db_run(a, &stmt_ds_insert, q, &r)) != TT_OK)
			goto fail;
		if ((e = tt_ledger_effect(a, it->id, "work_manifest_id",
		    *wm_id)) != TT_OK)
			goto fail;
	}
	q[0] = p->inst; q[1] = p->repo_id; q[2] = p->number;
	q[3] = p->head_sha;
	q[4] = res != NULL ? tt_json_print(a, res->stacks) : "[]";
	q[5] = res != NULL ? NULL : cfg_err;
	q[6] = it->id;
	if ((e = tt_db_run(a, &stmt_stacks_store, q, &r)) != TT_OK)
		goto fail;
	return tt_db_commit(a);
fail:
	tt_db_rollback(a);
	*wm_id = NULL;
	return e;
}

#define LIST_MAX	100	/* dirspaces listed in a comment or check run */
#define TEXT_MAX	TT_GHTEXT_MAX

/*
 * "- `dir` (workspace `ws`)" lines for the comment and check run, at most
 * LIST_MAX of them, then "and N more"; never longer than TEXT_MAX / 2.
 */
static const char *
dirspace_list(struct tt_arena *a, const cJSON *dirspaces)
{
	struct tt_buf	 b = { 0 };
	const cJSON	*d;
	const char	*s;
	int		 n = 0, total = cJSON_GetArraySize(dirspaces);

	cJSON_ArrayForEach(d, dirspaces) {
		if (n == LIST_MAX || b.n > TEXT_MAX / 2)
			break;
		tt_buf_printf(&b, "- `%.200s` (workspace `%.100s`)\n",
		    tt_json_string(d, "dir"), tt_json_string(d, "workspace"));
		n++;
	}
	if (n < total)
		tt_buf_printf(&b, "- and %d more\n", total - n);
	s = tt_arena_strndup(a, b.p ? b.p : "", b.n);
	tt_buf_free(&b);
	return s;
}

/* "Stacks, in order: `a`, `b`" over the stacks that hold dirspaces. */
static const char *
stack_order(struct tt_arena *a, const cJSON *stacks)
{
	struct tt_buf	 b = { 0 };
	const cJSON	*o, *in;
	const char	*s;

	cJSON_ArrayForEach(o, stacks)
		cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(o,
		    "stacks"))
			if (b.n < TEXT_MAX / 4 && cJSON_GetArraySize(
			    cJSON_GetObjectItemCaseSensitive(in, "dirspaces")) >
			    0)
				tt_buf_printf(&b, "%s`%.128s`", b.n ? ", " : "",
				    tt_json_string(in, "name"));
	s = b.n ? tt_arena_printf(a, "\nStacks, in order: %s\n", b.p) : "";
	tt_buf_free(&b);
	return s;
}

static enum tt_err
pr_check_run(struct tt_arena *a, const struct tt_ledger_item *it,
    const struct pr *p, const struct tt_stacks_result *res,
    const char *cfg_err, const char *wm_id, const char **check,
    const char **error, int64_t *retry_after)
{
	struct tt_github_resp	 r;
	cJSON			*b, *out;
	const char		*id, *title, *summary;
	int			 n = res ? cJSON_GetArraySize(res->dirspaces) : 0;

	b = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddStringToObject(b, "name", CHECK_RUN_NAME);
	cJSON_AddStringToObject(b, "head_sha", p->head_sha);
	if (cfg_err != NULL) {
		cJSON_AddStringToObject(b, "status", "completed");
		cJSON_AddStringToObject(b, "conclusion", "failure");
		title = "Invalid " CONFIG_PATH;
		summary = tt_ghtext_fenced(a, cfg_err, TEXT_MAX / 2);
	} else if (n > 0) {
		cJSON_AddStringToObject(b, "status", "queued");
		cJSON_AddStringToObject(b, "external_id", wm_id);
		title = tt_arena_printf(a, "Plan queued for %d dirspace%s", n,
		    n == 1 ? "" : "s");
		summary = tt_arena_printf(a, "%s%s", dirspace_list(a,
		    res->dirspaces), stack_order(a, res->stacks));
	} else {
		cJSON_AddStringToObject(b, "status", "completed");
		cJSON_AddStringToObject(b, "conclusion", "neutral");
		title = "No Terraform changes";
		summary = "No changed file is a Terraform file.";
	}
	out = cJSON_AddObjectToObject(b, "output");
	cJSON_AddStringToObject(out, "title", title);
	cJSON_AddStringToObject(out, "summary", summary);
	if (tt_ghauth_call(a, strtoll(p->inst, NULL, 10), "POST",
	    tt_arena_printf(a, "/repos/%s/%s/check-runs", p->owner, p->repo),
	    b, &r) != TT_OK || r.status != 201 ||
	    (id = tt_json_id(a, r.json, "id")) == NULL)
		return gh_fail("creating the check run", &r, error,
		    retry_after);
	*check = id;
	return tt_ledger_effect(a, it->id, "check_run_id", id);
}

static enum tt_err
pr_comment(struct tt_arena *a, const struct tt_ledger_item *it,
    const struct pr *p, const struct tt_stacks_result *res,
    const char *cfg_err, const char *wm_id, const char *note,
    const char **error, int64_t *retry_after)
{
	struct tt_github_resp	 r;
	cJSON			*b;
	const char		*id;

	b = tt_json_own(a, cJSON_CreateObject());
	if (cfg_err != NULL)
		cJSON_AddStringToObject(b, "body", tt_arena_printf(a,
		    "**Terrateam** cannot evaluate `%.12s`: the configuration "
		    "is invalid.\n\n%s\n\nFix `" CONFIG_PATH "` and push "
		    "again.", p->head_sha, tt_ghtext_fenced(a, cfg_err,
		    TEXT_MAX / 2)));
	else
		cJSON_AddStringToObject(b, "body", tt_arena_printf(a,
		    "**Terrateam** queued a plan for `%.12s` (work manifest "
		    "`%s`):\n\n%s%s%s%s", p->head_sha, wm_id, dirspace_list(a,
		    res->dirspaces), stack_order(a, res->stacks),
		    note != NULL ? "\nIt will not run: " : "",
		    note != NULL ? note : ""));
	if (tt_ghauth_call(a, strtoll(p->inst, NULL, 10), "POST",
	    tt_arena_printf(a, "/repos/%s/%s/issues/%s/comments", p->owner,
	    p->repo, p->number), b, &r) != TT_OK || r.status != 201 ||
	    (id = tt_json_id(a, r.json, "id")) == NULL)
		return gh_fail("posting the comment", &r, error, retry_after);
	return tt_ledger_effect(a, it->id, "comment_id", id);
}

enum tt_err
tt_ghpull_process(struct tt_arena *a, const struct tt_ledger_item *it,
    const cJSON *pl, const char **outcome, const char **error,
    int64_t *retry_after)
{
	struct tt_stacks_result	 res, *resp = &res;
	struct pr		 p;
	enum tt_dispatch_outcome dispatched = TT_DISPATCH_DONE;
	cJSON			*config;
	const char		**dirs, *cfg_err, *wm_id = it->work_manifest_id;
	const char		*check = NULL;
	char			 why[512];
	size_t			 ndirs;
	int64_t			 n;
	enum tt_err		 e;

	if (pr_read(a, pl, &p) != 0) {
		*outcome = "ignored: incomplete pull_request payload";
		return TT_OK;
	}
	/* A closed pull request, or a new head, ends what runs at the old. */
	if (strcmp(it->action, "closed") == 0) {
		if ((e = tt_runner_abort_pr(a, p.inst, p.repo_id, p.number,
		    NULL, "the pull request was closed", it->id, &n)) !=
		    TT_OK || (e = run(a, &stmt_pr_closed, p.inst, p.repo_id,
		    p.number, NULL)) != TT_OK)
			return e;
		*outcome = tt_arena_printf(a, "%lld queued or running work "
		    "manifests aborted", (long long)n);
		return TT_OK;
	}
	if ((e = tt_runner_abort_pr(a, p.inst, p.repo_id, p.number,
	    p.head_sha, "a new head commit was pushed", it->id, &n)) != TT_OK)
		return e;
	if ((e = pr_dirs(a, &p, &dirs, &ndirs, error, retry_after)) != TT_OK ||
	    (e = pr_config(a, &p, &config, &cfg_err, error, retry_after)) !=
	    TT_OK)
		return e;
	if (cfg_err == NULL && tt_stacks_compute(a, config, dirs, ndirs, &res,
	    why, sizeof(why)) != TT_OK)
		cfg_err = tt_arena_printf(a, CONFIG_PATH ": %s", why);
	if (cfg_err != NULL) {
		/* Messages may cut a multibyte character: keep them text. */
		cfg_err = tt_arena_strdup(a, cfg_err);
		tt_valid_utf8_scrub((char *)cfg_err);
		resp = NULL;
	}
	if (wm_id == NULL && (e = pr_record(a, it, &p, resp, config, cfg_err,
	    &wm_id)) != TT_OK)
		return e;
	if (it->check_run_id == NULL && (e = pr_check_run(a, it, &p, resp,
	    cfg_err, wm_id, &check, error, retry_after)) != TT_OK)
		return e;
	if (check == NULL)
		check = it->check_run_id;
	/* The runner's check run; then the runner itself (never twice). */
	if (wm_id != NULL && check != NULL && (e = run(a, &stmt_wm_check,
	    p.inst, wm_id, check, NULL)) != TT_OK)
		return e;
	if (wm_id != NULL && (e = tt_dispatch(a, strtoll(p.inst, NULL, 10),
	    wm_id, &dispatched, error, retry_after)) != TT_OK)
		return e;
	if (it->comment_id == NULL && (wm_id != NULL || cfg_err != NULL) &&
	    (e = pr_comment(a, it, &p, resp, cfg_err, wm_id,
	    tt_dispatch_outcome_text(dispatched), error, retry_after)) !=
	    TT_OK)
		return e;
	if (cfg_err != NULL)
		*outcome = tt_arena_printf(a, "configuration error: %s",
		    cfg_err);
	else
		*outcome = wm_id ? tt_arena_printf(a, "plan queued: work "
		    "manifest %s", wm_id) : "no Terraform changes";
	return TT_OK;
}
