/*
 * test_dbconn.c: db.c against a server (tests/unit/testdb.h): how long a
 * silent server is waited for, and the read connection
 * (TT_DATABASE_READ_URL): where a .standby read goes, and that a pending
 * session gate is settled on the primary before it; a server warning
 * that is not a synchronous standby's is only logged; the URL's own
 * options are kept beside the programs' settings; TT_DATABASE_PREPARE=0
 * prepares nothing on the connection.
 */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "arena.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "testdb.h"

TT_DB_STMT(stmt_pid) = {
	.name = "test_dbconn_pid",
	.sql = "SELECT pg_backend_pid()::text AS v, "
	    "current_setting('application_name') AS app",
	.retry = 1,
};

TT_DB_STMT(stmt_pid_standby) = {
	.name = "test_dbconn_pid_standby",
	.sql = "SELECT pg_backend_pid()::text AS v, "
	    "current_setting('application_name') AS app",
	.retry = 1,
	.standby = 1,
};

/* A read that leaves a trace: it advances a sequence when it runs. */
TT_DB_STMT(stmt_trace) = {
	.name = "test_dbconn_trace",
	.sql = "SELECT nextval('test_dbconn_seq')::text AS v",
	.retry = 1,
	.standby = 1,
};

/*
 * A gate that refuses ($1 = 'no') or passes, as session.c's does; and
 * refuses on the read connection, where a gate must never run.
 */
TT_DB_STMT(stmt_gate) = {
	.name = "test_dbconn_gate",
	.sql = "SELECT 1 AS pass WHERE (CASE WHEN $1 = 'yes' AND "
	    "current_setting('application_name') <> 'test-reader' THEN '1' "
	    "ELSE 'refused' END)::int = 1",
	.nparams = 1,
	.retry = 1,
};

/* A warning raised by SQL (SQLSTATE 01000, as the standby's). */
TT_DB_STMT(stmt_warn) = {
	.name = "test_dbconn_warn",
	.sql = "SELECT test_dbconn_warn()::text AS v",
	.retry = 1,
};

TT_DB_STMT(stmt_settings) = {
	.name = "test_dbconn_settings",
	.sql = "SELECT current_setting('synchronous_commit') || ' ' || "
	    "current_setting('timezone') || ' ' || (SELECT setting FROM "
	    "pg_settings WHERE name = 'statement_timeout') AS v",
	.retry = 1,
};

/* The named statements of the backend that runs it. */
TT_DB_STMT(stmt_prepared) = {
	.name = "test_dbconn_prepared",
	.sql = "SELECT count(*)::text AS v FROM pg_prepared_statements",
	.retry = 1,
};

/* A write, for tt_db_run_apart's pipeline (BEGIN, nowait, COMMIT...). */
TT_DB_STMT(stmt_bump) = {
	.name = "test_dbconn_bump",
	.sql = "SELECT nextval('test_dbconn_seq')::text AS v",
	.retry = 1,
};

static const char *
pid_of(struct tt_arena *a, struct tt_db_stmt *st, const char **app)
{
	struct tt_db_res	*r;

	assert_int_equal(tt_db_run(a, st, NULL, &r), TT_OK);
	if (app != NULL)
		*app = tt_db_get(r, 0, "app");
	return tt_db_get(r, 0, "v");
}

/*
 * A backend that stops answering (SIGSTOP: the socket still takes what
 * is sent, nothing comes back): the statement ends after the statement
 * timeout and a second, as TT_EUNAVAIL; the rest of the request gets no
 * new connection; the next request works on a new one.
 */
