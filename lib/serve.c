/* serve.c: FastCGI/CGI accept loop and the fixed request pipeline. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "clientaddr.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "serve.h"
#include "session.h"
#include "valid.h"

extern char	**environ;

/* Where the bytes go: a FastCGI request, or stdin/stdout under CGI. */
struct io {
	FCGX_Request	*fr;		/* NULL under CGI */
	int		 unread;	/* body left unread on purpose (413) */
};

static void	(*start_fn)(void);
static void	(*after_fn)(void *);
static void	*after_arg;
static volatile sig_atomic_t	stopping;
static void	(*idle_fn)(int);
static int	fastcgi;

void
tt_serve_at_start(void (*fn)(void))
{
	start_fn = fn;
}

void
tt_serve_after(void (*fn)(void *), void *arg)
{
	after_fn = fn;
	after_arg = arg;
}

static size_t
io_read(struct io *io, char *p, size_t n)
{
	size_t	got = 0;
	int	r;

	while (got < n) {
		if (io->fr != NULL) {
			size_t	want = n - got > INT32_MAX ? INT32_MAX : n - got;

			r = FCGX_GetStr(p + got, (int)want, io->fr->in);
			if (r <= 0)
				break;
			got += (size_t)r;
		} else {
			size_t	k = fread(p + got, 1, n - got, stdin);

			if (k == 0)
				break;
			got += k;
		}
	}
	return got;
}

static void
io_write(struct io *io, const char *p, size_t n)
{
	if (io->fr != NULL)
		(void)FCGX_PutStr(p, (int)n, io->fr->out);
	else
		(void)fwrite(p, 1, n, stdout);
}

static int
is_json_type(const char *ct)
{
	size_t	n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Content-Length, Content-Type, body read and JSON parse. */
static enum tt_err
read_body(struct io *io, struct tt_req *req, struct tt_resp *resp)
{
	const struct tt_route	*rt = req->route;
	const char		*cl, *ct, *why;
	int64_t			 len, limit;
	char			*buf;
	size_t			 got;
	int			 wants = rt->flags & (TT_ROUTE_JSON_BODY |
				    TT_ROUTE_OPTIONAL_JSON | TT_ROUTE_RAW_BODY);

	limit = rt->flags & TT_ROUTE_PLAN_BODY ? tt_config.max_plan_bytes :
	    rt->max_body ? (int64_t)rt->max_body : tt_config.max_body_bytes;
	cl = tt_req_env(req, "CONTENT_LENGTH");
	if (cl == NULL || cl[0] == '\0') {
		if (rt->flags & TT_ROUTE_JSON_BODY)
			return tt_resp_fail(resp, TT_ELENGTH, NULL,
			    "this request needs a JSON body with "
			    "Content-Length");
		return TT_OK;
	}
	if (tt_valid_int64(cl, 0, INT64_MAX, &len) != 0)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "Content-Length is not a non-negative integer");
	if (len > limit) {
		io->unread = 1;
		return tt_resp_fail(resp, TT_ETOOBIG, NULL,
		    "request body of %lld bytes exceeds the limit of %lld "
		    "bytes", (long long)len, (long long)limit);
	}
	if (len == 0) {
		if (rt->flags & TT_ROUTE_JSON_BODY)
			return tt_resp_fail(resp, TT_EJSON, NULL,
			    "empty body");
		return TT_OK;
	}
	if (!wants)
		return TT_OK;	/* a body this route ignores is not read */
	ct = tt_req_env(req, "CONTENT_TYPE");
	if (!(rt->flags & TT_ROUTE_RAW_BODY) && !is_json_type(ct)) {
		io->unread = 1;
		return TT_EMEDIA;
	}

	buf = tt_arena_alloc(req->arena, (size_t)len + 2);
	got = io_read(io, buf, (size_t)len);
	if (got != (size_t)len)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "request body is shorter than Content-Length");
	req->body = buf;
	req->body_len = got;
	buf[got] = '\0';
	if (rt->flags & TT_ROUTE_RAW_BODY)
		return TT_OK;	/* the handler checks and parses it */
	if ((req->json = tt_json_parse(req->arena, buf, got, &why)) == NULL)
		return tt_resp_fail(resp, TT_EJSON, NULL, "%s", why);
	return TT_OK;
}

/*
 * X-Request-Id: the client's when it is sane, else a process-random prefix
 * and a counter (unique without a CSPRNG call on every request).
 */
static void
new_request_id(struct tt_req *req)
{
	static unsigned char	 prefix[6];
	static char		 hexprefix[13];
	static uint64_t		 counter;
	const char		*in = tt_req_header(req, "X-Request-Id");

	if (tt_valid_request_id(in)) {
		req->request_id = in;
		return;
	}
	if (counter == 0) {
		tt_crypto_random(prefix, sizeof(prefix));
		tt_crypto_hex(prefix, sizeof(prefix), hexprefix);
	}
	counter++;
	req->request_id = tt_arena_printf(req->arena, "%s%012llx", hexprefix,
	    (unsigned long long)counter);
}

