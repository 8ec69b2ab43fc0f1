/*
 * dbpipe.c: several statements in one round trip (libpq's pipeline mode)
 * on db.c's connection: a statement behind the session's gate, and a KV
 * write with the transaction that waits for its flush (tt_db_run_apart).
 * Either way the gate, when one is pending, goes first and its result is
 * read first: if it fails, PostgreSQL has skipped the rest.
 */
/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <stddef.h>

#include "arena.h"
#include "db.h"
#include "dbconn.h"
#include "log.h"

/* In a pipeline: was any failure the connection going away? */
static int
is_lost_status(PGresult **res, ExecStatusType *st, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		if (st[i] == PGRES_FATAL_ERROR && tt_dbconn_lost(res[i]))
			return 1;
	return 0;
}

/* The first real error of a pipeline (later ones are only "aborted"). */
static enum tt_err
classify_first(PGresult **res, ExecStatusType *st, int n, const char *what)
{
	int	i;

	for (i = 0; i < n; i++)
		if (st[i] == PGRES_FATAL_ERROR)
			return tt_dbconn_classify(res[i], what);
	tt_log_errx("pipeline for %s failed without an error", what);
	return TT_EINTERNAL;
}

/*
 * Collects the result of one pipelined command: its PGresult (kept when
 * it succeeded) and the NULL that ends it. Returns the status.
 */
static ExecStatusType
collect(PGresult **out)
{
	PGresult	*res, *extra;
	ExecStatusType	 st;

	*out = NULL;
	if ((res = tt_dbconn_result()) == NULL)
		return PGRES_FATAL_ERROR;
	st = PQresultStatus(res);
	while ((extra = tt_dbconn_result()) != NULL) {
		if (PQresultStatus(extra) == PGRES_PIPELINE_SYNC) {
			PQclear(extra);
			break;
		}
		PQclear(extra);
	}
	*out = res;
	return st;
}

/* Sends a Parse for stmt unless this connection has it; 1 if sent. */
static int
send_prepare(struct tt_db_stmt *stmt, int *ok)
{
	if (!tt_dbconn_unprepared(stmt))
		return 0;
	*ok &= PQsendPrepare(tt_dbconn(), stmt->name, stmt->sql, stmt->nparams,
	    NULL);
	return 1;
}

/*
 * Sends a Parse for each of cmd[0..n) this connection lacks (NULL
 * entries are skipped); sent[] gets them in order. Returns how many.
 */
static int
send_prepares(struct tt_db_stmt **cmd, int n, struct tt_db_stmt **sent,
    int *ok)
{
	int	i, nprep = 0;

	for (i = 0; i < n; i++)
		if (send_prepare(cmd[i], ok))
			sent[nprep++] = cmd[i];
	return nprep;
}

/*
 * Reads a pipeline's n results (the first nprep those of the Parses of
 * sent[]) and the Sync that closes it, and leaves pipeline mode; ok says
 * whether everything was sent. A Parse that succeeded stays, whatever
 * came after it. *got is how many results arrived. Returns 0 when the
 * connection is gone (the results are then cleared and it is closed).
 */
static int
finish_pipeline(int ok, struct tt_db_stmt **sent, int nprep,
    PGresult **res, ExecStatusType *st, int n, int *got, const char *what)
{
	PGresult	*s;
	int		 i;

	for (i = 0; ok && i < n; i++)
		st[i] = collect(&res[i]);
	*got = i;
	if (ok) {
		s = tt_dbconn_result();
		ok = s != NULL && PQresultStatus(s) == PGRES_PIPELINE_SYNC;
		PQclear(s);
	}
	if (ok)
		ok = PQexitPipelineMode(tt_dbconn());
	for (i = 0; i < nprep && i < *got; i++)
		if (st[i] == PGRES_COMMAND_OK)
			tt_dbconn_mark_prepared(sent[i]);
	if (ok && !is_lost_status(res, st, *got))
		return 1;
	for (i = 0; i < *got; i++) {
		PQclear(res[i]);
		res[i] = NULL;
	}
	tt_log_warnx("database connection lost during %s", what);
	tt_dbconn_close();
	return 0;
}