static void
test_silent_server(void **state)
{
	struct tt_arena		*a = tt_arena_new();
	struct tt_db_res	*r;
	const char		*pid, *pid2;
	int64_t			 saved = tt_config.statement_timeout_ms, t0, ms;
	enum tt_err		 e;

	(void)state;
	tt_config.statement_timeout_ms = 300;
	tt_db_close();		/* the next connection takes the new timeout */
	pid = pid_of(a, &stmt_pid, NULL);
	assert_non_null(pid);
	assert_int_equal(kill((pid_t)atoi(pid), SIGSTOP), 0);
	t0 = tt_clock_mono_us();
	e = tt_db_run(a, &stmt_pid, NULL, &r);
	ms = (tt_clock_mono_us() - t0) / 1000;
	assert_int_equal(e, TT_EUNAVAIL);
	printf("# a silent backend was given up after %lld ms\n",
	    (long long)ms);
	assert_true(ms >= 1300 - 50 && ms < 1300 + 700);
	/* The same request: no new connection, at once. */
	t0 = tt_clock_mono_us();
	assert_int_equal(tt_db_run(a, &stmt_pid, NULL, &r), TT_EUNAVAIL);
	assert_true((tt_clock_mono_us() - t0) / 1000 < 100);
	assert_int_equal(kill((pid_t)atoi(pid), SIGCONT), 0);
	tt_db_end_request();
	/* The next request: a new connection, answered. */
	pid2 = pid_of(a, &stmt_pid, NULL);
	assert_non_null(pid2);
	assert_string_not_equal(pid, pid2);
	tt_config.statement_timeout_ms = saved;
	tt_db_end_request();
	tt_db_close();
	tt_arena_free(a);
}

/* With answer_wait 0 (ttctl's long statements) a slow answer is waited for. */
static void
test_no_deadline(void **state)
{
	struct tt_arena		*a = tt_arena_new();
	struct tt_db_res	*r;
	int64_t			 saved = tt_config.statement_timeout_ms;

	(void)state;
	tt_config.statement_timeout_ms = 100;
	tt_db_close();
	tt_db_set_answer_wait(0);
	assert_int_equal(tt_db_begin(a), TT_OK);
	assert_int_equal(tt_db_exec(a, "SET LOCAL statement_timeout = 0", 0,
	    NULL, &r), TT_OK);
	assert_int_equal(tt_db_exec(a, "SELECT pg_sleep(1.3)", 0, NULL, &r),
	    TT_OK);
	assert_int_equal(tt_db_commit(a), TT_OK);
	tt_db_set_answer_wait(-1);
	tt_config.statement_timeout_ms = saved;
	tt_db_end_request();
	tt_db_close();
	tt_arena_free(a);
}

/*
 * The read connection: .standby reads go there, other statements to the
 * primary, and reads inside a transaction stay on the primary.
 */
static void
test_reader_routes(void **state)
{
	struct tt_arena		*a = tt_arena_new();
	const char		*url = getenv("TT_DATABASE_URL"), *app, *p1;
	const char		*p2;

	(void)state;
	tt_config.database_read_url = tt_arena_printf(a,
	    "%s application_name=test-reader", url);
	tt_db_close();
	p1 = pid_of(a, &stmt_pid, &app);
	assert_string_not_equal(app, "test-reader");
	p2 = pid_of(a, &stmt_pid_standby, &app);
	assert_string_equal(app, "test-reader");
	assert_string_not_equal(p1, p2);
	assert_int_equal(tt_db_begin(a), TT_OK);
	(void)pid_of(a, &stmt_pid_standby, &app);
	assert_string_not_equal(app, "test-reader");
	tt_db_rollback(a);
	/* The primary's statements still run where they were prepared. */
	assert_string_equal(pid_of(a, &stmt_pid, NULL), p1);
	assert_string_equal(pid_of(a, &stmt_pid_standby, NULL), p2);
	tt_db_end_request();
	tt_db_close();
	tt_config.database_read_url = NULL;
	tt_arena_free(a);
}

/*
 * A pending gate and a .standby read: the gate runs alone on the primary
 * first; refused, the read never runs (its sequence does not move) and
 * the answer is TT_EREFUSED; passed, the read runs on the reader.
 */
