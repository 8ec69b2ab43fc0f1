/*
 * db.c: the process's PostgreSQL connection, opened lazily and opened
 * again once when found broken, and the statements run on it one at a
 * time, each waited for with a deadline. dbpipe.c sends several in one
 * round trip on the same connection.
 */
/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <assert.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "dbconn.h"
#include "log.h"

/*
 * A connection: the primary's (TT_DATABASE_URL), and the reader's
 * (TT_DATABASE_READ_URL, when set) for the reads marked .standby.
 */
struct link {
	PGconn		*pg;
	unsigned	 gen;	/* its number, for tt_db_stmt.prepared_gen */
	int		 reader;	/* 0 or 1: its tt_db_stmt.prepared_gen[] */
};
static struct link	 primary, reader = { .reader = 1 };
static struct link	*on = &primary;	/* where statements go now */
static unsigned		 conn_count;	/* numbers the connections */
static int		 in_tx;
static const char	*app_name = "terrateam-c";
static char		 last_state[6];
/* The server went silent during this request: no new connection now. */
static int		 silent;
/* A warning came with the answer being read (notice, below). */
static int		 warned;
static int64_t		 answer_wait_ms = -1;	/* -1: statement timeout + 1 s */

static struct {
	struct tt_db_stmt	*stmt;
	const char *const	*params;
	enum tt_db_gate_state	 state;
} gate;

PGconn *
tt_dbconn(void)
{
	return on->pg;
}

int
tt_dbconn_in_tx(void)
{
	return in_tx;
}

void
tt_db_gate(struct tt_db_stmt *stmt, const char *const *params)
{
	gate.stmt = stmt;
	gate.params = params;
	gate.state = stmt != NULL ? TT_DB_GATE_PENDING : TT_DB_GATE_NONE;
}

enum tt_db_gate_state
tt_db_gate_state(void)
{
	return gate.state;
}

struct tt_db_stmt *
tt_dbconn_gate(const char *const **params)
{
	if (gate.state != TT_DB_GATE_PENDING)
		return NULL;
	*params = gate.params;
	return gate.stmt;
}

void
tt_dbconn_gate_done(int passed)
{
	gate.state = passed ? TT_DB_GATE_PASSED : TT_DB_GATE_REFUSED;
}

void
tt_db_set_app(const char *name)
{
	app_name = name;
}

/*
 * The server's notices (client_min_messages=warning: warnings only), to
 * the log with the request's id instead of libpq's bare stderr line.
 * One matters: a commit's wait for a synchronous standby ended by a
 * cancel (ours, dbcancel.c, or anyone's pg_cancel_backend), which
 * PostgreSQL reports as a WARNING from SyncRepWaitForLSN (its text
 * depends on lc_messages; the function's name does not) before it
 * reports the commit done, although the standby may not have it: a
 * promoted standby would lose the write. tt_dbconn_result turns such an
 * answer into a failure (503). Other warnings (wraparound, an
 * operator's RAISE WARNING) are only logged.
 */
static void
notice(void *arg, const PGresult *res)
{
	const char	*sev, *st, *msg, *fn;

	(void)arg;
	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	fn = PQresultErrorField(res, PG_DIAG_SOURCE_FUNCTION);
	tt_log_warnx("the database warns: %s %s", st ? st : "",
	    msg ? msg : "");
	if (sev != NULL && strcmp(sev, "WARNING") == 0 && fn != NULL &&
	    strcmp(fn, "SyncRepWaitForLSN") == 0)
		warned = 1;
}

/*
 * The options of a connection URL (a site's own -c settings, such as
 * synchronous_commit=remote_apply), or NULL; malloc'ed. A trailing
 * backslash would escape the space before ours and break the first of
 * them: it is dropped, and said.
 */
static char *
url_options(const char *url)
{
	PQconninfoOption	*all, *o;
	char			*s = NULL;
	size_t			 n, k;

	if (url == NULL || (all = PQconninfoParse(url, NULL)) == NULL)
		return NULL;
	for (o = all; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val != NULL &&
		    o->val[0] != '\0' && (s = strdup(o->val)) == NULL)
			tt_oom(0);
	PQconninfoFree(all);
	if (s == NULL)
		return NULL;
	for (n = strlen(s), k = 0; k < n && s[n - 1 - k] == '\\'; k++)
		;
	if (k % 2 == 1) {
		tt_log_warnx("the database URL's options end with a lone "
		    "backslash: dropped");
		s[n - 1] = '\0';
	}
	return s;
}