/*
 * A statement behind the pending gate: Parse (when needed), gate,
 * statement, Sync; then the results in that order. Both only read or the
 * statement may be sent twice, so a connection found broken is reopened
 * and the pair sent again once when retry allows it.
 */
enum tt_err
tt_dbpipe_gated(struct tt_arena *a, struct tt_db_stmt *stmt, const char *sql,
    int nparams, const char *const *params, int retry,
    struct tt_db_res **out)
{
	struct tt_db_stmt	*g, *cmd[2], *sent[2];
	const char *const	*gparams;
	PGresult		*res[4] = { NULL };
	ExecStatusType		 st[4];
	const char		*what = stmt != NULL ? stmt->name : "(ad hoc)";
	int			 attempt, ok, nprep, i, n, got;
	enum tt_err		 e;

	g = tt_dbconn_gate(&gparams);
	cmd[0] = g;
	cmd[1] = stmt;
	for (attempt = 0; attempt < 2; attempt++) {
		if (tt_dbconn_ready(!retry) != 0)
			return TT_EUNAVAIL;
		ok = PQenterPipelineMode(tt_dbconn());
		nprep = send_prepares(cmd, 2, sent, &ok);
		ok &= tt_dbconn_send(g, NULL, g->nparams, gparams);
		ok &= tt_dbconn_send(stmt, sql, nparams, params);
		ok &= PQpipelineSync(tt_dbconn());
		n = nprep + 2;
		if (!finish_pipeline(ok, sent, nprep, res, st, n, &got,
		    g->name)) {
			if (!retry)
				return TT_EUNAVAIL;	/* it may have run */
			continue;
		}
		/* The gate's result first: failed, nothing after it ran. */
		for (i = 0; i < nprep && st[i] == PGRES_COMMAND_OK; i++)
			;
		if (i < nprep || st[nprep] != PGRES_TUPLES_OK) {
			if (i == nprep)
				tt_dbconn_gate_done(0);
			e = i == nprep ? TT_EREFUSED :
			    classify_first(res, st, n, what);
			for (i = 0; i < n; i++)
				PQclear(res[i]);
			return e;
		}
		tt_dbconn_gate_done(1);
		e = TT_OK;
		if (st[nprep + 1] != PGRES_COMMAND_OK &&
		    st[nprep + 1] != PGRES_TUPLES_OK)
			e = tt_dbconn_classify(res[nprep + 1], what);
		for (i = 0; i < n; i++)
			if (i != nprep + 1 || e != TT_OK)
				PQclear(res[i]);
		if (e == TT_OK)
			*out = tt_dbconn_keep(a, res[nprep + 1]);
		return e;
	}
	return TT_EUNAVAIL;
}

/* The parts of a tt_db_run_apart write (see db.h). */
TT_DB_STMT(stmt_begin) = { .name = "tt_begin", .sql = "BEGIN" };
TT_DB_STMT(stmt_nowait) = {
	.name = "tt_commit_nowait",
	.sql = "SET LOCAL synchronous_commit = off",
};
TT_DB_STMT(stmt_commit) = { .name = "tt_commit", .sql = "COMMIT" };
/*
 * A transaction that writes WAL (a logical decoding message, which
 * changes no table) commits with the configured synchronous_commit,
 * so its commit waits for the flush of everything before it, the
 * write above included. One that writes none (txid_current) would not.
 */
TT_DB_STMT(stmt_flush) = {
	.name = "tt_flush",
	.sql =
	    "SELECT pg_logical_emit_message(true, 'terrateam.flush', '')",
	.retry = 1,
};