static void
test_reader_after_gate(void **state)
{
	struct tt_arena		*a = tt_arena_new();
	struct tt_db_res	*r;
	const char		*url = getenv("TT_DATABASE_URL"), *before, *after;
	const char		*no[] = { "no" }, *yes[] = { "yes" };

	(void)state;
	(void)testdb_sql(a, "CREATE SEQUENCE IF NOT EXISTS test_dbconn_seq",
	    0, NULL);
	tt_config.database_read_url = tt_arena_printf(a,
	    "%s application_name=test-reader", url);
	tt_db_close();
	before = testdb_sql(a, "SELECT last_value::text AS v FROM "
	    "test_dbconn_seq", 0, NULL);
	tt_db_gate(&stmt_gate, no);
	assert_int_equal(tt_db_run(a, &stmt_trace, NULL, &r), TT_EREFUSED);
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_REFUSED);
	/* A handler that ignored the refusal reads nothing more. */
	assert_int_equal(tt_db_run(a, &stmt_trace, NULL, &r), TT_EREFUSED);
	tt_db_end_request();
	after = testdb_sql(a, "SELECT last_value::text AS v FROM "
	    "test_dbconn_seq", 0, NULL);
	assert_string_equal(before, after);
	tt_db_gate(&stmt_gate, yes);
	assert_int_equal(tt_db_run(a, &stmt_trace, NULL, &r), TT_OK);
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_PASSED);
	tt_db_end_request();
	tt_db_gate(NULL, NULL);
	tt_db_close();
	tt_config.database_read_url = NULL;
	tt_arena_free(a);
}

/*
 * Only a commit whose wait for a synchronous standby was cancelled fails
 * its answer (db.c, notice; tests/integration/database/
 * sync-standby-gone.sh): any other warning, here a RAISE WARNING (what a
 * wraparound warning or an operator's trigger would send), is logged
 * and the answer stands.
 */
static void
test_warning_logged(void **state)
{
	struct tt_arena		*a = tt_arena_new();
	struct tt_db_res	*r;

	(void)state;
	(void)testdb_sql(a, "CREATE OR REPLACE FUNCTION test_dbconn_warn() "
	    "RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
	    "RAISE WARNING 'a warning of the test'; RETURN 7; END $$", 0,
	    NULL);
	assert_int_equal(tt_db_run(a, &stmt_warn, NULL, &r), TT_OK);
	assert_string_equal(tt_db_get(r, 0, "v"), "7");
	assert_int_equal(tt_db_run(a, &stmt_warn, NULL, &r), TT_OK);
	tt_db_end_request();
	tt_arena_free(a);
}

/*
 * A URL's options (a site's -c settings: remote_apply for reading its
 * own writes through a standby, docs/OPERATIONS.md) are kept, and the
 * programs' settings still hold beside them, also where the URL names
 * the same one (timezone): answers' formats depend on it. Both URL
 * forms; options that end in a lone backslash (which would swallow the
 * space before ours) lose it.
 */
/* One keyword's value in a connection string. */
static const char *
conninfo(struct tt_arena *a, const char *url, const char *key)
{
	PQconninfoOption	*all, *o;
	const char		*v = "";

	all = PQconninfoParse(url, NULL);
	assert_non_null(all);
	for (o = all; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0 && o->val != NULL)
			v = tt_arena_strdup(a, o->val);
	PQconninfoFree(all);
	return v;
}

static void
test_url_options(void **state)
{
	struct tt_arena		*a = tt_arena_new();
	const char		*url = getenv("TT_DATABASE_URL"), *saved;
	long long		 ms = tt_config.statement_timeout_ms;

	(void)state;
	saved = tt_config.database_url;
	tt_config.database_url = tt_arena_printf(a, "%s options='-c "
	    "synchronous_commit=remote_apply -c timezone=Asia/Tokyo'", url);
	tt_db_close();
	assert_string_equal(pid_of(a, &stmt_settings, NULL),
	    tt_arena_printf(a, "remote_apply UTC %lld", ms));
	tt_db_end_request();

	/* The URI form. */
	tt_config.database_url = tt_arena_printf(a, "postgresql:///%s?"
	    "host=%s&port=%s&user=%s&options=-c%%20synchronous_commit%%3D"
	    "local", conninfo(a, url, "dbname"), conninfo(a, url, "host"),
	    conninfo(a, url, "port"), conninfo(a, url, "user"));
	tt_db_close();
	assert_string_equal(pid_of(a, &stmt_settings, NULL),
	    tt_arena_printf(a, "local UTC %lld", ms));
	tt_db_end_request();

	/* A trailing backslash (conninfo's \\ is one). */
	tt_config.database_url = tt_arena_printf(a, "%s options='-c "
	    "synchronous_commit=local\\\\'", url);
	tt_db_close();
	assert_string_equal(pid_of(a, &stmt_settings, NULL),
	    tt_arena_printf(a, "local UTC %lld", ms));
	tt_db_end_request();

	/* None in the URL: the server's default beside ours. */
	tt_config.database_url = saved;
	tt_db_close();
	assert_string_equal(pid_of(a, &stmt_settings, NULL),
	    tt_arena_printf(a, "on UTC %lld", ms));
	tt_db_end_request();
	tt_db_close();
	tt_arena_free(a);
}

