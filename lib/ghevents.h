/* ghevents.h: what a GitHub webhook delivery does once it is recorded
 * (a pull request's workflow is ghpull.h's). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHEVENTS_H
#define TT_GHEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_ledger_item;

/* How an event is treated when it arrives. */
enum tt_ghevents_kind {
	TT_GHEVENTS_IGNORED,	/* recorded, never processed */
	TT_GHEVENTS_PING,	/* recorded as done, answered 200 */
	TT_GHEVENTS_PROCESS,	/* recorded, processed after the answer */
};

enum tt_ghevents_kind tt_ghevents_kind(const char *event,
		    const char *action);

/*
 * Processes one claimed delivery. TT_OK: done (*outcome says what
 * happened). Otherwise *error says why and *retry_after is set when
 * GitHub asked to wait; effects already made are in the ledger so a
 * retry does not repeat them.
 */
enum tt_err	 tt_ghevents_process(struct tt_arena *,
		    const struct tt_ledger_item *, const char **outcome,
		    const char **error, int64_t *retry_after);

/*
 * Claims and processes due deliveries (only id when not NULL) until none
 * is due or max were handled; each ends done, failed (due again later)
 * or dead. Without id, then also reports up to max runs whose results
 * were not shown on GitHub yet (runreport.h). Returns the number of
 * deliveries processed, or -1 when the database failed.
 */
int		 tt_ghevents_drain(struct tt_arena *, const char *id, int max);

#endif
