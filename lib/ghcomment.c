/*
 * ghcomment.c: comment commands on a pull request (issue_comment
 * deliveries): `terrateam plan [query]` and `terrateam apply [query]`.
 * The commenter must have write access to the repository. A plan is
 * queued for the pull request's dirspaces the query selects; an apply
 * for those whose latest plan at the head succeeded with changes, one
 * apply at a time per dirspace of a repository. Each queued manifest
 * gets a check run and is dispatched to the workflow; every refusal is a
 * comment saying why. Effects are recorded in the ledger as they are
 * made, so a retried delivery repeats none.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "dispatch.h"
#include "ghauth.h"
#include "ghcomment.h"
#include "github.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "stacks.h"
#include "tagquery.h"

#define QUERY_MAX	1000	/* bytes of a command's query */

/* What a comment asks for. */
struct cmd {
	const char	*inst, *repo_id, *owner, *repo, *number, *login;
	int		 apply;		/* else plan */
	const char	*query;		/* "" for every dirspace */
};

/* The pull request, as GitHub says it is now. */
struct pull {
	const char	*head_sha, *head_ref, *base_sha, *base_ref, *title;
	int		 open;
};

TT_DB_STMT(stmt_lock) = {
	.name = "ghc_lock",
	.sql =
	    "SELECT pg_advisory_xact_lock(hashtextextended('comment:' || $1 || "
	    "':' || $2, 0))",
	.nparams = 2,
};

/* The stored stacks and results of the pull request, and its config. */
TT_DB_STMT(stmt_pr) = {
	.name = "ghc_pr",
	.sql =
	    "SELECT s.head_sha, s.stacks_text AS stacks, s.results_text AS "
	    "results, s.config_error, (SELECT wm.config_json FROM "
	    "work_manifests wm WHERE wm.installation_id = s.installation_id "
	    "AND wm.repo_id = s.repo_id AND wm.pull_number = s.pull_number AND "
	    "wm.sha = s.head_sha AND wm.config_json IS NOT NULL ORDER BY "
	    "wm.created_at DESC LIMIT 1) AS config FROM pull_request_stacks s "
	    "WHERE s.installation_id = $1::bigint AND s.repo_id = $2::bigint "
	    "AND s.pull_number = $3::bigint",
	.nparams = 3,
	.retry = 1,
};

/* A queued or running apply of the repository holding a dirspace of $3. */
TT_DB_STMT(stmt_busy) = {
	.name = "ghc_busy",
	.sql =
	    "SELECT wm.id::text AS id, wm.pull_number::text AS pull_number, "
	    "d.dir, d.workspace FROM work_manifests wm JOIN "
	    "work_manifest_dirspaces d ON d.installation_id = "
	    "wm.installation_id AND d.work_manifest_id = wm.id JOIN "
	    "jsonb_to_recordset($3::jsonb) AS x(dir text, workspace text) ON "
	    "x.dir = d.dir AND x.workspace = d.workspace WHERE "
	    "wm.installation_id = $1::bigint AND wm.repo_id = $2::bigint AND "
	    "wm.run_type = 'apply' AND wm.state IN ('queued', 'running') LIMIT 1",
	.nparams = 3,
	.retry = 1,
};

TT_DB_STMT(stmt_insert) = {
	.name = "ghc_insert",
	.sql =
	    "INSERT INTO work_manifests (installation_id, repo_id, pull_number, "
	    "run_type, state, kind, base_sha, sha, base_branch, branch, "
	    "tag_query, username, pull_request_title, config_json) VALUES "
	    "($1::bigint, $2::bigint, $3::bigint, $4, 'queued', 'pr', $5, $6, "
	    "$7, $8, $9, $10, $11, $12) RETURNING id",
	.nparams = 12,
};

TT_DB_STMT(stmt_dirspaces) = {
	.name = "ghc_dirspaces",
	.sql =
	    "INSERT INTO work_manifest_dirspaces (installation_id, "
	    "work_manifest_id, dir, workspace, rank, stack_name) SELECT "
	    "$1::bigint, $2::uuid, d->>'dir', d->>'workspace', "
	    "coalesce((d->>'rank')::int, 0), coalesce(d->>'stack_name', "
	    "'default') FROM jsonb_array_elements($3::jsonb) d",
	.nparams = 3,
};