static int
db_connect(void)
{
	char		 ours[384], *theirs, *opts;
	const char	*keys[16], *vals[16], *url;
	int		 n = 0;

	url = on->reader ? tt_config.database_read_url : tt_config.database_url;
	snprintf(ours, sizeof(ours), "-c statement_timeout=%lld "
	    "-c lock_timeout=2000 -c idle_in_transaction_session_timeout=10000 "
	    "-c client_min_messages=warning "
	    "-c plan_cache_mode=force_generic_plan "
	    "-c timezone=UTC -c datestyle=ISO,YMD "
	    "-c tt.kv_max_value_bytes=%lld",
	    (long long)tt_config.statement_timeout_ms,
	    (long long)tt_config.kv_max_value_bytes);

	/*
	 * Our defaults first; what TT_DATABASE_URL says overrides them.
	 * Over TCP, a host that died without a reset (docs/OPERATIONS.md,
	 * "A dead host"): each listed one costs a new connection
	 * connect_timeout; an idle connection to it is found dead by
	 * keepalives within about idle + tcp_user_timeout (Linux ends the
	 * probes by tcp_user_timeout when it is set), and a request on it
	 * ends after tcp_user_timeout, inside the answer deadline (the
	 * default statement timeout and a second). keepalives=0 in the URL
	 * turns tcp_user_timeout off too (libpq sets it with keepalives).
	 * The URL's options are kept, ours after them: PostgreSQL applies
	 * -c settings in order, so ours win where both name one (answers'
	 * formats and deadlines depend on them).
	 */
	keys[n] = "connect_timeout";	vals[n++] = "2";
	keys[n] = "application_name";	vals[n++] = app_name;
	keys[n] = "gssencmode";		vals[n++] = "disable";
	keys[n] = "keepalives";		vals[n++] = "1";
	keys[n] = "keepalives_idle";	vals[n++] = "5";
	keys[n] = "keepalives_interval"; vals[n++] = "2";
	keys[n] = "tcp_user_timeout";	vals[n++] = "4000";
	keys[n] = "dbname";		vals[n++] = url;
	opts = ours;
	if ((theirs = url_options(url)) != NULL &&
	    asprintf(&opts, "%s %s", theirs, ours) < 0)
		tt_oom(0);
	keys[n] = "options";		vals[n++] = opts;
	keys[n] = NULL;			vals[n] = NULL;

	on->pg = PQconnectdbParams(keys, vals, 1);
	if (opts != ours)
		free(opts);
	free(theirs);
	if (on->pg == NULL)
		tt_oom(0);
	if (PQstatus(on->pg) != CONNECTION_OK) {
		tt_log_warnx("could not connect to %s: %s", on->reader ?
		    "the read database (TT_DATABASE_READ_URL)" : "database",
		    PQerrorMessage(on->pg));
		PQfinish(on->pg);
		on->pg = NULL;
		return -1;
	}
	PQsetNoticeReceiver(on->pg, notice, NULL);
	warned = 0;
	on->gen = ++conn_count;
	if (!on->reader)
		in_tx = 0;
	return 0;
}

void
tt_dbconn_close(void)
{
	if (on->pg != NULL)
		PQfinish(on->pg);
	on->pg = NULL;
}

void
tt_db_close(void)
{
	if (primary.pg != NULL)
		PQfinish(primary.pg);
	if (reader.pg != NULL)
		PQfinish(reader.pg);
	primary.pg = reader.pg = NULL;
}

/*
 * A connection to send on: the one held, or a new one. Between requests
 * nothing arrives on an idle connection unless the server ended it (a
 * restart, a failover, pg_terminate_backend): its goodbye or the end of
 * the stream is then waiting on the socket. With once set (a statement
 * that may not be sent twice), such a connection is closed before
 * anything is sent on it, so the write goes out on a new connection
 * instead of failing as "may have run"; a statement that may be sent
 * again finds out by failing, and is (one system call fewer per read).
 * Returns -1 when the database cannot be reached.
 */
int
tt_dbconn_ready(int once)
{
	struct pollfd	pfd;

	if (once && on->pg != NULL && !in_tx) {
		pfd.fd = PQsocket(on->pg);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0 || poll(&pfd, 1, 0) > 0) {
			tt_log_warnx("the database ended an idle connection: "
			    "reconnecting");
			tt_dbconn_close();
		}
	}
	if (silent)
		return -1;
	if (on->pg == NULL && db_connect() != 0)
		return -1;
	return 0;
}

