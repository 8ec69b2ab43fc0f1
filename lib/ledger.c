/* ledger.c: webhook deliveries: record, claim, effects, retry. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "db.h"
#include "ledger.h"
#include "log.h"

/*
 * One statement: the row goes in unless its delivery id or its body's
 * SHA-256 is already there (both are unique keys).
 */
TT_DB_STMT(stmt_insert) = {
	.name = "ledger_insert",
	.sql =
	    "INSERT INTO webhook_deliveries (delivery_id, event, action, "
	    "installation_id, body_sha256, payload, state, processed_at) "
	    "VALUES ($1, $2, $3, $4::bigint, decode($5, 'hex'), $6::jsonb, $7, "
	    "CASE WHEN $7 = 'received' THEN NULL ELSE now() END) "
	    "ON CONFLICT DO NOTHING RETURNING id",
	.nparams = 7,
};

/* The earlier copy; failed or dead ones become due again. */
TT_DB_STMT(stmt_seen) = {
	.name = "ledger_seen",
	.sql =
	    "WITH old AS (SELECT id, state FROM webhook_deliveries WHERE "
	    "delivery_id = $1 OR body_sha256 = decode($2, 'hex') ORDER BY id "
	    "LIMIT 1), up AS (UPDATE webhook_deliveries d SET state = 'failed', "
	    "next_attempt_at = now() FROM old WHERE d.id = old.id AND "
	    "old.state IN ('failed', 'dead') RETURNING d.id) "
	    "SELECT old.id, old.state, EXISTS (SELECT 1 FROM up) AS requeued "
	    "FROM old",
	.nparams = 2,
};

#define ITEM_COLS \
	"d.id, d.delivery_id, d.event, d.action, d.installation_id, " \
	"d.payload::text AS payload, d.attempts, d.work_manifest_id, " \
	"d.check_run_id, d.comment_id"

TT_DB_STMT(stmt_claim) = {
	.name = "ledger_claim",
	.sql =
	    "UPDATE webhook_deliveries d SET state = 'processing', attempts = "
	    "attempts + 1, next_attempt_at = now() + make_interval(secs => $2) "
	    "WHERE d.id = (SELECT id FROM webhook_deliveries WHERE state IN "
	    "('received', 'processing', 'failed') AND next_attempt_at <= now() "
	    "AND ($1::bigint IS NULL OR id = $1::bigint) ORDER BY "
	    "next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING "
	    ITEM_COLS,
	.nparams = 2,
};

TT_DB_STMT(stmt_done) = {
	.name = "ledger_done",
	.sql =
	    "UPDATE webhook_deliveries SET state = 'done', processed_at = now(), "
	    "last_error = NULL, outcome = $2 WHERE id = $1::bigint",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_fail) = {
	.name = "ledger_fail",
	.sql =
	    "UPDATE webhook_deliveries SET state = CASE WHEN attempts >= $4 THEN "
	    "'dead' ELSE 'failed' END, next_attempt_at = now() + "
	    "make_interval(secs => $2), last_error = $3 WHERE id = $1::bigint",
	.nparams = 4,
	.retry = 1,
};

/* $2: forget the effects too, so processing makes them again. */
TT_DB_STMT(stmt_replay) = {
	.name = "ledger_replay",
	.sql =
	    "UPDATE webhook_deliveries SET state = 'received', attempts = 0, "
	    "next_attempt_at = now(), last_error = NULL, outcome = NULL, "
	    "processed_at = NULL, work_manifest_id = CASE WHEN $2::bool THEN NULL "
	    "ELSE work_manifest_id END, check_run_id = CASE WHEN $2::bool THEN "
	    "NULL ELSE check_run_id END, comment_id = CASE WHEN $2::bool THEN NULL "
	    "ELSE comment_id END WHERE id = $1::bigint AND state <> 'processing'",
	.nparams = 2,
	.retry = 1,
};

enum tt_err
tt_ledger_record(struct tt_arena *a, const struct tt_ledger_in *in,
    struct tt_ledger_rec *out)
{
	unsigned char		 sha[TT_SHA256_LEN];
	char			 hex[2 * TT_SHA256_LEN + 1];
	struct tt_db_res	*r;
	const char		*p[7], *q[2];
	enum tt_err		 e;