/*
 * A tt_db_run_apart write, in one round trip and one Sync: Parse (when
 * needed), then BEGIN [gate] nowait stmt COMMIT flush Sync. The COMMIT
 * lets the row locks go without waiting for the disk; the flush
 * statement's own transaction (ended by the Sync) waits for the flush
 * that covers both. A pending gate goes right after BEGIN and is read
 * first: if it failed, nothing after it ran (TT_EREFUSED). The statement
 * is answered only once the flush succeeded; if the connection goes
 * away after sending, it is sent again only when the statement's retry
 * allows it.
 */
static enum tt_err
run_flushed(struct tt_arena *a, struct tt_db_stmt *stmt,
    const char *const *params, struct tt_db_res **out)
{
	struct tt_db_stmt	*cmd[6], *sent[6], *g;
	const char *const	*args[6];
	const char *const	*gparams = NULL;
	PGresult		*res[12] = { NULL };
	ExecStatusType		 st[12];
	int			 attempt, ok, nprep, nc, i, n, got, refused;
	int			 x;	/* the statement's place in cmd */
	enum tt_err		 e;

	g = tt_dbconn_gate(&gparams);
	nc = 0;
	cmd[nc] = &stmt_begin;		args[nc++] = NULL;
	if (g != NULL) {
		cmd[nc] = g;		args[nc++] = gparams;
	}
	cmd[nc] = &stmt_nowait;		args[nc++] = NULL;
	x = nc;
	cmd[nc] = stmt;			args[nc++] = params;
	cmd[nc] = &stmt_commit;		args[nc++] = NULL;
	cmd[nc] = &stmt_flush;		args[nc++] = NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if (tt_dbconn_ready(!stmt->retry) != 0)
			return TT_EUNAVAIL;
		ok = PQenterPipelineMode(tt_dbconn());
		nprep = send_prepares(cmd, nc, sent, &ok);
		for (i = 0; i < nc; i++)
			ok &= tt_dbconn_send(cmd[i], NULL, cmd[i]->nparams,
			    args[i]);
		ok &= PQpipelineSync(tt_dbconn());
		/* Results: the Parses, then one per command, then the Sync. */
		n = nprep + nc;
		if (!finish_pipeline(ok, sent, nprep, res, st, n, &got,
		    stmt->name)) {
			if (!stmt->retry)
				return TT_EUNAVAIL;	/* it may have run */
			continue;
		}
		/* The gate's result first (after the Parses and BEGIN). */
		refused = 0;
		if (g != NULL) {
			for (i = 0; i < nprep && st[i] == PGRES_COMMAND_OK; i++)
				;
			if (i == nprep && st[nprep] == PGRES_COMMAND_OK) {
				refused = st[nprep + 1] != PGRES_TUPLES_OK;
				tt_dbconn_gate_done(!refused);
			}
		}
		/* A failure left the BEGIN's transaction aborted: end it. */
		tt_db_rollback(a);
		if (refused) {
			for (i = 0; i < n; i++)
				PQclear(res[i]);
			return TT_EREFUSED;
		}
		e = TT_OK;
		for (i = 0; i < n && e == TT_OK; i++)
			if (st[i] != PGRES_COMMAND_OK &&
			    st[i] != PGRES_TUPLES_OK)
				e = classify_first(res, st, n, stmt->name);
		for (i = 0; i < n; i++)
			if (i != nprep + x || e != TT_OK)
				PQclear(res[i]);
		if (e == TT_OK)
			*out = tt_dbconn_keep(a, res[nprep + x]);
		return e;
	}
	return TT_EUNAVAIL;
}

enum tt_err
tt_db_run_apart(struct tt_arena *a, struct tt_db_stmt *stmt,
    const char *const *params, struct tt_db_res **out)
{
	if (tt_dbconn_in_tx())
		return tt_db_run(a, stmt, params, out);
	return run_flushed(a, stmt, params, out);
}