TT_DB_STMT(stmt_check) = {
	.name = "ghc_check",
	.sql =
	    "UPDATE work_manifests SET check_run_id = $3::bigint WHERE "
	    "installation_id = $1::bigint AND id = $2::uuid AND check_run_id IS "
	    "NULL",
	.nparams = 3,
	.retry = 1,
};

int
tt_ghcomment_parse(const char *body, int *apply, const char **query,
    struct tt_arena *a)
{
	const char	*p = body, *end;
	size_t		 n;

	if (body == NULL)
		return 0;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (strncasecmp(p, "terrateam", 9) != 0 || (p[9] != ' ' &&
	    p[9] != '\t'))
		return 0;
	for (p += 9; *p == ' ' || *p == '\t'; p++)
		;
	if (strncasecmp(p, "plan", 4) == 0)
		*apply = 0, p += 4;
	else if (strncasecmp(p, "apply", 5) == 0)
		*apply = 1, p += 5;
	else
		return 0;
	if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
		return 0;
	/* The query: the rest of the first line. */
	while (*p == ' ' || *p == '\t')
		p++;
	for (end = p; *end != '\0' && *end != '\r' && *end != '\n'; end++)
		;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - p);
	if (n > QUERY_MAX)
		return 0;
	*query = tt_arena_strndup(a, p, n);
	return 1;
}

/* Wraps a GitHub failure into the delivery's error. */
static enum tt_err
gh_fail(struct tt_arena *a, const char *what, const struct tt_github_resp *r,
    const char **error, int64_t *retry_after)
{
	*error = tt_arena_printf(a, "%s: %s%sstatus %ld", what,
	    r->error ? r->error : "", r->error ? ", " : "", r->status);
	*retry_after = r->retry_after;
	return TT_EUNAVAIL;
}

/* The delivery's comment (once): body, on the pull request. */
static enum tt_err
reply(struct tt_arena *a, const struct tt_ledger_item *it,
    const struct cmd *c, const char *body, const char **error,
    int64_t *retry_after)
{
	struct tt_github_resp	 r;
	const char		*id;
	cJSON			*b;

	if (it->comment_id != NULL)
		return TT_OK;
	b = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddStringToObject(b, "body", body);
	if (tt_ghauth_call(a, strtoll(c->inst, NULL, 10), "POST",
	    tt_arena_printf(a, "/repos/%s/%s/issues/%s/comments", c->owner,
	    c->repo, c->number), b, &r) != TT_OK || r.status != 201 ||
	    (id = tt_json_id(a, r.json, "id")) == NULL)
		return gh_fail(a, "posting the comment", &r, error, retry_after);
	return tt_ledger_effect(a, it->id, "comment_id", id);
}

/* Write access: GitHub's collaborator permission admin, maintain or write. */
static enum tt_err
may_write(struct tt_arena *a, const struct cmd *c, int *ok,
    const char **error, int64_t *retry_after)
{
	struct tt_github_resp	 r;
	const char		*perm;

	*ok = 0;
	if (tt_ghauth_call(a, strtoll(c->inst, NULL, 10), "GET",
	    tt_arena_printf(a, "/repos/%s/%s/collaborators/%s/permission",
	    c->owner, c->repo, c->login), NULL, &r) != TT_OK ||
	    (r.status != 200 && r.status != 404))
		return gh_fail(a, "reading the commenter's permission", &r, error,
		    retry_after);
	perm = r.status == 200 ? tt_json_string(r.json, "permission") : NULL;
	*ok = perm != NULL && (strcmp(perm, "admin") == 0 ||
	    strcmp(perm, "maintain") == 0 || strcmp(perm, "write") == 0);
	return TT_OK;
}

static enum tt_err
read_pull(struct tt_arena *a, const struct cmd *c, struct pull *pl,
    const char **error, int64_t *retry_after)
{
	struct tt_github_resp	 r;
	const cJSON		*head, *base;
	const char		*state;

	memset(pl, 0, sizeof(*pl));
	if (tt_ghauth_call(a, strtoll(c->inst, NULL, 10), "GET",
	    tt_arena_printf(a, "/repos/%s/%s/pulls/%s", c->owner, c->repo,
	    c->number), NULL, &r) != TT_OK || r.status != 200)
		return gh_fail(a, "reading the pull request", &r, error,
		    retry_after);
	head = tt_json_object(r.json, "head");
	base = tt_json_object(r.json, "base");
	pl->head_sha = tt_json_string(head, "sha");
	pl->head_ref = tt_json_string(head, "ref");
	pl->base_sha = tt_json_string(base, "sha");
	pl->base_ref = tt_json_string(base, "ref");
	pl->title = tt_json_string(r.json, "title");
	state = tt_json_string(r.json, "state");
	pl->open = state != NULL && strcmp(state, "open") == 0;
	if (pl->head_sha == NULL || pl->head_ref == NULL || pl->base_ref ==
	    NULL || pl->base_sha == NULL)
		return gh_fail(a, "reading the pull request (incomplete)", &r,
		    error, retry_after);
	return TT_OK;
}

