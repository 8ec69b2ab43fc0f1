/*
 * refreshq.c: refreshes spent from reserved tokens, and the audit rows
 * they queue, written in groups (refreshq.h). The reservations are
 * lease.c's, the queue auditq.c's; this file decides when to use them
 * and writes the queue.
 */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "auditq.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "lease.h"
#include "log.h"
#include "refresh.h"
#include "refreshq.h"
#include "serve.h"

/*
 * A refresh of a key this process holds reserved tokens for: the key
 * checked, read only. No row, or ok false (the key revoked or expired),
 * goes on to stmt_refresh, which records why.
 *
 * $1 key hash.
 */
TT_DB_STMT(stmt_refresh_lookup) = {
	.name = "refresh_lookup",
	.sql =
	    "SELECT id, user_id, capabilities::text AS capabilities, "
	    "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) "
	    "AS ok, last_used_at IS NULL OR last_used_at < now() - interval "
	    "'60 seconds' AS stale, " TT_DB_US("now()") " AS now_us "
	    "FROM api_keys WHERE key_sha256 = decode($1, 'hex')",
	.nparams = 1,
	.retry = 1,
};

/*
 * The rows auditq.c queued ($1, JSON) into the trail at their own
 * times, and the last_used_at they made due: keys another transaction
 * holds are skipped (it is writing theirs), so this never waits on a
 * row lock.
 */
TT_DB_STMT(stmt_refresh_flush) = {
	.name = "refresh_flush",
	.sql =
	    "WITH qr AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(at "
	    "bigint, user_id uuid, key uuid, addr text, ua text, touch boolean)), "
	    "qa AS (INSERT INTO audit_events (at, event, outcome, via, user_id, "
	    "api_key_id, source_address, user_agent) SELECT "
	    TT_DB_FROM_US("qr.at") ", 'refresh', 'ok', 'api', qr.user_id, "
	    "qr.key, qr.addr, qr.ua FROM qr ORDER BY qr.at RETURNING 1), "
	    "qt AS (UPDATE api_keys SET last_used_at = now() WHERE id IN "
	    "(SELECT id FROM api_keys WHERE id IN (SELECT key FROM qr WHERE "
	    "touch) AND (last_used_at IS NULL OR last_used_at < now() - "
	    "interval '60 seconds') ORDER BY id FOR UPDATE SKIP LOCKED) "
	    "RETURNING 1) "
	    "SELECT (SELECT count(*) FROM qa) AS n, "
	    "set_config('synchronous_commit', 'off', true) AS sc",
	.nparams = 1,
};

/*
 * Writes the queued rows. They stay queued while the database cannot be
 * reached (tried again later, backing off to FLUSH_BACKOFF_MAX_MS);
 * rows it refuses are logged one by one and dropped, so that one bad
 * row cannot stop the next ones.
 */
#define FLUSH_BACKOFF_MAX_MS	5000

static int64_t	flush_wait_ms;		/* 0: no failure pending */
static int64_t	flush_next_us;		/* monotonic: no attempt before */

static enum tt_err
flush_queue(struct tt_arena *a)
{
	struct tt_db_res	*res;
	const char		*p[1];
	int			 n = tt_auditq_count();
	enum tt_err		 e;

	if (n == 0)
		return TT_OK;
	if (flush_wait_ms != 0 && tt_clock_mono_us() < flush_next_us)
		return TT_EUNAVAIL;
	p[0] = tt_auditq_json(a);
	e = tt_db_run(a, &stmt_refresh_flush, p, &res);
	if (e == TT_OK) {
		tt_auditq_written(n);
		flush_wait_ms = 0;
		return TT_OK;
	}
	if (e != TT_EUNAVAIL && e != TT_ETIMEOUT) {
		tt_auditq_drop("the database refused them");
		flush_wait_ms = 0;
		return e;
	}
	flush_wait_ms = flush_wait_ms == 0 ? TT_SERVE_IDLE_MS :
	    flush_wait_ms * 2 > FLUSH_BACKOFF_MAX_MS ? FLUSH_BACKOFF_MAX_MS :
	    flush_wait_ms * 2;
	flush_next_us = tt_clock_mono_us() + flush_wait_ms * 1000;
	tt_log_warnx("%d queued audit rows not written yet (next try in "
	    "%lld ms)", n, (long long)flush_wait_ms);
	return e;
}