	memset(out, 0, sizeof(*out));
	tt_crypto_sha256(in->body, in->body_len, sha);
	tt_crypto_hex(sha, sizeof(sha), hex);
	p[0] = in->delivery_id;
	p[1] = in->event;
	p[2] = in->action;
	p[3] = in->installation_id;
	p[4] = hex;
	p[5] = in->body;
	p[6] = in->state;
	if ((e = tt_db_run(a, &stmt_insert, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) == 1) {
		out->id = tt_db_get(r, 0, "id");
		out->state = in->state;
		return TT_OK;
	}
	out->duplicate = 1;
	q[0] = in->delivery_id;
	q[1] = hex;
	if ((e = tt_db_run(a, &stmt_seen, q, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1) {
		/* Deleted between the two statements: as good as seen. */
		out->state = "done";
		return TT_OK;
	}
	out->id = tt_db_get(r, 0, "id");
	out->state = tt_db_get(r, 0, "state");
	out->requeued = strcmp(tt_db_get(r, 0, "requeued"), "t") == 0;
	return TT_OK;
}

enum tt_err
tt_ledger_claim(struct tt_arena *a, const char *id,
    struct tt_ledger_item *it)
{
	struct tt_db_res	*r;
	const char		*p[2];
	enum tt_err		 e;
	char			 lease[16];

	snprintf(lease, sizeof(lease), "%d", TT_LEDGER_LEASE);
	p[0] = id;
	p[1] = lease;
	if ((e = tt_db_run(a, &stmt_claim, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_ENOTFOUND;
	memset(it, 0, sizeof(*it));
	it->id = tt_db_get(r, 0, "id");
	it->delivery_id = tt_db_get(r, 0, "delivery_id");
	it->event = tt_db_get(r, 0, "event");
	it->action = tt_db_get(r, 0, "action");
	it->installation_id = tt_db_get(r, 0, "installation_id");
	it->payload = tt_db_get(r, 0, "payload");
	it->attempts = strtoll(tt_db_get(r, 0, "attempts"), NULL, 10);
	it->work_manifest_id = tt_db_get(r, 0, "work_manifest_id");
	it->check_run_id = tt_db_get(r, 0, "check_run_id");
	it->comment_id = tt_db_get(r, 0, "comment_id");
	return TT_OK;
}

/* Each effect of a delivery, recorded once it has been made. */
TT_DB_STMT(stmt_effect_wm) = {
	.name = "ledger_wm",
	.sql = "UPDATE webhook_deliveries SET work_manifest_id = $2::uuid "
	    "WHERE id = $1::bigint",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_effect_check) = {
	.name = "ledger_check",
	.sql = "UPDATE webhook_deliveries SET check_run_id = $2::bigint "
	    "WHERE id = $1::bigint",
	.nparams = 2,
	.retry = 1,
};

TT_DB_STMT(stmt_effect_comment) = {
	.name = "ledger_comment",
	.sql = "UPDATE webhook_deliveries SET comment_id = $2::bigint "
	    "WHERE id = $1::bigint",
	.nparams = 2,
	.retry = 1,
};

enum tt_err
tt_ledger_effect(struct tt_arena *a, const char *id, const char *column,
    const char *value)
{
	struct tt_db_stmt	*st;
	struct tt_db_res	*r;
	const char		*p[2];

	if (strcmp(column, "work_manifest_id") == 0)
		st = &stmt_effect_wm;
	else if (strcmp(column, "check_run_id") == 0)
		st = &stmt_effect_check;
	else if (strcmp(column, "comment_id") == 0)
		st = &stmt_effect_comment;
	else
		return TT_EINTERNAL;
	p[0] = id;
	p[1] = value;
	return tt_db_run(a, st, p, &r);
}

enum tt_err
tt_ledger_done(struct tt_arena *a, const char *id, const char *outcome)
{
	struct tt_db_res	*r;
	const char		*p[2];

	p[0] = id;
	p[1] = outcome;
	return tt_db_run(a, &stmt_done, p, &r);
}

int64_t
tt_ledger_backoff(int64_t attempts)
{
	int64_t	s = 30;

	while (--attempts > 0 && s < 3600)
		s *= 2;
	return s > 3600 ? 3600 : s;
}

enum tt_err
tt_ledger_fail(struct tt_arena *a, const struct tt_ledger_item *it,
    const char *error, int64_t retry_after)
{
	struct tt_db_res	*r;
	const char		*p[4];
	uint32_t		 rnd;
	int64_t			 wait;

	/* Jitter of up to a fifth, so failed deliveries do not return in step. */
	wait = tt_ledger_backoff(it->attempts);
	tt_crypto_random(&rnd, sizeof(rnd));
	wait += (int64_t)(rnd % (uint32_t)(wait / 5 + 1));
	if (retry_after > wait)
		wait = retry_after;
	p[0] = it->id;
	p[1] = tt_arena_printf(a, "%lld", (long long)wait);
	p[2] = error;
	p[3] = tt_arena_printf(a, "%d", TT_LEDGER_MAX_ATTEMPTS);
	tt_log_warnx("delivery %s (%s) attempt %lld failed: %s; next in %llds",
	    it->delivery_id, it->event, (long long)it->attempts, error,
	    (long long)wait);
	return tt_db_run(a, &stmt_fail, p, &r);
}

enum tt_err
tt_ledger_replay(struct tt_arena *a, const char *id, int redo)
{
	struct tt_db_res	*r;
	const char		*p[2];
	enum tt_err		 e;

	p[0] = id;
	p[1] = redo ? "true" : "false";
	if ((e = tt_db_run(a, &stmt_replay, p, &r)) != TT_OK)
		return e;
	return tt_db_affected(r) == 1 ? TT_OK : TT_ENOTFOUND;
}
