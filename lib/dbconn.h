/*
 * dbconn.h: what db.c shares with dbpipe.c, the other half of the db
 * module: the connection, its results and its error classes. Not for
 * other modules (they include db.h).
 */
/* SPDX-License-Identifier: MIT */
#ifndef TT_DBCONN_H
#define TT_DBCONN_H

#include <libpq-fe.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_db_stmt;

/* A statement's result, owned by the request's arena. */
struct tt_db_res {
	PGresult	*res;
};

/* The connection statements go to now (NULL when none held): the
 * primary's, except while a .standby read runs on the read connection
 * (db.c). */
PGconn		*tt_dbconn(void);
/*
 * 1 when stmt must be prepared on the connection before it is sent: it
 * has a name, TT_DATABASE_PREPARE is on and this connection lacks it.
 */
int		 tt_dbconn_unprepared(const struct tt_db_stmt *stmt);
/* Records that stmt is now prepared on the connection. */
void		 tt_dbconn_mark_prepared(struct tt_db_stmt *stmt);
/*
 * Sends stmt for execution (PQsend*; 1 when sent): by name where it is
 * prepared; with TT_DATABASE_PREPARE=0, or for sql when stmt is NULL,
 * unnamed, parsed by the server each time.
 */
int		 tt_dbconn_send(const struct tt_db_stmt *stmt, const char *sql,
		    int nparams, const char *const *params);
/* Closes the connection statements go to now (tt_db_close: both). */
void		 tt_dbconn_close(void);
/* 1 inside tt_db_begin ... tt_db_commit. */
int		 tt_dbconn_in_tx(void);
/*
 * A connection to send on (see db.c): once set for a statement that may
 * not be sent twice. -1 when the database cannot be reached.
 */
int		 tt_dbconn_ready(int once);
/*
 * The next result (PQgetResult), waited for at most the statement
 * timeout and a second; NULL at the end of a command's results, and
 * when the connection failed or went silent (then it is closed and the
 * rest of the request gets no new one: tt_dbconn_ready fails).
 */
PGresult	*tt_dbconn_result(void);
/*
 * Asks the server of pg (or the pooler in front of it), within
 * budget_ms, to cancel what pg's backend is doing: a commit waiting for
 * a synchronous standby that is gone (dbcancel.c). 1 when the request
 * was delivered, -1 when not in time.
 */
int		 tt_dbconn_cancel(PGconn *pg, int64_t budget_ms);
/* 1 when a failed result means the connection went away. */
int		 tt_dbconn_lost(PGresult *);
/* A failed result as an error code; the unexpected ones are logged. */
enum tt_err	 tt_dbconn_classify(PGresult *, const char *what);
/* res, handed to the arena (cleared when it is reset). */
struct tt_db_res *tt_dbconn_keep(struct tt_arena *, PGresult *);

/* The pending gate and its parameters (db.h), or NULL; and its outcome. */
struct tt_db_stmt *tt_dbconn_gate(const char *const **params);
void		 tt_dbconn_gate_done(int passed);
/*
 * A statement (prepared when stmt != NULL, else sql) behind the pending
 * gate, in one round trip (dbpipe.c): TT_EREFUSED when the gate failed.
 */
enum tt_err	 tt_dbpipe_gated(struct tt_arena *, struct tt_db_stmt *stmt,
		    const char *sql, int nparams, const char *const *params,
		    int retry, struct tt_db_res **out);

#endif
