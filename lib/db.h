/* db.h: the process's PostgreSQL connection and statement runner (db.c,
 * dbpipe.c). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_DB_H
#define TT_DB_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_db_res;

/* SQL fragments for timestamps: RFC 3339 UTC text, and exact microseconds
 * since the epoch (keyset cursors) both ways. */
#define TT_DB_UTC(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TT_DB_US(col)	"(extract(epoch FROM " col ") * 1000000)::bigint"
#define TT_DB_FROM_US(p) \
	"(timestamptz 'epoch' + " p "::bigint * interval '1 microsecond')"

/*
 * A statement declared once by its module, with TT_DB_STMT below, and
 * prepared lazily on each new connection. retry marks statements that
 * are safe to run again when the connection was found broken (reads and
 * idempotent writes); others answer 503 in that case. standby marks the
 * reads of the read-only routes that a standby may answer: with
 * TT_DATABASE_READ_URL set they go there, outside a transaction, once
 * the session's verdict has come from the primary (db.c, run_one).
 */
struct tt_db_stmt {
	const char	*name;
	const char	*sql;
	int		 nparams;
	int		 retry;
	int		 standby;
	/* Private to db.c: the connection it was prepared on last, the
	 * primary's [0] and the read connection's [1]. */
	unsigned	 prepared_gen[2];
};

/*
 * Declares a file's statement var and lists it in the tt_db_stmts
 * section of the binary, where tests/unit/test_dbstmt.c finds every one
 * to check it (names unique, each $n within nparams):
 *
 *	TT_DB_STMT(stmt_get) = {
 *		.name = "kv_get",
 *		.sql = "SELECT ... WHERE key = $1",
 *		.nparams = 1,
 *		.retry = 1,
 *	};
 */
#define TT_DB_STMT(var)							\
	static struct tt_db_stmt var;					\
	static struct tt_db_stmt *const var##_listed			\
	    __attribute__((section("tt_db_stmts"), used)) = &var;	\
	static struct tt_db_stmt var

/* Sets application_name for connections opened later. */
void		 tt_db_set_app(const char *);

/*
 * Runs a declared statement with text parameters (NULL means SQL NULL).
 * Connects lazily; on a broken connection reconnects once (and retries
 * when the statement allows it). Returns TT_OK with an arena-owned result,
 * TT_EUNAVAIL when the database cannot be reached, TT_ETIMEOUT on a
 * statement timeout, TT_ECONFLICT on a unique violation, TT_EINVAL on
 * bad input (22xxx), TT_EINTERNAL otherwise (logged once here).
 */
enum tt_err	 tt_db_run(struct tt_arena *, struct tt_db_stmt *,
		    const char *const *params, struct tt_db_res **);

/*
 * Like tt_db_run, for a one-statement write that many clients make to the
 * same rows (a KV key every CI job overwrites). Outside a transaction the
 * statement commits without waiting for the disk, so its row locks are
 * let go at once, and a second transaction sent in the same round trip
 * waits for the flush that covers both: success is still returned only
 * once the write is on disk, but concurrent writers share flushes instead
 * of queueing one flush each behind the row lock. Another session may
 * read the value before it is on disk. Inside a transaction: tt_db_run.
 */
enum tt_err	 tt_db_run_apart(struct tt_arena *, struct tt_db_stmt *,
		    const char *const *params, struct tt_db_res **);

/* Like tt_db_run for SQL that is not prepared (tools, migrations). */
enum tt_err	 tt_db_exec(struct tt_arena *, const char *sql, int nparams,
		    const char *const *params, struct tt_db_res **);

/* Like tt_db_exec for ad hoc SQL that only reads (sent again when the
 * connection was found broken). */
enum tt_err	 tt_db_select(struct tt_arena *, const char *sql, int nparams,
		    const char *const *params, struct tt_db_res **);
/* tt_db_select for a read that a standby may answer (see .standby). */
enum tt_err	 tt_db_read(struct tt_arena *, const char *sql, int nparams,
		    const char *const *params, struct tt_db_res **);

/*
 * The gate (lib/session.c's step 3): a read-only statement that must
 * succeed for the request's next statement to run. It travels in that
 * statement's round trip, ahead of it, and its result is read first;
 * PostgreSQL skips everything after a failed statement in a pipeline, so
 * when the gate fails the statement never runs and answers TT_EREFUSED.
 * tt_db_begin runs a pending gate alone first. One per request, cleared
 * at its end.
 */
enum tt_db_gate_state {
	TT_DB_GATE_NONE,
	TT_DB_GATE_PENDING,	/* set, no statement has run yet */
	TT_DB_GATE_PASSED,
	TT_DB_GATE_REFUSED,
};
/* Sets the gate (NULL: clears it). */
void		 tt_db_gate(struct tt_db_stmt *, const char *const *params);
enum tt_db_gate_state tt_db_gate_state(void);

/* Transactions; statements run inside one are never retried. */
enum tt_err	 tt_db_begin(struct tt_arena *);
enum tt_err	 tt_db_commit(struct tt_arena *);
void		 tt_db_rollback(struct tt_arena *);
/* Rolls back a transaction a request left open; called after each request. */
void		 tt_db_end_request(void);

int		 tt_db_nrows(const struct tt_db_res *);
/* Rows changed by an INSERT/UPDATE/DELETE. */
int64_t		 tt_db_affected(const struct tt_db_res *);
/*
 * Value of column col in row, as text; NULL when SQL NULL. The column
 * must exist (programmer error otherwise). Borrowed; valid until reset.
 */
const char	*tt_db_get(const struct tt_db_res *, int row, const char *col);

/*
 * The same by column number, for loops over many rows: tt_db_col looks
 * the name up once (-1 when absent; tt_db_val then gives NULL).
 */
int		 tt_db_col(const struct tt_db_res *, const char *col);
const char	*tt_db_val(const struct tt_db_res *, int row, int col);

/* SQLSTATE of the last failed statement ("" if none). */
const char	*tt_db_last_sqlstate(void);

/*
 * The highest migration applied (sql/, schema_migrations): TT_ENOTFOUND
 * when the table is missing (never migrated), else a database error.
 */
enum tt_err	 tt_db_schema_version(struct tt_arena *, int64_t *version);

/*
 * Runs a trusted multi-statement script (a migration file shipped with
 * the program, never input) with the simple query protocol.
 */
enum tt_err	 tt_db_exec_script(const char *sql, char *err, size_t errlen);

/*
 * A timestamptz column selected as plain text (sessions run with TimeZone
 * UTC, DateStyle ISO) as RFC 3339 UTC to the second and as exact
 * microseconds since the epoch; either output may be NULL. Cheaper than
 * to_char in SQL for lists. -1 when v is not in that form.
 */
#define TT_DB_UTC_LEN	21
int		 tt_db_time(const char *v, char utc[TT_DB_UTC_LEN],
		    int64_t *us);

/* Closes the connection (at exit, so valgrind sees no leak). */
void		 tt_db_close(void);
/*
 * How long a statement's answer is waited for before the connection is
 * given up as silent: by default TT_STATEMENT_TIMEOUT_MS and a second;
 * 0 waits as long as the server takes (for ttctl's maintenance
 * statements that lift statement_timeout).
 */
void		 tt_db_set_answer_wait(int64_t ms);

#endif
