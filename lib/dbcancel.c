/*
 * dbcancel.c: before db.c gives up on a connection whose server did not
 * answer in time, ask that server, over a connection of its own, to
 * cancel what the abandoned backend is doing. The case it is for: a
 * commit waiting for a synchronous standby that is gone. PostgreSQL
 * ends that wait only for a cancel or a termination (not for
 * statement_timeout, nor for a client that left), so each abandoned
 * write would keep its backend, and its locks, until a standby returns,
 * and the connections would pile up to max_connections. Cancelled, the
 * commit stays done on the primary (the request still answers 503) and
 * the backend ends once it finds its client gone.
 *
 * Bounded: the whole attempt (connecting, authenticating, the query)
 * gets budget_ms, polled without blocking, to the address already
 * resolved (no name lookup); a host that is really silent (a dead
 * machine) costs exactly that and nothing more. It needs a free
 * connection slot (max_connections). Only a backend of our role and
 * application, waiting for synchronous replication, is cancelled: behind
 * a pooler the pid is the pooler's, which matches no such backend, and
 * nothing is cancelled (libpq 17's PQcancelStart would reach it).
 */
/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "dbconn.h"
#include "log.h"

/* Waits for the socket until `deadline` (monotonic µs); 0 when ready. */
static int
wait_socket(PGconn *c, int out, int64_t deadline)
{
	struct pollfd	pfd;
	int64_t		left;

	left = (deadline - tt_clock_mono_us()) / 1000;
	if (left <= 0 || PQsocket(c) < 0)
		return -1;
	pfd.fd = PQsocket(c);
	pfd.events = out ? POLLOUT : POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, (int)left) > 0 ? 0 : -1;
}

/* This connection's notices: none is expected, none matters. */
static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * A connection to the host and port `pg` is connected to, with its other
 * parameters; NULL when not made by the deadline.
 */
static PGconn *
connect_same(PGconn *pg, int64_t deadline)
{
	PQconninfoOption	*opts, *o;
	const char		*keys[64], *vals[64];
	PGconn			*c;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int			 n = 0;

	if ((opts = PQconninfo(pg)) == NULL)
		return NULL;
	for (o = opts; o->keyword != NULL && n < 60; o++) {	/* ~40 */
		if (o->val == NULL || o->val[0] == '\0' ||
		    strcmp(o->keyword, "host") == 0 ||
		    strcmp(o->keyword, "hostaddr") == 0 ||
		    strcmp(o->keyword, "port") == 0 ||
		    strcmp(o->keyword, "target_session_attrs") == 0)
			continue;
		keys[n] = o->keyword;
		vals[n++] = o->val;
	}
	/* The server itself: its address as resolved (no lookup), and its
	 * name for TLS verification; a socket directory has no address. */
	keys[n] = "host";	vals[n++] = PQhost(pg);
	if (PQhostaddr(pg) != NULL && PQhostaddr(pg)[0] != '\0') {
		keys[n] = "hostaddr";	vals[n++] = PQhostaddr(pg);
	}
	keys[n] = "port";	vals[n++] = PQport(pg);
	keys[n] = NULL;		vals[n] = NULL;
	c = PQconnectStartParams(keys, vals, 0);
	PQconninfoFree(opts);
	if (c == NULL || PQstatus(c) == CONNECTION_BAD)
		goto fail;
	PQsetNoticeProcessor(c, quiet, NULL);
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED ||
		    wait_socket(c, st == PGRES_POLLING_WRITING, deadline) != 0)
			goto fail;
		st = PQconnectPoll(c);
	}
	return c;
fail:
	PQfinish(c);
	return NULL;
}

int
tt_dbconn_cancel_waiting(PGconn *pg, int64_t budget_ms)
{
	PGconn		*c;
	PGresult	*res;
	char		 pid[24];
	const char	*params[1] = { pid };
	int64_t		 deadline;
	int		 done = -1, f;

	deadline = tt_clock_mono_us() + budget_ms * 1000;
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(pg));
	if ((c = connect_same(pg, deadline)) == NULL)
		return -1;
	if (PQsetnonblocking(c, 1) != 0 ||
	    !PQsendQueryParams(c, "SELECT count(*) FILTER (WHERE "
	    "pg_cancel_backend(pid)) "
	    "FROM pg_stat_activity WHERE pid = $1 AND usename = current_user "
	    "AND application_name = current_setting('application_name') "
	    "AND wait_event = 'SyncRep'", 1, NULL, params, NULL, NULL, 0))
		goto out;
	for (;;) {
		while ((f = PQflush(c)) == 1 || (f == 0 && PQisBusy(c))) {
			if (wait_socket(c, f == 1, deadline) != 0 ||
			    !PQconsumeInput(c))
				goto out;
		}
		if (f != 0)
			goto out;
		if ((res = PQgetResult(c)) == NULL)
			break;
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQntuples(res) == 1)
			done = strcmp(PQgetvalue(res, 0, 0), "1") == 0;
		PQclear(res);
	}
out:
	PQfinish(c);
	return done;
}
