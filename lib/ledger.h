/* ledger.h: the durable ledger of GitHub webhook deliveries. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_LEDGER_H
#define TT_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;

/* A verified delivery, as it arrived. */
struct tt_ledger_in {
	const char	*delivery_id;	/* X-GitHub-Delivery */
	const char	*event;		/* X-GitHub-Event */
	const char	*action;	/* payload "action", or NULL */
	const char	*installation_id; /* payload installation.id, or NULL */
	const char	*body;		/* the raw JSON body */
	size_t		 body_len;
	const char	*state;		/* "received", "done" or "ignored" */
};

/* What recording found. */
struct tt_ledger_rec {
	const char	*id;		/* the ledger row */
	int		 duplicate;	/* delivery id or body seen before */
	const char	*state;		/* the row's state */
	int		 requeued;	/* a failed row made due again */
};

/*
 * Stores a delivery before it is answered. A repeated delivery id, or the
 * same body under a new id, stores nothing (duplicate set); when the first
 * copy failed or gave up, it is made due again so a redelivery from
 * GitHub's UI retries it.
 */
enum tt_err	 tt_ledger_record(struct tt_arena *,
		    const struct tt_ledger_in *, struct tt_ledger_rec *);

/* A delivery claimed for processing (a lease of TT_LEDGER_LEASE s). */
struct tt_ledger_item {
	const char	*id;
	const char	*delivery_id;
	const char	*event;
	const char	*action;
	const char	*installation_id;
	const char	*payload;	/* JSON text */
	int64_t		 attempts;	/* including this one */
	const char	*work_manifest_id; /* effects done so far, or NULL */
	const char	*check_run_id;
	const char	*comment_id;
};

#define TT_LEDGER_LEASE		120
#define TT_LEDGER_MAX_ATTEMPTS	12

/*
 * Claims the next due delivery (only id when not NULL), skipping rows
 * another process holds (FOR UPDATE SKIP LOCKED). TT_ENOTFOUND: none due.
 */
enum tt_err	 tt_ledger_claim(struct tt_arena *, const char *id,
		    struct tt_ledger_item *);

/* Records an effect as soon as it happened ("work_manifest_id", ...). */
enum tt_err	 tt_ledger_effect(struct tt_arena *, const char *id,
		    const char *column, const char *value);

enum tt_err	 tt_ledger_done(struct tt_arena *, const char *id,
		    const char *outcome);

/*
 * A failed attempt: due again after an exponential backoff with jitter
 * (30 s doubling, at most an hour), or after retry_after seconds when
 * GitHub asked for that; "dead" after TT_LEDGER_MAX_ATTEMPTS.
 */
enum tt_err	 tt_ledger_fail(struct tt_arena *, const struct tt_ledger_item *,
		    const char *error, int64_t retry_after);

/* Seconds to wait after attempt n (1-based), before jitter. */
int64_t		 tt_ledger_backoff(int64_t attempts);

/*
 * Makes a delivery due now (ttctl events replay). Effects already made
 * are kept, so a failed or dead delivery resumes where it stopped; with
 * redo they are forgotten and processing makes them again.
 */
enum tt_err	 tt_ledger_replay(struct tt_arena *, const char *id, int redo);

#endif
