/* dispatch.h: a work manifest handed to the repository's workflow. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_DISPATCH_H
#define TT_DISPATCH_H

#include <stdint.h>

#include "tt.h"

struct tt_arena;

/* The workflow a repository runs Terrateam's runner in. */
#define TT_DISPATCH_WORKFLOW_PATH	".github/workflows/terrateam.yml"
#define TT_DISPATCH_WORKFLOW_NAME	"Terrateam Workflow"

enum tt_dispatch_outcome {
	TT_DISPATCH_DONE,		/* dispatched now, or before */
	TT_DISPATCH_NO_URL,		/* TT_PUBLIC_URL is not set */
	TT_DISPATCH_NO_WORKFLOW,	/* the repository has none */
	TT_DISPATCH_REFUSED,		/* GitHub refused it (422) */
	TT_DISPATCH_FORBIDDEN,		/* the App may not (403): no Actions */
};

/*
 * Dispatches the workflow for queued manifest id of installation inst,
 * unless that was done already (recorded on the manifest): on the
 * manifest's branch, with inputs work-token (the id) and api-base-url
 * (TT_PUBLIC_URL/api/github). TT_OK with *outcome; a manifest that
 * cannot be dispatched (any outcome but DONE) has ended: completed,
 * its dirspaces failed, the outcome's text its end_reason (the check
 * run is failed by tt_runreport_pending). TT_EUNAVAIL when GitHub
 * failed (*error says why, *retry_after when it asked to wait): the
 * delivery is tried again later.
 */
enum tt_err	 tt_dispatch(struct tt_arena *, int64_t inst, const char *id,
		    enum tt_dispatch_outcome *, const char **error,
		    int64_t *retry_after);

/* What to tell the pull request about an outcome; NULL for DONE. */
const char	*tt_dispatch_outcome_text(enum tt_dispatch_outcome);

#endif
