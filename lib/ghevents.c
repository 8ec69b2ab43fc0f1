/*
 * ghevents.c: routes a recorded webhook delivery: its kind on arrival,
 * installation and repository events (ghinst.c), pull requests
 * (ghpull.c), comment commands (ghcomment.c), failed workflow runs, and
 * the drain that claims due deliveries and settles each in the ledger.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "ghauth.h"
#include "ghcomment.h"
#include "ghevents.h"
#include "ghinst.h"
#include "ghpull.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "runner.h"
#include "runreport.h"

enum tt_ghevents_kind
tt_ghevents_kind(const char *event, const char *action)
{
	static const char *const pr_actions[] = {
		"opened", "reopened", "synchronize", "ready_for_review",
		"closed",
	};
	size_t	i;

	if (strcmp(event, "ping") == 0)
		return TT_GHEVENTS_PING;
	if (strcmp(event, "installation") == 0 ||
	    strcmp(event, "installation_repositories") == 0)
		return TT_GHEVENTS_PROCESS;
	if (strcmp(event, "pull_request") == 0 && action != NULL)
		for (i = 0; i < TT_NITEMS(pr_actions); i++)
			if (strcmp(action, pr_actions[i]) == 0)
				return TT_GHEVENTS_PROCESS;
	if ((strcmp(event, "issue_comment") == 0 && action != NULL &&
	    strcmp(action, "created") == 0) ||
	    (strcmp(event, "workflow_job") == 0 && action != NULL &&
	    strcmp(action, "completed") == 0))
		return TT_GHEVENTS_PROCESS;
	return TT_GHEVENTS_IGNORED;
}

/*
 * A workflow job that ended without success: the manifests its run still
 * has queued or running will never report, so they end now, their
 * unreported dirspaces failed.
 */
static enum tt_err
on_workflow_job(struct tt_arena *a, const cJSON *pl, const char **outcome)
{
	const cJSON	*job = tt_json_object(pl, "workflow_job");
	const char	*inst, *run, *conclusion;
	int64_t		 n;
	enum tt_err	 e;

	inst = tt_json_id(a, tt_json_object(pl, "installation"), "id");
	run = tt_json_id(a, job, "run_id");
	conclusion = tt_json_string(job, "conclusion");
	if (inst == NULL || run == NULL || conclusion == NULL) {
		*outcome = "ignored: incomplete workflow_job payload";
		return TT_OK;
	}
	if (strcmp(conclusion, "failure") != 0 &&
	    strcmp(conclusion, "cancelled") != 0 &&
	    strcmp(conclusion, "timed_out") != 0) {
		*outcome = tt_arena_printf(a, "ignored: job %s", conclusion);
		return TT_OK;
	}
	if ((e = tt_runner_fail_run(a, inst, run, &n)) != TT_OK)
		return e;
	*outcome = tt_arena_printf(a, "run %s %s: %lld work manifests failed",
	    run, conclusion, (long long)n);
	return TT_OK;
}

enum tt_err
tt_ghevents_process(struct tt_arena *a, const struct tt_ledger_item *it,
    const char **outcome, const char **error, int64_t *retry_after)
{
	const char	*why;
	cJSON		*pl;
	enum tt_err	 e;

	*outcome = NULL;
	*error = NULL;
	*retry_after = 0;
	if ((pl = tt_json_parse(a, it->payload, strlen(it->payload), &why)) ==
	    NULL || !cJSON_IsObject(pl)) {
		*outcome = "ignored: payload is no JSON object";
		return TT_OK;
	}
	if (strcmp(it->event, "installation") == 0 ||
	    strcmp(it->event, "installation_repositories") == 0)
		e = tt_ghinst_process(a, it->event, it->action, pl, outcome);
	else if (strcmp(it->event, "pull_request") == 0 && it->action != NULL)
		e = tt_ghpull_process(a, it, pl, outcome, error, retry_after);
	else if (strcmp(it->event, "issue_comment") == 0)
		e = tt_ghcomment_process(a, it, pl, outcome, error, retry_after);
	else if (strcmp(it->event, "workflow_job") == 0)
		e = on_workflow_job(a, pl, outcome);
	else {
		*outcome = "ignored";
		e = TT_OK;
	}
	if (e != TT_OK && *error == NULL)
		*error = tt_arena_printf(a, "database: %s", tt_err_str(e));
	return e;
}

int
tt_ghevents_drain(struct tt_arena *a, const char *id, int max)
{
	struct tt_ledger_item	 it;
	const char		*outcome, *error;
	char			 why[256];
	int64_t			 retry_after, expired;
	int			 n = 0;
	enum tt_err		 e;

	/* Without a GitHub App, deliveries wait rather than burn attempts. */
	if (tt_ghauth_configured(why, sizeof(why)) != TT_OK) {
		tt_log_debug("deliveries wait: %s", why);
		return 0;
	}
	while (n < max) {
		e = tt_ledger_claim(a, id, &it);
		if (e == TT_ENOTFOUND)
			break;
		if (e != TT_OK)
			return -1;
		n++;
		e = tt_ghevents_process(a, &it, &outcome, &error,
		    &retry_after);
		if (e == TT_OK)
			e = tt_ledger_done(a, it.id, outcome);
		else
			e = tt_ledger_fail(a, &it, error, retry_after);
		if (e != TT_OK)
			return -1;
		if (id != NULL)
			break;
	}
	/*
	 * And runs: those past TT_RUN_TIMEOUT end, and those whose end
	 * GitHub has not been shown yet are reported.
	 */
	if (id == NULL && (tt_runner_expire(a, &expired) != TT_OK ||
	    tt_runreport_pending(a, max) < 0))
		return -1;
	return n;
}