/* The idle run of flush_queue (lib/serve.h); at exit, the last one. */
static void
flush_idle(int last)
{
	struct tt_arena	*a = tt_arena_new();

	if (last)
		flush_wait_ms = 0;
	if (flush_queue(a) != TT_OK && tt_auditq_count() > 0) {
		if (last)
			tt_auditq_drop("the process is exiting and the "
			    "database cannot be reached");
		else
			tt_serve_idle(flush_idle);
	}
	tt_db_end_request();
	tt_arena_free(a);
}

/*
 * After each request, before its answer: queued rows are written now
 * when the queue is full or old, or when no other request comes for this
 * process within LINGER_MS (so the last answer of a burst follows its
 * rows into the trail: a client that waited for its answers sees them),
 * else with a later request or when the process idles.
 */
#define LINGER_MS	2

void
tt_refreshq_settle(struct tt_arena *a)
{
	if (tt_auditq_count() > 0 &&
	    (tt_auditq_due() || !tt_serve_busy(LINGER_MS)))
		(void)flush_queue(a);
	tt_serve_idle(tt_auditq_count() > 0 ? flush_idle : NULL);
}

enum tt_err
tt_refreshq_spend(struct tt_arena *a, const struct tt_refresh_caller *c,
    const char *hash, struct tt_refresh_key *k, int *done)
{
	struct tt_db_res	*res;
	const char		*p[1];
	int64_t			 limit, ahead;
	enum tt_err		 e;

	*done = 0;
	if (!tt_config.refresh_reserve || !tt_lease_has(hash))
		return TT_OK;
	p[0] = hash;
	if ((e = tt_db_run(a, &stmt_refresh_lookup, p, &res)) != TT_OK)
		return e;
	if (tt_db_nrows(res) != 1 || strcmp(tt_db_get(res, 0, "ok"), "t") != 0) {
		tt_lease_drop(hash);
		return TT_OK;
	}
	if (tt_auditq_count() == TT_AUDITQ_MAX && flush_queue(a) != TT_OK)
		return TT_OK;
	if (!tt_lease_take(hash, &limit, &ahead))
		return TT_OK;
	if (!tt_auditq_add(tt_db_get(res, 0, "now_us"),
	    tt_db_get(res, 0, "user_id"), tt_db_get(res, 0, "id"),
	    c->src.addr, c->src.ua,
	    strcmp(tt_db_get(res, 0, "stale"), "t") == 0))
		return TT_EINTERNAL;
	memset(k, 0, sizeof(*k));
	k->outcome = TT_REFRESH_OK;
	k->id = tt_db_get(res, 0, "id");
	k->user_id = tt_db_get(res, 0, "user_id");
	k->caps = tt_db_get(res, 0, "capabilities");
	k->limit = limit;
	k->granted = 1;
	k->ahead_us = ahead;
	*done = 1;
	return TT_OK;
}

int64_t
tt_refreshq_want(const char *hash)
{
	if (!tt_config.refresh_reserve)
		return 1;
	return tt_lease_want(hash, tt_serve_busy(0));
}

void
tt_refreshq_store(const char *hash, const struct tt_refresh_key *k,
    int64_t window_us)
{
	if (tt_config.refresh_reserve)
		tt_lease_store(hash, k->granted, k->ahead_us, k->limit,
		    window_us);
}

void
tt_refreshq_drop(const char *hash)
{
	tt_lease_drop(hash);
}