/*
 * Waits for the server's answer, at most the statement timeout and a
 * second. The server bounds its own work by statement_timeout, but not
 * a server that stopped answering: a machine that died mid-session
 * behind something that still accepts packets, or a commit waiting for
 * a synchronous standby that is gone. Past the deadline the connection
 * is closed and, for the rest of the request, no new one is opened (it
 * would wait connect_timeout for a host that is likely as silent): the
 * request answers 503. Before closing a primary connection, its server
 * (or the pooler in front of it) is asked, within CANCEL_BUDGET_MS more,
 * to cancel what its backend does: a commit waiting for a synchronous
 * standby would wait for ever (dbcancel.c). Returns 0 when a
 * result can be read without waiting, -1 when the connection was closed.
 */
#define CANCEL_BUDGET_MS	500

static void
cancel_abandoned(void)
{
	if (on->reader)
		return;		/* a read: it waits for no standby */
	if (tt_dbconn_cancel(on->pg, CANCEL_BUDGET_MS) == 1)
		tt_log_warnx("the database was asked to cancel its backend's "
		    "work (a commit waiting for a synchronous standby stays "
		    "on the primary)");
	else
		tt_log_warnx("the cancel request did not reach the database "
		    "within %d ms", CANCEL_BUDGET_MS);
}

static int
wait_answer(void)
{
	struct pollfd	pfd;
	int64_t		deadline, left, wait_ms;

	if (PQflush(on->pg) != 0 || answer_wait_ms == 0)
		return 0;	/* PQgetResult reports a failure, or waits */
	wait_ms = answer_wait_ms > 0 ? answer_wait_ms :
	    tt_config.statement_timeout_ms + 1000;
	deadline = tt_clock_mono_us() + wait_ms * 1000;
	while (PQisBusy(on->pg)) {
		left = (deadline - tt_clock_mono_us()) / 1000;
		pfd.fd = PQsocket(on->pg);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
			tt_log_warnx("the database did not answer within %lld "
			    "ms: closing the connection", (long long)wait_ms);
			cancel_abandoned();
			tt_dbconn_close();
			silent = 1;
			return -1;
		}
		if (!PQconsumeInput(on->pg))
			break;	/* PQgetResult reports it */
	}
	return 0;
}

void
tt_db_set_answer_wait(int64_t ms)
{
	answer_wait_ms = ms;
}

/*
 * The next result, NULL when there is none or the connection failed or
 * went silent. An answer that came with a commit whose wait for the
 * synchronous standby was cancelled (notice) is not trusted: the
 * connection is closed and the request answers 503, as for a silent
 * server; what the statement did stays done (a KV write, a delivery
 * recorded), which a retry finds.
 */
PGresult *
tt_dbconn_result(void)
{
	PGresult	*res;

	if (on->pg == NULL || wait_answer() != 0)
		return NULL;
	res = PQgetResult(on->pg);
	if (warned) {
		warned = 0;
		tt_log_warnx("a commit's wait for the synchronous standby "
		    "was cancelled (the standby may not have it): not "
		    "acknowledged, closing the connection");
		PQclear(res);
		tt_dbconn_close();
		silent = 1;
		return NULL;
	}
	return res;
}

/*
 * The result of the one command just sent (sent: whether sending
 * worked), as PQexec gives it: the last one, once the command is done.
 * NULL when the connection failed or went silent.
 */
static PGresult *
command_result(int sent)
{
	PGresult	*res = NULL, *r;

	if (!sent)
		return NULL;
	while ((r = tt_dbconn_result()) != NULL) {
		PQclear(res);
		res = r;
	}
	if (on->pg == NULL) {
		PQclear(res);
		return NULL;
	}
	return res;
}

static void
res_clear(void *p)
{
	PQclear(p);
}

int
tt_dbconn_lost(PGresult *res)
{
	const char	*st;

	if (on->pg == NULL || PQstatus(on->pg) == CONNECTION_BAD)
		return 1;
	st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	/*
	 * A failure without a SQLSTATE was made by libpq itself: the server
	 * went away (PQstatus only turns bad on the next attempt).
	 */
	if (st == NULL)
		return 1;
	return strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
	    strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0;
}