/*
 * TT_DATABASE_PREPARE=0 (a pooler in transaction mode, whose server
 * connections other clients' named statements would collide on): every
 * path (one statement, a gated pipeline, a write with its flush, a
 * transaction) runs with no named statement left on the backend, and
 * gives the same answers; with 1 (the default) they are named.
 */
static void
test_unnamed_statements(void **state)
{
	struct tt_arena		*a = tt_arena_new();
	struct tt_db_res	*r;
	const char		*yes[] = { "yes" }, *no[] = { "no" }, *v;
	const char		*before;

	(void)state;
	(void)testdb_sql(a, "CREATE SEQUENCE IF NOT EXISTS test_dbconn_seq",
	    0, NULL);
	tt_config.database_prepare = 0;
	tt_db_close();
	assert_string_equal(pid_of(a, &stmt_prepared, NULL), "0");
	tt_db_gate(&stmt_gate, yes);
	assert_int_equal(tt_db_run(a, &stmt_bump, NULL, &r), TT_OK);
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_PASSED);
	tt_db_end_request();
	/* Refused: neither the read nor the write behind the gate ran. */
	before = testdb_sql(a, "SELECT last_value::text AS v FROM "
	    "test_dbconn_seq", 0, NULL);
	tt_db_gate(&stmt_gate, no);
	assert_int_equal(tt_db_run(a, &stmt_bump, NULL, &r), TT_EREFUSED);
	tt_db_end_request();
	tt_db_gate(&stmt_gate, no);
	assert_int_equal(tt_db_run_apart(a, &stmt_bump, NULL, &r),
	    TT_EREFUSED);
	tt_db_end_request();
	assert_string_equal(testdb_sql(a, "SELECT last_value::text AS v FROM "
	    "test_dbconn_seq", 0, NULL), before);
	tt_db_gate(&stmt_gate, yes);
	assert_int_equal(tt_db_run_apart(a, &stmt_bump, NULL, &r), TT_OK);
	v = tt_db_get(r, 0, "v");
	assert_non_null(v);
	tt_db_end_request();
	tt_db_gate(NULL, NULL);
	assert_int_equal(tt_db_begin(a), TT_OK);
	assert_int_equal(tt_db_run(a, &stmt_bump, NULL, &r), TT_OK);
	assert_int_equal(atoll(tt_db_get(r, 0, "v")), atoll(v) + 1);
	assert_int_equal(tt_db_commit(a), TT_OK);
	assert_string_equal(pid_of(a, &stmt_prepared, NULL), "0");
	tt_db_end_request();

	tt_config.database_prepare = 1;
	tt_db_close();
	assert_string_equal(pid_of(a, &stmt_prepared, NULL), "1");
	assert_int_equal(tt_db_run(a, &stmt_bump, NULL, &r), TT_OK);
	assert_string_equal(pid_of(a, &stmt_prepared, NULL), "2");
	tt_db_end_request();
	tt_db_close();
	tt_arena_free(a);
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silent_server),
		cmocka_unit_test(test_no_deadline),
		cmocka_unit_test(test_reader_routes),
		cmocka_unit_test(test_reader_after_gate),
		cmocka_unit_test(test_warning_logged),
		cmocka_unit_test(test_url_options),
		cmocka_unit_test(test_unnamed_statements),
	};

	return cmocka_run_group_tests(tests, testdb_open, testdb_close);
}
