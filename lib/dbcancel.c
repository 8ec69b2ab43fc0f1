/*
 * dbcancel.c: before db.c gives up on a connection whose server did not
 * answer in time, ask that server to cancel what the abandoned backend
 * is doing. The case it is for: a commit waiting for a synchronous
 * standby that is gone. PostgreSQL ends that wait only for a cancel or a
 * termination (not for statement_timeout, nor for a client that left),
 * so each abandoned write would keep its backend, and its locks, until a
 * standby returns, and the connections would pile up to max_connections
 * (behind a pooler too: it drops the server connection of a client that
 * left mid-transaction, but not the backend's wait).
 * Cancelled, the commit stays done on the primary (the request still
 * answers 503) and the backend ends once it finds its client gone.
 *
 * The protocol's CancelRequest (PQcancel), with the key the server gave
 * this connection: it reaches only our own backend, needs no connection
 * slot, and a pooler (PgBouncer) forwards it to the server connection our
 * client is linked to. PQcancel blocks (it connects, sends, then waits
 * for the server to close), so it runs in a child process, and the whole
 * attempt gets budget_ms: a host that is really silent (a dead machine)
 * costs exactly that, and the child is then killed. PQcancel may be
 * called where only async-signal-safe functions may (libpq's manual), so
 * a child of a process that holds other state can run it.
 */
/* SPDX-License-Identifier: MIT */
#include <libpq-fe.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "dbconn.h"
#include "log.h"

/* Waits for fd to close (the child's end of the pipe) until deadline. */
static int
wait_closed(int fd, int64_t deadline)
{
	struct pollfd	pfd;
	int64_t		left;
	char		c;
	int		r;

	for (;;) {
		left = (deadline - tt_clock_mono_us()) / 1000;
		if (left <= 0)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (read(fd, &c, 1) <= 0)
			return 0;	/* closed: the child is done */
	}
}

int
tt_dbconn_cancel(PGconn *pg, int64_t budget_ms)
{
	PGcancel	*cancel;
	int64_t		 deadline;
	pid_t		 child;
	int		 fds[2], status = 0, done, sent;
	char		 err[256];

	deadline = tt_clock_mono_us() + budget_ms * 1000;
	if ((cancel = PQgetCancel(pg)) == NULL)
		return -1;
	if (pipe(fds) != 0) {
		PQfreeCancel(cancel);
		return -1;
	}
	if ((child = fork()) == 0) {
		/* (Freed here too, for memcheck, which follows the child.) */
		close(fds[0]);
		sent = PQcancel(cancel, err, sizeof(err));
		PQfreeCancel(cancel);
		_exit(sent ? 0 : 1);
	}
	PQfreeCancel(cancel);
	close(fds[1]);
	if (child < 0) {
		close(fds[0]);
		tt_log_warnx("could not start the cancel request: fork failed");
		return -1;
	}
	done = wait_closed(fds[0], deadline) == 0;
	close(fds[0]);
	if (!done)
		kill(child, SIGKILL);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	return done && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : -1;
}
