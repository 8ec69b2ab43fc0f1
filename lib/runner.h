/*
 * runner.h: a work manifest as Terrateam's runner sees it (the shared
 * docs' RUNNER.md): initiate, the manifest it reads, the plans it stores
 * and fetches, the results it reports. The runner's credential is
 * checked by session.c; this module does what the routes do.
 */
/* SPDX-License-Identifier: MIT */
#ifndef TT_RUNNER_H
#define TT_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_buf;
struct cJSON;

/* The prefix of a runner's token: "tt_run_" and 64 hex digits. */
#define TT_RUNNER_TOKEN_PREFIX	"tt_run_"
#define TT_RUNNER_TOKEN_LEN	(7 + 64)

/* What initiate (R1) did. */
struct tt_runner_started {
	int		 done;		/* answer {"type": "done"} */
	const char	*manifest;	/* else the manifest's JSON text */
	/* For the check run, when it moved from queued to running: */
	int		 started;
	int64_t		 installation_id;
	const char	*owner, *repo, *check_run_id;
};

/*
 * Initiate: the runner of run run_id at sha asks for manifest id. A
 * queued manifest whose sha differs is aborted, one past TT_RUN_TIMEOUT
 * too; a finished one, or a running one another run started, answers
 * done. Otherwise the manifest moves to running (or stays running for
 * the same run, whose retry this is), gets a new token, and its JSON
 * (RUNNER.md section 3) is in out->manifest. TT_ENOTFOUND: no such
 * manifest.
 */
enum tt_err	 tt_runner_initiate(struct tt_arena *, const char *id,
		    const char *run_id, const char *sha,
		    struct tt_runner_started *out);

/*
 * A plan of one of the manifest's dirspaces (R3), kept as sent (the
 * base64 text of its envelope). TT_ENOTFOUND: not a dirspace of the
 * manifest; TT_EINVAL: plan_data is not base64.
 */
enum tt_err	 tt_runner_plan_store(struct tt_arena *, int64_t inst,
		    const char *id, const char *dir, const char *workspace,
		    const char *plan_data, int has_changes);

/*
 * The plan an apply manifest id applies for a dirspace (R4): the one
 * stored by the newest completed plan manifest of the same pull request
 * that planned that dirspace successfully. *plan_data arena-owned;
 * TT_ENOTFOUND when there is none.
 */
enum tt_err	 tt_runner_plan_fetch(struct tt_arena *, int64_t inst,
		    const char *id, const char *dir, const char *workspace,
		    const char **plan_data);

/* What the results (R5) did. */
struct tt_runner_reported {
	int		 again;		/* the same results, already recorded */
	int		 refused;	/* other results for a finished one */
};

/*
 * Records results (R5, result version 2: body is the request's JSON,
 * raw its bytes): each dirspace's success (every step succeeded or
 * ignores errors; a dirspace without steps failed) and whether it has
 * changes, the manifest completed. For a manifest that has already
 * ended, the same bytes again are answered as before (again) and
 * anything else is refused. TT_EINVAL: not results of version 2.
 */
enum tt_err	 tt_runner_results(struct tt_arena *, int64_t inst,
		    const char *id, const struct cJSON *body, const char *raw,
		    size_t rawlen, struct tt_runner_reported *);

/*
 * Each dirspace's outcome from results of version 2 (body): an array of
 * {"dir", "workspace", "success", "has_changes"?}: succeeded when every
 * one of its steps succeeded or ignores errors, changes when a tf/plan
 * step says so; a failed step of the run's own (its pre-hooks) fails
 * them all. NULL when body is not such results. Arena-owned.
 */
struct cJSON	*tt_runner_outcomes(struct tt_arena *, const struct cJSON *body);

/*
 * The manifest's repository and GitHub installation, for the access
 * token (R2) and for GitHub calls. Arena-owned text.
 */
enum tt_err	 tt_runner_repo(struct tt_arena *, int64_t inst,
		    const char *id, const char **owner, const char **repo);

/*
 * Ends queued and running manifests of a pull request whose head is no
 * longer sha (NULL: all of them: it was closed), except those a newer
 * delivery than ledger_id (the webhook ledger's id) made: a delivery
 * retried late must not end the work of one that came after it. *n: how
 * many ended.
 */
enum tt_err	 tt_runner_abort_pr(struct tt_arena *, const char *inst,
		    const char *repo_id, const char *pull_number,
		    const char *sha, const char *why, const char *ledger_id,
		    int64_t *n);

/*
 * A workflow run that failed (a workflow_job delivery): its manifests
 * still queued or running end, their unreported dirspaces failed.
 */
enum tt_err	 tt_runner_fail_run(struct tt_arena *, const char *inst,
		    const char *run_id, int64_t *n);

/*
 * Fails dispatched manifests older than TT_RUN_TIMEOUT that are still
 * queued or running (their dirspaces failed, their token ended), for
 * tt_runreport_pending to report. *n: how many.
 */
enum tt_err	 tt_runner_expire(struct tt_arena *, int64_t *n);

/*
 * Deletes the plans older than days and those of closed pull requests
 * (`ttctl plans prune`, from cron). *n: how many.
 */
enum tt_err	 tt_runner_prune_plans(struct tt_arena *, int64_t days,
		    int64_t *n);

#endif
