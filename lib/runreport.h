/*
 * runreport.h: what a work manifest's run shows on GitHub: its check run
 * in progress when the runner starts, then completed with each
 * dirspace's outcome, and one pull-request comment with each
 * dirspace's plan or apply text (or, for a run that ended without
 * results, the check run failed or cancelled with the reason). Made
 * after the runner's call has been answered; one that failed is made
 * again by `ttctl events drain`.
 */
/* SPDX-License-Identifier: MIT */
#ifndef TT_RUNREPORT_H
#define TT_RUNREPORT_H

#include <stdint.h>

#include "tt.h"

struct tt_arena;

/* After this request's answer: the check run check_run_id in progress. */
void		 tt_runreport_started_later(int64_t inst, const char *owner,
		    const char *repo, const char *check_run_id);

/* After this request's answer: the results of manifest id reported. */
void		 tt_runreport_results_later(int64_t inst, const char *id);

/*
 * Reports the results of manifest id now: the check run completed
 * (success when every dirspace succeeded), the comment posted, the
 * manifest marked reported. TT_EUNAVAIL when GitHub failed (it stays
 * unreported, for tt_runreport_pending).
 */
enum tt_err	 tt_runreport_results(struct tt_arena *, int64_t inst,
		    const char *id);

/*
 * Reports ended manifests (with results, or dispatched and ended without
 * them) not reported yet (at most max, of the last day). Returns how many were, -1 on a database
 * failure.
 */
int		 tt_runreport_pending(struct tt_arena *, int max);

/* At exit. */
void		 tt_runreport_cleanup(void);

#endif