/* Splits REQUEST_URI (raw, as sent) into path and query. */
static void
split_uri(struct tt_req *req)
{
	const char	*uri, *q;
	const char	*script, *info;

	uri = tt_req_env(req, "REQUEST_URI");
	if (uri == NULL || uri[0] != '/') {
		script = tt_req_env(req, "SCRIPT_NAME");
		info = tt_req_env(req, "PATH_INFO");
		uri = tt_arena_printf(req->arena, "%s%s",
		    script ? script : "", info ? info : "");
		q = tt_req_env(req, "QUERY_STRING");
		req->path = uri[0] == '/' ? uri : "/";
		req->query = q ? q : "";
		return;
	}
	if ((q = strchr(uri, '?')) != NULL) {
		req->path = tt_arena_strndup(req->arena, uri, (size_t)(q - uri));
		req->query = q + 1;
	} else {
		req->path = uri;
		req->query = "";
	}
}

static enum tt_err
dispatch(struct io *io, const struct tt_route *routes, size_t n,
    struct tt_req *req, struct tt_resp *resp)
{
	enum tt_err	e;
	unsigned	allow;

	/* An unknown method (0) matches no route: 404, or 405 with Allow. */
	switch (tt_route_match(routes, n, req, &allow)) {
	case TT_ROUTE_NO_PATH:
		return tt_resp_fail(resp, TT_ENOTFOUND, NULL,
		    "no such path");
	case TT_ROUTE_NO_METHOD:
		resp->allow = allow;
		return tt_resp_fail(resp, TT_EMETHOD, NULL,
		    "method %s not allowed on this path", req->method_name);
	case TT_ROUTE_FOUND:
		break;
	}
	if ((e = read_body(io, req, resp)) != TT_OK)
		return e;
	/* The session (lib/session.c): its verdict is final before any of
	 * the handler's answer is written. */
	if ((req->route->flags & TT_ROUTE_AUTH) &&
	    (e = tt_session_require(req, resp)) != TT_OK)
		return e;
	e = req->route->handler(req, resp);
	return tt_session_finish(req, resp, e);
}

static void
write_response(struct io *io, struct tt_req *req, struct tt_resp *resp)
{
	struct tt_buf	 h = { 0 };

	tt_buf_printf(&h, "Status: %d %s\r\n", resp->status,
	    tt_http_reason(resp->status));
	if (!resp->has_content_type && resp->status != 204 &&
	    resp->status != 304)
		tt_buf_puts(&h, "Content-Type: application/json\r\n");
	if (!resp->has_cache_control)
		tt_buf_puts(&h, "Cache-Control: no-store\r\n");
	tt_buf_puts(&h, "X-Content-Type-Options: nosniff\r\n");
	tt_buf_printf(&h, "X-Request-Id: %s\r\n", req->request_id);
	if (resp->headers.n)
		tt_buf_put(&h, resp->headers.p, resp->headers.n);
	if (resp->status == 204 || resp->status == 304)
		tt_buf_clear(&resp->body);
	tt_buf_printf(&h, "Content-Length: %zu\r\n\r\n", resp->body.n);
	io_write(io, h.p, h.n);
	if (resp->body.n && req->method != TT_HEAD)
		io_write(io, resp->body.p, resp->body.n);
	tt_buf_free(&h);
}

static void
handle(struct io *io, char **envp, struct tt_arena *arena,
    const struct tt_route *routes, size_t n)
{
	struct tt_req	 req;
	struct tt_resp	 resp;
	struct timespec	 t0, t1;
	enum tt_err	 e;
	long		 ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.arena = arena;
	req.envp = envp;
	req.now = time(NULL);
	req.method_name = tt_req_env(&req, "REQUEST_METHOD");
	if (req.method_name == NULL)
		req.method_name = "GET";
	req.method = tt_http_method(req.method_name);
	/* Behind trusted proxies, the address X-Forwarded-For vouches for. */
	req.remote_addr = tt_clientaddr(arena, tt_req_env(&req, "REMOTE_ADDR"),
	    tt_req_header(&req, "X-Forwarded-For"), tt_config.trusted_proxies,
	    tt_config.ntrusted_proxies);
	new_request_id(&req);
	tt_log_set_request(req.request_id);
	split_uri(&req);

	e = dispatch(io, routes, n, &req, &resp);
	if (e != TT_OK) {
		if (e == TT_EMETHOD)
			tt_resp_header(&resp, "Allow", "%s",
			    tt_http_allow(arena, resp.allow));
		tt_http_error(&resp, e);
		if (e == TT_EINTERNAL)
			tt_log_errx("internal error answering %s %s",
			    req.method_name, req.path);
	} else if (resp.status == 0)
		resp.status = 200;
	write_response(io, &req, &resp);
	tt_db_end_request();

	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	tt_log_info("%s %s %d %ldms user=%s", req.method_name, req.path,
	    resp.status, ms, tt_session_user(&req));
	tt_log_set_request(NULL);
	tt_buf_free(&resp.headers);
	tt_buf_free(&resp.body);
}