/*
 * The dirspaces the command selects, ranked; for an apply only those
 * whose latest plan at the head succeeded with changes. *why when none.
 */
static cJSON *
selected(struct tt_arena *a, const struct cmd *c, const cJSON *stacks,
    const cJSON *results, const char **why)
{
	struct tt_tagquery_subject	 s;
	struct tt_tagquery_error	 qe;
	const cJSON			*top, *in, *d, *res;
	cJSON				*all, *out;
	int				 match;

	all = tt_json_own(a, cJSON_CreateArray());
	cJSON_ArrayForEach(top, stacks)
		cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(top,
		    "stacks"))
			cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(
			    in, "dirspaces")) {
				memset(&s, 0, sizeof(s));
				s.dir = tt_json_string(d, "dir");
				s.workspace = tt_json_string(d, "workspace");
				if (tt_tagquery_match(a, c->query, &s, &match,
				    &qe) != TT_OK) {
					*why = tt_arena_printf(a, "the query "
					    "`%.200s` is not valid: %s",
					    c->query, qe.msg);
					return NULL;
				}
				if (!match)
					continue;
				/* [run_type, success, has_changes] */
				res = cJSON_GetObjectItemCaseSensitive(
				    cJSON_GetObjectItemCaseSensitive(results,
				    s.dir), s.workspace);
				if (c->apply && !(cJSON_IsString(
				    cJSON_GetArrayItem(res, 0)) &&
				    strcmp(cJSON_GetArrayItem(res,
				    0)->valuestring, "plan") == 0 &&
				    cJSON_IsTrue(cJSON_GetArrayItem(res, 1)) &&
				    cJSON_IsTrue(cJSON_GetArrayItem(res, 2))))
					continue;
				cJSON_AddItemReferenceToArray(all, (cJSON *)d);
			}
	if (cJSON_GetArraySize(all) == 0) {
		*why = c->apply ? "no dirspace the command selects has a "
		    "successful plan with changes at the pull request's head: "
		    "comment `terrateam plan` first" : "no dirspace of the pull "
		    "request matches the command";
		return NULL;
	}
	out = tt_stacks_ranked(a, stacks, all);
	return out;
}

/* "- `dir` (workspace `ws`)" lines, at most 50. */
static const char *
listing(struct tt_arena *a, const cJSON *dirspaces)
{
	struct tt_buf	 b = { 0 };
	const cJSON	*d;
	const char	*s;
	int		 n = 0;

	cJSON_ArrayForEach(d, dirspaces) {
		if (n++ == 50) {
			tt_buf_printf(&b, "- and %d more\n",
			    cJSON_GetArraySize(dirspaces) - 50);
			break;
		}
		tt_buf_printf(&b, "- `%.200s` (workspace `%.100s`)\n",
		    tt_json_string(d, "dir"), tt_json_string(d, "workspace"));
	}
	s = tt_arena_strndup(a, b.p ? b.p : "", b.n);
	tt_buf_free(&b);
	return s;
}

/*
 * The manifest, under the repository's lock: refused (*why) when the
 * pull request was not evaluated at its head, selects nothing, or (an
 * apply) a dirspace already has an apply queued or running.
 */
