/* github.c: HTTP to GitHub over libcurl: limits, retries, rate limits,
 * budgets, path and name checks; no credentials of its own (ghauth.c). */
/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "github.h"
#include "json.h"
#include "log.h"
#include "valid.h"

#define CONNECT_MS	3000
#define TOTAL_MS	10000
#define MAX_BODY	(10L * 1024 * 1024)	/* response bytes kept */
#define MAX_PATH	2048
#define TRIES		3			/* 5xx or network error */
#define BACKOFF_MS	500			/* 0.5 s, 1 s, 2 s, jittered */
#define SECONDARY_S	60	/* a secondary rate limit without headers */
#define MAX_WAIT_S	86400

/* What the callbacks collected from one exchange. */
struct xfer {
	struct tt_buf	 body;
	int		 too_big;
	int64_t		 retry_after;	/* -1 when absent */
	int64_t		 remaining;	/* x-ratelimit-remaining, -1 absent */
	int64_t		 reset;		/* x-ratelimit-reset, -1 absent */
};

/* One request as curl is told it. */
struct req {
	const char	*method;
	const char	*url;
	const char	*auth;		/* Authorization value or NULL; secret */
	const char	*accept;
	const char	*body;		/* JSON text or NULL */
	const char	*protocols;
};

static int64_t	 now_ms(void);
static int64_t	 budget_left(void);
static const char *base_protocols(const char *, size_t *);
static size_t	 on_body(char *, size_t, size_t, void *);
static size_t	 on_header(char *, size_t, size_t, void *);
static struct curl_slist *add_header(struct curl_slist *, const char *);
static void	 free_headers(struct curl_slist *);
static enum tt_err handle(void);
static CURLcode	 exchange(const struct req *, int64_t, struct xfer *,
		    long *, char *);
static int64_t	 rate_limit_wait(long, const struct xfer *,
		    const struct tt_github_resp *);
static int	 backoff(int);

/*
 * The process's one easy handle, reused so that connections to the API
 * are kept alive between calls (curl_easy_reset keeps the connection
 * cache). Each program is single-threaded.
 */
static CURL	*curl;
static int	 curl_ready;	/* curl_global_init done */
static int64_t	 deadline;	/* CLOCK_MONOTONIC ms; 0: none */

static int64_t
now_ms(void)
{
	return tt_clock_mono_us() / 1000;
}

void
tt_github_set_budget_ms(int64_t ms)
{
	deadline = ms > 0 ? now_ms() + ms : 0;
}

/* Milliseconds one exchange may take now; 0 when the budget is spent. */
static int64_t
budget_left(void)
{
	int64_t	left;

	if (deadline == 0)
		return TOTAL_MS;
	left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left < TOTAL_MS ? left : TOTAL_MS;
}