enum tt_err
tt_dbconn_classify(PGresult *res, const char *what)
{
	const char	*st, *msg;

	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(last_state, sizeof(last_state), "%s", st ? st : "");
	if (st == NULL)
		st = "";
	if (strcmp(st, "23505") == 0)
		return TT_ECONFLICT;
	if (strcmp(st, "54000") == 0)
		return TT_ETOOBIG;	/* a size limit enforced in SQL */
	if (strcmp(st, "57014") == 0 || strcmp(st, "55P03") == 0) {
		tt_log_warnx("statement %s timed out: %s", what, st);
		return TT_ETIMEOUT;
	}
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0) {
		tt_log_warnx("statement %s: %s %s", what, st,
		    msg ? msg : "");
		return TT_EUNAVAIL;
	}
	/* Bad input: data exceptions, and syntax errors in a jsonpath. */
	if (strncmp(st, "22", 2) == 0 || strcmp(st, "42601") == 0)
		return TT_EINVAL;
	/* A named statement already there, or gone: a shared connection. */
	tt_log_errx("could not run statement %s: %s %s%s", what, st,
	    msg ? msg : "", strcmp(st, "42P05") == 0 ||
	    strcmp(st, "26000") == 0 ? " (a pooler in transaction mode? "
	    "TT_DATABASE_PREPARE=0, docs/OPERATIONS.md, PgBouncer)" : "");
	return TT_EINTERNAL;
}

int
tt_dbconn_unprepared(const struct tt_db_stmt *stmt)
{
	return stmt != NULL && tt_config.database_prepare &&
	    stmt->prepared_gen[on->reader] != on->gen;
}

void
tt_dbconn_mark_prepared(struct tt_db_stmt *stmt)
{
	stmt->prepared_gen[on->reader] = on->gen;
}

int
tt_dbconn_send(const struct tt_db_stmt *stmt, const char *sql, int nparams,
    const char *const *params)
{
	if (stmt != NULL && tt_config.database_prepare)
		return PQsendQueryPrepared(on->pg, stmt->name, nparams, params,
		    NULL, NULL, 0);
	return PQsendQueryParams(on->pg, stmt != NULL ? stmt->sql : sql,
	    nparams, NULL, params, NULL, NULL, 0);
}

/*
 * Runs one statement (prepared when stmt != NULL) on the connection of
 * `on`, with the reconnect policy: a connection found broken is reopened
 * once; the statement is sent again only when retry allows it.
 */
static enum tt_err
run_here(struct tt_arena *a, struct tt_db_stmt *stmt, const char *sql,
    int nparams, const char *const *params, int retry,
    struct tt_db_res **out)
{
	PGresult	*res = NULL;
	ExecStatusType	 st;
	const char	*what = stmt ? stmt->name : "(ad hoc)";
	int		 attempt;

	last_state[0] = '\0';
	if (gate.state == TT_DB_GATE_PENDING && !in_tx)
		return tt_dbpipe_gated(a, stmt, sql, nparams, params, retry, out);
	for (attempt = 0; attempt < 2; attempt++) {
		if (tt_dbconn_ready(!retry) != 0)
			return TT_EUNAVAIL;
		if (tt_dbconn_unprepared(stmt)) {
			res = command_result(PQsendPrepare(on->pg, stmt->name,
			    stmt->sql, stmt->nparams, NULL));
			if (res == NULL ||
			    PQresultStatus(res) != PGRES_COMMAND_OK) {
				if (tt_dbconn_lost(res)) {
					PQclear(res);
					tt_dbconn_close();
					if (in_tx)
						return TT_EUNAVAIL;
					continue;	/* never sent: safe */
				}
				enum tt_err e = tt_dbconn_classify(res, what);
				PQclear(res);
				return e;
			}
			PQclear(res);
			tt_dbconn_mark_prepared(stmt);
		}
		res = command_result(tt_dbconn_send(stmt, sql, nparams,
		    params));
		st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			*out = tt_arena_alloc(a, sizeof(**out));
			(*out)->res = res;
			tt_arena_defer(a, res_clear, res);
			return TT_OK;
		}
		if (tt_dbconn_lost(res)) {
			tt_log_warnx("database connection lost during %s", what);
			PQclear(res);
			tt_dbconn_close();
			if (in_tx || !retry)
				return TT_EUNAVAIL;
			continue;
		}
		enum tt_err e = tt_dbconn_classify(res, what);
		PQclear(res);
		return e;
	}
	return TT_EUNAVAIL;
}

/*
 * The pending gate alone, on the primary, waited for: TT_OK once it has
 * passed, TT_EREFUSED when it refused, or why it could not be run.
 */
