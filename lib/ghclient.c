/* ghclient.c: REST calls to GitHub over libcurl, with retries. */
/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "github.h"
#include "json.h"
#include "log.h"

#define CONNECT_MS	3000
#define TOTAL_MS	10000
#define MAX_BODY	(10 * 1024 * 1024)
#define TRIES		3

static CURL	*curl;
static int64_t	 deadline_ms;	/* monotonic; 0: none */

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tt_github_set_budget_ms(int64_t ms)
{
	deadline_ms = ms > 0 ? now_ms() + ms : 0;
}

int
tt_github_name_valid(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] == '\0' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (i = 0; s[i]; i++)
		if (i >= 100 || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int
path_valid(const char *p)
{
	size_t	i;

	if (p == NULL || p[0] != '/' || strstr(p, "..") != NULL ||
	    strstr(p, "//") != NULL || strlen(p) > 2048)
		return 0;
	for (i = 0; p[i]; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') ||
		    strchr("._~/?&=,%+-", p[i]) != NULL))
			return 0;
	return 1;
}

struct xfer {
	struct tt_buf	 body;
	int		 too_big;
	int64_t		 retry_after, reset, remaining;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer	*x = arg;

	if (x->body.n + sz * n > MAX_BODY) {
		x->too_big = 1;
		return 0;
	}
	tt_buf_put(&x->body, p, sz * n);
	return sz * n;
}

/* The rate-limit headers GitHub sends with every answer. */
static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = sz * n;
	char		 line[128];

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	if (strncasecmp(line, "retry-after:", 12) == 0)
		x->retry_after = strtoll(line + 12, NULL, 10);
	else if (strncasecmp(line, "x-ratelimit-reset:", 18) == 0)
		x->reset = strtoll(line + 18, NULL, 10);
	else if (strncasecmp(line, "x-ratelimit-remaining:", 22) == 0)
		x->remaining = strtoll(line + 22, NULL, 10);
	return len;
}

/* Loopback http only; anything else https. */
static const char *
protocols(void)
{
	const char	*u = tt_config.github_api_url;

	return strncmp(u, "http://", 7) == 0 ? "http" : "https";
}

/* One exchange, no retry. */
static CURLcode
exchange(const char *method, const char *url, const char *auth,
    const char *body, long timeout_ms, struct xfer *x, long *status)
{
	struct curl_slist	*h = NULL;
	char			 authh[8192];
	CURLcode		 rc;

	if (curl == NULL) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		if ((curl = curl_easy_init()) == NULL)
			tt_oom(0);
	}
	curl_easy_reset(curl);
	snprintf(authh, sizeof(authh), "Authorization: %s", auth);
	h = curl_slist_append(h, "Accept: application/vnd.github+json");
	h = curl_slist_append(h, "X-GitHub-Api-Version: 2022-11-28");
	h = curl_slist_append(h, authh);
	if (body != NULL)
		h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(body));
	} else if (strcmp(method, "GET") == 0)
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "terrateam-c");
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols());
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < CONNECT_MS ? timeout_ms : (long)CONNECT_MS);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)MAX_BODY);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, x);
	rc = curl_easy_perform(curl);
	*status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	OPENSSL_cleanse(authh, sizeof(authh));
	return rc;
}

/* Sleeps ms unless that passes the deadline; 0 when it slept. */
static int
backoff(int64_t ms)
{
	struct timespec	ts;
	uint32_t	r;

	tt_crypto_random(&r, sizeof(r));
	ms = ms / 2 + (int64_t)(r % (uint32_t)(ms / 2 + 1));
	if (deadline_ms && now_ms() + ms >= deadline_ms)
		return -1;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
	return 0;
}

static int
rate_limited(long status, const struct xfer *x, const char *body)
{
	if (status != 403 && status != 429)
		return 0;
	return status == 429 || x->retry_after > 0 || x->remaining == 0 ||
	    (body != NULL && strcasestr(body, "rate limit") != NULL);
}

enum tt_err
tt_github_http(struct tt_arena *a, const char *method, const char *path,
    const char *auth, const char *body, int retry,
    struct tt_github_resp *out)
{
	struct xfer	 x;
	const char	*url, *why;
	long		 status, left;
	CURLcode	 rc;
	int		 try;

	memset(out, 0, sizeof(*out));
	if (!path_valid(path)) {
		out->error = "invalid path";
		return TT_EINVAL;
	}
	url = tt_arena_printf(a, "%s%s", tt_config.github_api_url, path);
	for (try = 1; ; try++) {
		left = TOTAL_MS;
		if (deadline_ms) {
			left = (long)(deadline_ms - now_ms());
			if (left > TOTAL_MS)
				left = TOTAL_MS;
			if (left <= 0) {
				out->error = "time budget spent";
				return TT_EUNAVAIL;
			}
		}
		memset(&x, 0, sizeof(x));
		x.remaining = -1;
		rc = exchange(method, url, auth, body, left, &x, &status);
		out->status = status;
		out->body = tt_arena_strndup(a, x.body.p ? x.body.p : "",
		    x.body.n);
		out->body_len = x.body.n;
		tt_buf_free(&x.body);
		if (rc != CURLE_OK) {
			out->error = x.too_big || rc == CURLE_FILESIZE_EXCEEDED ?
			    "response too large" : curl_easy_strerror(rc);
			if (x.too_big || rc == CURLE_FILESIZE_EXCEEDED)
				break;
		} else if (status >= 300 && status < 400) {
			out->error = "redirect refused";
			break;
		} else if (rate_limited(status, &x, out->body)) {
			out->retry_after = x.retry_after > 0 ? x.retry_after :
			    x.remaining == 0 && x.reset > time(NULL) ?
			    x.reset - time(NULL) : 60;
			out->error = "rate limited";
			break;
		} else if (status < 500) {
			out->json = tt_json_parse(a, out->body, out->body_len,
			    &why);
			tt_log_debug("github %s %s: %ld", method, path, status);
			return TT_OK;
		} else
			out->error = "server error";
		if (!retry || try >= TRIES || backoff(500L << (try - 1)) != 0)
			break;
	}
	tt_log_warnx("github %s %s failed: %s (status %ld)", method, path,
	    out->error, out->status);
	return TT_EUNAVAIL;
}

enum tt_err
tt_github_call(struct tt_arena *a, int64_t inst, const char *method,
    const char *path, const cJSON *body, struct tt_github_resp *out)
{
	const char	*token, *text = NULL;
	int		 fresh;
	enum tt_err	 e;

	if (body != NULL)
		text = tt_json_print(a, body);
	for (fresh = 0; fresh < 2; fresh++) {
		if ((e = tt_github_inst_token(a, inst, fresh, &token, out)) !=
		    TT_OK)
			return e;
		e = tt_github_http(a, method, path, tt_arena_printf(a,
		    "Bearer %s", token), text, strcmp(method, "GET") == 0,
		    out);
		if (e != TT_OK || out->status != 401)
			return e;
		/* Revoked or expired early: one fresh token, once. */
	}
	return TT_OK;
}

void
tt_github_cleanup(void)
{
	if (curl != NULL) {
		curl_easy_cleanup(curl);
		curl_global_cleanup();
	}
	curl = NULL;
	tt_github_auth_cleanup();
}