int
tt_github_name_valid(const char *s)
{
	size_t	i;

	if (s == NULL || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= 100 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return i > 0;
}

int
tt_github_method_valid(const char *m)
{
	static const char *const methods[] = { "GET", "POST", "PATCH", "PUT",
	    "DELETE" };
	size_t	i;

	for (i = 0; m != NULL && i < TT_NITEMS(methods); i++)
		if (strcmp(m, methods[i]) == 0)
			return 1;
	return 0;
}

/*
 * A path below the API base: "/" first, then only [A-Za-z0-9._~/?&=,%+-],
 * no "//", no "." or ".." segment, every '%' followed by two hex digits
 * and, before the query, no encoded '.', '/' or '\' (so no encoded dot
 * segment either). Names such as "my..repo" stay possible: only whole
 * dot segments are refused. No CR, LF, space, ':' (no scheme) or '@'.
 */
int
tt_github_path_valid(const char *p)
{
	size_t	i, seg;
	int	query = 0;
	char	c;

	if (p == NULL || p[0] != '/' || strstr(p, "//") != NULL)
		return 0;
	for (i = 0, seg = 0; p[i] != '\0'; i++) {
		if (i >= MAX_PATH)
			return 0;
		c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("._~/?&=,%+-", c) != NULL))
			return 0;
		if (c == '%') {
			if (tt_valid_hexdigit(p[i + 1]) < 0 ||
			    tt_valid_hexdigit(p[i + 2]) < 0)
				return 0;
			if (!query && (strncasecmp(p + i, "%2e", 3) == 0 ||
			    strncasecmp(p + i, "%2f", 3) == 0 ||
			    strncasecmp(p + i, "%5c", 3) == 0))
				return 0;
		}
		if (query)
			continue;
		if (c == '/' || c == '?') {
			/* The segment p[seg..i) ends here. */
			if ((i - seg == 1 && p[seg] == '.') ||
			    (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'))
				return 0;
			seg = i + 1;
			query = c == '?';
		}
	}
	if (!query && ((i - seg == 1 && p[seg] == '.') ||
	    (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.')))
		return 0;
	return 1;
}

/*
 * The protocols curl may use for the configured base URL, and its length
 * without trailing slashes: https, or http too when the base is plain
 * http to a loopback host (config.c refuses any other http base; this is
 * checked again here). NULL when the base is unusable.
 */
static const char *
base_protocols(const char *base, size_t *len)
{
	static const char *const loopback[] = { "127.0.0.1", "localhost",
	    "[::1]" };
	const char	*host;
	size_t		 i, n;

	if (base == NULL)
		return NULL;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	*len = n;
	if (strncmp(base, "https://", 8) == 0 && n > 8)
		return "https";
	if (strncmp(base, "http://", 7) != 0)
		return NULL;
	host = base + 7;
	for (i = 0; i < TT_NITEMS(loopback); i++) {
		n = strlen(loopback[i]);
		if (strncmp(host, loopback[i], n) == 0 &&
		    (host[n] == '\0' || host[n] == ':' || host[n] == '/'))
			return "http,https";
	}
	return NULL;
}

/* The body, kept up to MAX_BODY; more makes curl fail the transfer. */
static size_t
on_body(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct xfer	*x = arg;
	size_t		 n = sz * nmemb;

	if (n > (size_t)MAX_BODY - x->body.n) {
		x->too_big = 1;
		return 0;	/* CURLE_WRITE_ERROR */
	}
	tt_buf_put(&x->body, p, n);
	return n;
}

/* The rate-limit headers; a status line (1xx, then the final) resets them. */
static size_t
on_header(char *p, size_t sz, size_t nmemb, void *arg)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} want[] = {
		{ "retry-after", offsetof(struct xfer, retry_after) },
		{ "x-ratelimit-remaining", offsetof(struct xfer, remaining) },
		{ "x-ratelimit-reset", offsetof(struct xfer, reset) },
	};
	struct xfer	*x = arg;
	size_t		 n = sz * nmemb, i, len, vlen;
	const char	*v;
	int64_t		 val;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		x->retry_after = x->remaining = x->reset = -1;
		return n;
	}
	for (i = 0; i < TT_NITEMS(want); i++) {
		len = strlen(want[i].name);
		if (n <= len || p[len] != ':' ||
		    strncasecmp(p, want[i].name, len) != 0)
			continue;
		v = p + len + 1;
		vlen = n - len - 1;
		while (vlen > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
		    v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		/* Seconds only; an HTTP-date retry-after counts as absent. */
		if (tt_valid_int64n(v, vlen, 0, INT64_MAX / 2, &val) == 0)
			*(int64_t *)(void *)((char *)x + want[i].off) = val;
	}
	return n;
}

static struct curl_slist *
add_header(struct curl_slist *h, const char *line)
{
	struct curl_slist	*n;

	if ((n = curl_slist_append(h, line)) == NULL)
		tt_oom(strlen(line));
	return n;
}

/* Frees a header list, wiping each line first (one holds a token). */
static void
free_headers(struct curl_slist *h)
{
	struct curl_slist	*s;

	for (s = h; s != NULL; s = s->next)
		OPENSSL_cleanse(s->data, strlen(s->data));
	curl_slist_free_all(h);
}

/* The process's easy handle, created (with curl's global state) once. */
static enum tt_err
handle(void)
{
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			tt_log_errx("github: curl_global_init failed");
			return TT_EINTERNAL;
		}
		curl_ready = 1;
	}
	if (curl == NULL && (curl = curl_easy_init()) == NULL) {
		tt_log_errx("github: curl_easy_init failed");
		return TT_EINTERNAL;
	}
	curl_easy_reset(curl);
	return TT_OK;
}