/*
 * Ends a FastCGI request. libfcgi's close waits (up to 2 s) for the web
 * server to close its end first, which holds this single-threaded process
 * idle for a scheduler round trip on every request. When all input has
 * been consumed nothing can be reset by closing at once, so detach and
 * close without that wait; a request whose body was refused unread keeps
 * the graceful close.
 */
static void
finish(struct io *io)
{
	char	buf[4096];
	int	n;

	if (!io->unread) {
		while ((n = FCGX_GetStr(buf, sizeof(buf), io->fr->in)) > 0)
			;
		if (FCGX_HasSeenEOF(io->fr->in))
			(void)FCGX_Detach(io->fr);
	}
	FCGX_Finish_r(io->fr);
}

int
tt_serve_busy(int wait_ms)
{
	struct pollfd	pfd;
	int		r;

	if (!fastcgi)
		return 0;
	pfd.fd = 0;	/* FCGI_LISTENSOCK_FILENO */
	pfd.events = POLLIN;
	pfd.revents = 0;
	do
		r = poll(&pfd, 1, wait_ms);
	while (r < 0 && errno == EINTR && !stopping);
	return r == 1 && (pfd.revents & POLLIN);
}

void
tt_serve_idle(void (*fn)(int))
{
	idle_fn = fn;
}

static void
run_idle(int last)
{
	void	(*fn)(int) = idle_fn;

	idle_fn = NULL;
	if (fn != NULL)
		fn(last);
}

/*
 * Waits for a request to accept: 1 when one is waiting, 0 when none came
 * within ms (-1: no limit) or a signal came first. The listening socket
 * is non-blocking: accept is tried first and fails with EAGAIN when no
 * request waits (or another process sharing the socket took it), so a
 * process with work left for later never blocks in accept.
 */
static int
wait_request(int ms)
{
	struct pollfd	pfd;

	pfd.fd = 0;	/* FCGI_LISTENSOCK_FILENO */
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, ms) == 1;
}

/*
 * SIGTERM, which lighttpd and mod_fcgid send their programs when they
 * stop: finish the request in hand, then leave the accept loop so that
 * main returns and everything is freed (valgrind and LeakSanitizer then
 * report on a clean exit). The wait for a request (poll) returns at
 * once, and FCGX_ShutdownPending makes libfcgi give up instead of
 * retrying an accept.
 */
static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static void
catch_term(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	(void)sigaction(SIGTERM, &sa, NULL);
	/* libfcgi's own SIGUSR1 handler would only stop its accept. */
	(void)sigaction(SIGUSR1, &sa, NULL);
}

static void
run_after(void)
{
	void	(*fn)(void *) = after_fn;

	if (fn == NULL)
		return;
	after_fn = NULL;
	fn(after_arg);
}

int
tt_serve(const char *prog, const struct tt_route *routes, size_t n)
{
	struct tt_arena	*arena;
	FCGX_Request	 fr;
	struct io	 io;
	int		 rc;

	tt_config_load_or_die(prog);
	tt_db_set_app(prog);
	if (start_fn != NULL)
		start_fn();
	arena = tt_arena_new();

	if (FCGX_IsCGI()) {
		io.fr = NULL;
		io.unread = 0;
		handle(&io, environ, arena, routes, n);
		fflush(stdout);
		fclose(stdout);
		run_after();
		goto out;
	}

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0 ||
	    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) != 0) {
		tt_log_errx("could not initialise FastCGI");
		tt_arena_free(arena);
		return 1;
	}
	fastcgi = 1;
	catch_term();
	io.fr = &fr;
	while (!stopping) {
		/* Under load a request is already waiting: no poll. */
		rc = FCGX_Accept_r(&fr);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR) {
			if (!wait_request(idle_fn != NULL ? TT_SERVE_IDLE_MS :
			    -1) && !stopping)
				run_idle(0);
			continue;
		}
		if (rc < 0)
			break;
		io.unread = 0;
		handle(&io, fr.envp, arena, routes, n);
		finish(&io);
		run_after();
		tt_arena_reset(arena);
	}
	FCGX_Free(&fr, 1);
out:
	run_idle(1);
	tt_arena_free(arena);
	tt_session_cleanup();
	tt_db_close();
	return 0;
}