static enum tt_err
record(struct tt_arena *a, const struct tt_ledger_item *it,
    const struct cmd *c, const struct pull *pl, const char **wm_id,
    cJSON **dirspaces, const char **why)
{
	struct tt_db_res	*r;
	const char		*p[12], *text, *config;
	cJSON			*stacks, *results, *list;
	enum tt_err		 e;

	*wm_id = NULL;
	if ((e = tt_db_begin(a)) != TT_OK)
		return e;
	p[0] = c->inst;
	p[1] = c->repo_id;
	if ((e = tt_db_run(a, &stmt_lock, p, &r)) != TT_OK)
		goto fail;
	p[2] = c->number;
	if ((e = tt_db_run(a, &stmt_pr, p, &r)) != TT_OK)
		goto fail;
	if (tt_db_nrows(r) != 1 || strcmp(tt_db_get(r, 0, "head_sha"),
	    pl->head_sha) != 0) {
		*why = tt_arena_printf(a, "the pull request has not been "
		    "evaluated at its head `%.12s` yet: wait for its plan to be "
		    "queued, then comment again", pl->head_sha);
		goto refused;
	}
	if (tt_db_get(r, 0, "config_error") != NULL) {
		*why = "its `.terrateam/config.yml` is invalid (see the check "
		    "run)";
		goto refused;
	}
	config = tt_db_get(r, 0, "config") != NULL ? tt_db_get(r, 0,
	    "config") : "{}";
	text = tt_db_get(r, 0, "stacks");
	stacks = tt_json_parse_stored(a, text, strlen(text));
	text = tt_db_get(r, 0, "results");
	results = tt_json_parse_stored(a, text, strlen(text));
	if (stacks == NULL || results == NULL) {
		e = TT_EINTERNAL;
		goto fail;
	}
	if ((list = selected(a, c, stacks, results, why)) == NULL)
		goto refused;
	p[2] = tt_json_print(a, list);
	if (c->apply) {
		if ((e = tt_db_run(a, &stmt_busy, p, &r)) != TT_OK)
			goto fail;
		if (tt_db_nrows(r) == 1) {
			*why = tt_arena_printf(a, "`%.200s` (workspace "
			    "`%.100s`) is being applied by work manifest `%s` "
			    "of pull request #%s: one apply at a time per "
			    "dirspace; comment again when it has finished",
			    tt_db_get(r, 0, "dir"), tt_db_get(r, 0, "workspace"),
			    tt_db_get(r, 0, "id"), tt_db_get(r, 0,
			    "pull_number"));
			goto refused;
		}
	}
	p[2] = c->number;
	p[3] = c->apply ? "apply" : "plan";
	p[4] = pl->base_sha;
	p[5] = pl->head_sha;
	p[6] = pl->base_ref;
	p[7] = pl->head_ref;
	p[8] = c->query;
	p[9] = c->login;
	p[10] = pl->title;
	p[11] = config;
	if ((e = tt_db_run(a, &stmt_insert, p, &r)) != TT_OK)
		goto fail;
	*wm_id = tt_arena_strdup(a, tt_db_get(r, 0, "id"));
	p[1] = *wm_id;
	p[2] = tt_json_print(a, list);
	if ((e = tt_db_run(a, &stmt_dirspaces, p, &r)) != TT_OK ||
	    (e = tt_ledger_effect(a, it->id, "work_manifest_id", *wm_id)) !=
	    TT_OK)
		goto fail;
	*dirspaces = list;
	return tt_db_commit(a);
refused:
	return tt_db_commit(a);
fail:
	tt_db_rollback(a);
	*wm_id = NULL;
	return e;
}

static enum tt_err
check_run(struct tt_arena *a, const struct tt_ledger_item *it,
    const struct cmd *c, const struct pull *pl, const char *wm_id,
    const char **error, int64_t *retry_after)
{
	struct tt_github_resp	 r;
	struct tt_db_res	*res;
	const char		*id = it->check_run_id, *p[3];
	cJSON			*b, *out;
	enum tt_err		 e;

	if (id == NULL) {
		b = tt_json_own(a, cJSON_CreateObject());
		cJSON_AddStringToObject(b, "name", c->apply ? "terrateam apply" :
		    "terrateam plan");
		cJSON_AddStringToObject(b, "head_sha", pl->head_sha);
		cJSON_AddStringToObject(b, "status", "queued");
		cJSON_AddStringToObject(b, "external_id", wm_id);
		out = cJSON_AddObjectToObject(b, "output");
		cJSON_AddStringToObject(out, "title", c->apply ? "Apply queued" :
		    "Plan queued");
		cJSON_AddStringToObject(out, "summary", tt_arena_printf(a,
		    "Asked for by @%s.", c->login));
		if (tt_ghauth_call(a, strtoll(c->inst, NULL, 10), "POST",
		    tt_arena_printf(a, "/repos/%s/%s/check-runs", c->owner,
		    c->repo), b, &r) != TT_OK || r.status != 201 ||
		    (id = tt_json_id(a, r.json, "id")) == NULL)
			return gh_fail(a, "creating the check run", &r, error,
			    retry_after);
		if ((e = tt_ledger_effect(a, it->id, "check_run_id", id)) !=
		    TT_OK)
			return e;
	}
	p[0] = c->inst;
	p[1] = wm_id;
	p[2] = id;
	return tt_db_run(a, &stmt_check, p, &res);
}