/*
 * One exchange, no retry, within left ms. Sets *status (0 when no answer
 * came) and err (curl's message, CURL_ERROR_SIZE bytes).
 */
static CURLcode
exchange(const struct req *r, int64_t left, struct xfer *x, long *status,
    char *err)
{
	struct curl_slist	*h = NULL;
	struct tt_buf		 auth = { 0 };
	CURLcode		 rc;

	*status = 0;
	err[0] = '\0';
	tt_buf_printf(&auth, "Authorization:%s%s", r->auth != NULL ? " " : "",
	    r->auth != NULL ? r->auth : "");
	h = add_header(h, r->accept);
	h = add_header(h, "X-GitHub-Api-Version: 2022-11-28");
	h = add_header(h, auth.p);
	/* No form type on a body-less POST, no 100-continue round trip. */
	h = add_header(h, r->body != NULL ? "Content-Type: application/json" :
	    "Content-Type:");
	h = add_header(h, "Expect:");
	OPENSSL_cleanse(auth.p, auth.n);
	tt_buf_free(&auth);

	curl_easy_setopt(curl, CURLOPT_URL, r->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, r->protocols);
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(left < CONNECT_MS ? left : CONNECT_MS));
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)MAX_BODY);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "terrateam-c");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, x);
	if (strcmp(r->method, "GET") == 0)
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	else {
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r->method);
		if (r->body != NULL || strcmp(r->method, "DELETE") != 0) {
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
			    r->body != NULL ? r->body : "");
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)(r->body != NULL ? strlen(r->body) : 0));
		}
	}

	rc = curl_easy_perform(curl);
	/* Also after a failure: a refused body still had a status. */
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status) !=
	    CURLE_OK)
		*status = 0;
	/* The handle must not keep pointers to the list or the buffer. */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	free_headers(h);
	return rc;
}

/*
 * Seconds to wait when a 403 or 429 is a rate limit, else -1: the
 * retry-after header; for x-ratelimit-remaining 0 the time until
 * x-ratelimit-reset; for any other 429, or a 403 whose message speaks of
 * a rate limit (a secondary limit without headers), SECONDARY_S.
 */
static int64_t
rate_limit_wait(long status, const struct xfer *x,
    const struct tt_github_resp *r)
{
	const char	*msg;
	int64_t		 w;

	if (status != 403 && status != 429)
		return -1;
	if (x->retry_after >= 0)
		w = x->retry_after;
	else if (x->remaining == 0 && x->reset >= 0)
		w = x->reset - (int64_t)time(NULL);
	else if (status == 429 || x->remaining == 0)
		w = SECONDARY_S;
	else {
		msg = tt_json_string(r->json, "message");
		if (msg == NULL)
			msg = r->body;
		if (msg == NULL || strcasestr(msg, "rate limit") == NULL)
			return -1;
		w = SECONDARY_S;
	}
	return w < 1 ? 1 : w > MAX_WAIT_S ? MAX_WAIT_S : w;
}

/*
 * Sleeps before try number try + 1: BACKOFF_MS doubled per try, +-25 %.
 * Returns 0 without sleeping when the wait would pass the budget.
 */
static int
backoff(int try)
{
	struct timespec	ts;
	uint32_t	r;
	int64_t		ms = (int64_t)BACKOFF_MS << (try - 1);

	tt_crypto_random(&r, sizeof(r));
	ms = ms * 3 / 4 + (int64_t)(r % (uint32_t)(ms / 2 + 1));
	if (deadline != 0 && now_ms() + ms >= deadline)
		return 0;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return 1;
}