static enum tt_err
pass_gate(struct tt_arena *a)
{
	struct tt_db_res	*r;
	enum tt_err		 e;

	if (gate.state == TT_DB_GATE_REFUSED)
		return TT_EREFUSED;	/* no read after a refusal */
	if (gate.state != TT_DB_GATE_PENDING)
		return TT_OK;
	gate.state = TT_DB_GATE_NONE;
	e = run_here(a, gate.stmt, NULL, gate.stmt->nparams, gate.params, 1,
	    &r);
	if (e != TT_OK && e != TT_EUNAVAIL && e != TT_ETIMEOUT) {
		gate.state = TT_DB_GATE_REFUSED;
		return TT_EREFUSED;
	}
	if (e != TT_OK) {
		gate.state = TT_DB_GATE_PENDING;
		return e;
	}
	gate.state = TT_DB_GATE_PASSED;
	return TT_OK;
}

/*
 * Runs a statement where it belongs. A read that a standby may answer
 * (standby: a .standby statement, or tt_db_read), outside a transaction,
 * goes to the read connection when TT_DATABASE_READ_URL is set, and only
 * after the session's pending gate has passed alone on the primary: the
 * verdict never comes from a standby, so a revocation or a removed
 * membership holds at once whatever the standby's lag. Anything else
 * goes to the primary.
 */
static enum tt_err
run_one(struct tt_arena *a, struct tt_db_stmt *stmt, const char *sql,
    int nparams, const char *const *params, int retry, int standby,
    struct tt_db_res **out)
{
	enum tt_err	e;

	if (!standby || tt_config.database_read_url == NULL || in_tx)
		return run_here(a, stmt, sql, nparams, params, retry, out);
	if ((e = pass_gate(a)) != TT_OK)
		return e;
	on = &reader;
	e = run_here(a, stmt, sql, nparams, params, retry, out);
	on = &primary;
	return e;
}

struct tt_db_res *
tt_dbconn_keep(struct tt_arena *a, PGresult *res)
{
	struct tt_db_res	*r;

	r = tt_arena_alloc(a, sizeof(*r));
	r->res = res;
	tt_arena_defer(a, res_clear, res);
	return r;
}

enum tt_err
tt_db_run(struct tt_arena *a, struct tt_db_stmt *stmt,
    const char *const *params, struct tt_db_res **out)
{
	return run_one(a, stmt, NULL, stmt->nparams, params, stmt->retry,
	    stmt->standby, out);
}

enum tt_err
tt_db_exec(struct tt_arena *a, const char *sql, int nparams,
    const char *const *params, struct tt_db_res **out)
{
	return run_one(a, NULL, sql, nparams, params, 0, 0, out);
}

enum tt_err
tt_db_select(struct tt_arena *a, const char *sql, int nparams,
    const char *const *params, struct tt_db_res **out)
{
	return run_one(a, NULL, sql, nparams, params, 1, 0, out);
}

enum tt_err
tt_db_read(struct tt_arena *a, const char *sql, int nparams,
    const char *const *params, struct tt_db_res **out)
{
	return run_one(a, NULL, sql, nparams, params, 1, 1, out);
}

enum tt_err
tt_db_begin(struct tt_arena *a)
{
	struct tt_db_res	*r;
	enum tt_err		 e;

	/* A pending gate first, alone: it must pass before the transaction. */
	if ((e = pass_gate(a)) != TT_OK)
		return e;
	/* BEGIN itself is safe to resend on a fresh connection. */
	if ((e = run_here(a, NULL, "BEGIN", 0, NULL, 1, &r)) == TT_OK)
		in_tx = 1;
	return e;
}

enum tt_err
tt_db_commit(struct tt_arena *a)
{
	struct tt_db_res	*r;
	enum tt_err		 e;

	e = run_here(a, NULL, "COMMIT", 0, NULL, 0, &r);
	in_tx = 0;
	return e;
}

void
tt_db_rollback(struct tt_arena *a)
{
	struct tt_db_res	*r;

	/* Never behind a gate: nothing of the request's data. */
	if (on->pg != NULL && PQtransactionStatus(on->pg) != PQTRANS_IDLE) {
		in_tx = 1;
		(void)run_here(a, NULL, "ROLLBACK", 0, NULL, 0, &r);
	}
	in_tx = 0;
}