/* The command of an issue_comment payload; 0 when it holds none. */
static int
read_cmd(struct tt_arena *a, const cJSON *pl, struct cmd *c)
{
	const cJSON	*in = tt_json_object(pl, "installation");
	const cJSON	*rp = tt_json_object(pl, "repository");
	const cJSON	*is = tt_json_object(pl, "issue");
	const cJSON	*cm = tt_json_object(pl, "comment");

	memset(c, 0, sizeof(*c));
	if (in == NULL || rp == NULL || is == NULL || cm == NULL ||
	    tt_json_object(is, "pull_request") == NULL)
		return 0;
	c->inst = tt_json_id(a, in, "id");
	c->repo_id = tt_json_id(a, rp, "id");
	c->repo = tt_json_string(rp, "name");
	c->owner = tt_json_string(tt_json_object(rp, "owner"), "login");
	c->number = tt_json_id(a, is, "number");
	c->login = tt_json_string(tt_json_object(cm, "user"), "login");
	if (c->inst == NULL || c->repo_id == NULL || c->number == NULL ||
	    !tt_github_name_valid(c->repo) || !tt_github_name_valid(c->owner) ||
	    !tt_github_name_valid(c->login))
		return 0;
	return tt_ghcomment_parse(tt_json_string(cm, "body"), &c->apply,
	    &c->query, a);
}

enum tt_err
tt_ghcomment_process(struct tt_arena *a, const struct tt_ledger_item *it,
    const cJSON *pl, const char **outcome, const char **error,
    int64_t *retry_after)
{
	struct pull			 pr;
	struct cmd			 c;
	enum tt_dispatch_outcome	 dispatched = TT_DISPATCH_DONE;
	const char			*wm_id = it->work_manifest_id;
	const char			*why = NULL, *note, *what;
	cJSON				*dirspaces = NULL;
	int				 ok;
	enum tt_err			 e;

	if (it->action == NULL || strcmp(it->action, "created") != 0 ||
	    !read_cmd(a, pl, &c)) {
		*outcome = "ignored: not a command";
		return TT_OK;
	}
	what = c.apply ? "apply" : "plan";
	if (wm_id == NULL) {
		if ((e = may_write(a, &c, &ok, error, retry_after)) != TT_OK)
			return e;
		if (!ok) {
			*outcome = tt_arena_printf(a, "%s refused: @%s may not "
			    "write to the repository", what, c.login);
			return reply(a, it, &c, tt_arena_printf(a, "**Terrateam** "
			    "will not %s for @%s: it takes write access to the "
			    "repository.", what, c.login), error, retry_after);
		}
		if ((e = read_pull(a, &c, &pr, error, retry_after)) != TT_OK)
			return e;
		if (!pr.open)
			why = "the pull request is closed";
		else if ((e = record(a, it, &c, &pr, &wm_id, &dirspaces,
		    &why)) != TT_OK)
			return e;
		if (wm_id == NULL) {
			*outcome = tt_arena_printf(a, "%s refused: %s", what,
			    why);
			return reply(a, it, &c, tt_arena_printf(a, "**Terrateam** "
			    "will not %s: %s.", what, why), error, retry_after);
		}
	} else if ((e = read_pull(a, &c, &pr, error, retry_after)) != TT_OK)
		return e;
	if ((e = check_run(a, it, &c, &pr, wm_id, error, retry_after)) !=
	    TT_OK || (e = tt_dispatch(a, strtoll(c.inst, NULL, 10), wm_id,
	    &dispatched, error, retry_after)) != TT_OK)
		return e;
	note = tt_dispatch_outcome_text(dispatched);
	if ((e = reply(a, it, &c, tt_arena_printf(a, "**Terrateam** queued "
	    "%s %s for @%s (work manifest `%s`)%s%s%s", c.apply ? "an" : "a",
	    what, c.login, wm_id, dirspaces != NULL ? ":\n\n" : ".",
	    dirspaces != NULL ? listing(a, dirspaces) : "", note != NULL ?
	    tt_arena_printf(a, "\nIt will not run: %s.", note) : ""),
	    error, retry_after)) != TT_OK)
		return e;
	*outcome = tt_arena_printf(a, "%s queued: work manifest %s", what,
	    wm_id);
	return TT_OK;
}