/* One exchange with base (an API or web URL) + path; auth may be NULL. */
static enum tt_err
http_at(struct tt_arena *a, const char *base, const char *accept,
    const char *method, const char *path, const char *auth, const char *body,
    int retry, struct tt_github_resp *out)
{
	struct req	 r;
	struct xfer	 x;
	char		 err[CURL_ERROR_SIZE];
	const char	*why;
	size_t		 baselen;
	int64_t		 left, wait;
	long		 status;
	CURLcode	 rc;
	int		 try, tries = 0, again, plen;
	enum tt_err	 e;

	memset(out, 0, sizeof(*out));
	if (!tt_github_method_valid(method)) {
		out->error = "invalid method";
		return TT_EINVAL;
	}
	if (!tt_github_path_valid(path)) {
		out->error = "invalid path";
		return TT_EINVAL;
	}
	if (auth != NULL && strpbrk(auth, "\r\n") != NULL) {
		out->error = "invalid credentials";
		return TT_EINVAL;
	}
	plen = (int)strcspn(path, "?");
	if ((r.protocols = base_protocols(base, &baselen)) == NULL) {
		out->error = base == tt_config.github_url ?
		    "unusable TT_GITHUB_URL" : "unusable TT_GITHUB_API_URL";
		tt_log_errx("github %s %.*s: %s is neither https nor http on "
		    "loopback", method, plen, path, out->error + 9);
		return TT_EUNAVAIL;
	}
	if ((e = handle()) != TT_OK) {
		out->error = "no HTTP client";
		return e;
	}
	r.method = method;
	r.url = tt_arena_printf(a, "%.*s%s", (int)baselen, base, path);
	r.auth = auth;
	r.accept = accept;
	r.body = body;

	for (try = 1; ; try++) {
		if ((left = budget_left()) == 0) {
			out->error = try == 1 ? "budget spent" :
			    tt_arena_printf(a, "%s; budget spent", out->error);
			break;
		}
		if (try > 1)
			curl_easy_reset(curl);
		memset(&x, 0, sizeof(x));
		x.retry_after = x.remaining = x.reset = -1;
		rc = exchange(&r, left, &x, &status, err);
		tries++;

		/* The arena owns the body from here (freed at reset). */
		out->status = status;
		out->retry_after = 0;
		out->json = NULL;
		out->error = NULL;
		if (x.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			tt_buf_free(&x.body);
			out->body = "";
			out->body_len = 0;
			out->error = "response too large";
			break;
		}
		if (x.body.p != NULL) {
			tt_arena_defer(a, free, x.body.p);
			out->body = x.body.p;
		} else
			out->body = "";
		out->body_len = x.body.n;
		if (out->body_len > 0)
			out->json = tt_json_parse(a, out->body, out->body_len,
			    &why);

		again = 0;
		if (rc != CURLE_OK) {
			out->error = tt_arena_strdup(a, err[0] != '\0' ? err :
			    curl_easy_strerror(rc));
			again = 1;
		} else if (status >= 300 && status < 400) {
			out->error = "redirect refused";
		} else if ((wait = rate_limit_wait(status, &x, out)) >= 0) {
			out->retry_after = wait;
			out->error = tt_arena_printf(a, "rate limited, retry in "
			    "%lld s", (long long)wait);
		} else if (status >= 500 || status < 100) {
			out->error = tt_arena_printf(a, "server error %ld",
			    status);
			again = 1;
		} else {
			tt_log_debug("github %s %.*s: %ld", method, plen, path,
			    status);
			return TT_OK;
		}
		if (!again || !retry || try >= TRIES)
			break;
		tt_log_info("github %s %.*s: %s (status %ld), try %d of %d",
		    method, plen, path, out->error, status, try, TRIES);
		if (!backoff(try))
			break;
	}
	tt_log_warnx("github %s %.*s failed: %s (status %ld, %d %s)", method,
	    plen, path, out->error, out->status, tries, tries == 1 ? "try" :
	    "tries");
	return TT_EUNAVAIL;
}

enum tt_err
tt_github_http(struct tt_arena *a, const char *method, const char *path,
    const char *auth, const char *body, int retry,
    struct tt_github_resp *out)
{
	if (auth == NULL) {
		memset(out, 0, sizeof(*out));
		out->error = "invalid credentials";
		return TT_EINVAL;
	}
	return http_at(a, tt_config.github_api_url,
	    "Accept: application/vnd.github+json", method, path, auth, body,
	    retry, out);
}

enum tt_err
tt_github_web_post(struct tt_arena *a, const char *path, const char *body,
    struct tt_github_resp *out)
{
	return http_at(a, tt_config.github_url, "Accept: application/json",
	    "POST", path, NULL, body, 0, out);
}

void
tt_github_cleanup(void)
{
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl = NULL;
	if (curl_ready)
		curl_global_cleanup();
	curl_ready = 0;
}