void
tt_db_end_request(void)
{
	PGresult	*res;

	gate.state = TT_DB_GATE_NONE;
	if (on->pg != NULL && PQtransactionStatus(on->pg) != PQTRANS_IDLE) {
		res = command_result(PQsendQuery(on->pg, "ROLLBACK"));
		PQclear(res);
	}
	in_tx = 0;
	silent = 0;
	warned = 0;
}

int
tt_db_nrows(const struct tt_db_res *r)
{
	return PQntuples(r->res);
}

int64_t
tt_db_affected(const struct tt_db_res *r)
{
	const char	*s = PQcmdTuples(r->res);

	return s[0] ? strtoll(s, NULL, 10) : 0;
}

const char *
tt_db_get(const struct tt_db_res *r, int row, const char *col)
{
	int	c = PQfnumber(r->res, col);

	assert(c >= 0);
	if (c < 0 || row >= PQntuples(r->res) ||
	    PQgetisnull(r->res, row, c))
		return NULL;
	return PQgetvalue(r->res, row, c);
}

int
tt_db_col(const struct tt_db_res *r, const char *col)
{
	return PQfnumber(r->res, col);
}

const char *
tt_db_val(const struct tt_db_res *r, int row, int col)
{
	if (col < 0 || row >= PQntuples(r->res) ||
	    PQgetisnull(r->res, row, col))
		return NULL;
	return PQgetvalue(r->res, row, col);
}

const char *
tt_db_last_sqlstate(void)
{
	return last_state;
}

TT_DB_STMT(stmt_schema) = {
	.name = "db_schema_version",
	.sql = "SELECT coalesce(max(version), 0) AS version FROM "
	    "schema_migrations",
	.retry = 1,
};

enum tt_err
tt_db_schema_version(struct tt_arena *a, int64_t *version)
{
	struct tt_db_res	*res;
	const char		*v;
	enum tt_err		 e;

	*version = 0;
	e = tt_db_run(a, &stmt_schema, NULL, &res);
	if (e != TT_OK)
		return strcmp(last_state, "42P01") == 0 ? TT_ENOTFOUND : e;
	if ((v = tt_db_get(res, 0, "version")) != NULL)
		*version = strtoll(v, NULL, 10);
	return TT_OK;
}

enum tt_err
tt_db_exec_script(const char *sql, char *err, size_t errlen)
{
	PGresult	*res;
	enum tt_err	 e = TT_OK;

	if (tt_dbconn_ready(1) != 0) {
		snprintf(err, errlen, "database unreachable");
		return TT_EUNAVAIL;
	}
	res = PQexec(on->pg, sql);	/* lint: allow: shipped migration file */
	warned = 0;	/* a migration's warnings are only logged */
	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)) {
		snprintf(err, errlen, "%s", on->pg ? PQerrorMessage(on->pg) : "");
		e = tt_dbconn_lost(res) ? TT_EUNAVAIL : TT_EINTERNAL;
	}
	PQclear(res);
	return e;
}

/* Two digits at s, or -1. */
static int
two(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int
tt_db_time(const char *v, char utc[TT_DB_UTC_LEN], int64_t *us)
{
	struct tm	tm;
	int64_t		frac = 0;
	const char	*start;
	int		i, y1, y2, f[5];
	time_t		t;

	/* "YYYY-MM-DD HH:MM:SS[.ffffff]+00": timestamptz in UTC, ISO. */
	if (v == NULL || strlen(v) < 22 || (y1 = two(v)) < 0 ||
	    (y2 = two(v + 2)) < 0 || v[4] != '-' || v[7] != '-' ||
	    v[10] != ' ' || v[13] != ':' || v[16] != ':')
		return -1;
	for (i = 0; i < 5; i++)
		if ((f[i] = two(v + 5 + 3 * i)) < 0)
			return -1;
	start = v;
	v += 19;
	if (*v == '.') {
		for (i = 0, v++; i < 6; i++) {
			frac *= 10;
			if (*v >= '0' && *v <= '9')
				frac += *v++ - '0';
		}
	}
	if (strcmp(v, "+00") != 0)
		return -1;
	if (utc != NULL) {
		/* Every digit was checked: the text itself, re-punctuated. */
		memcpy(utc, start, 19);
		utc[10] = 'T';
		utc[19] = 'Z';
		utc[20] = '\0';
	}
	if (us == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon = f[0] - 1;
	tm.tm_mday = f[1];
	tm.tm_hour = f[2];
	tm.tm_min = f[3];
	tm.tm_sec = f[4];
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*us = (int64_t)t * 1000000 + frac;
	return 0;
}
