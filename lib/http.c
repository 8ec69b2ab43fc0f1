/* http.c: request accessors, response building, and the status table. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "http.h"
#include "json.h"
#include "url.h"
#include "valid.h"

struct status_row {
	int		 status;
	const char	*id;
	const char	*message;
	const char	*name;
};

/* The one place an error code becomes an HTTP status. */
static const struct status_row status_table[TT_E__MAX] = {
	[TT_OK] = { 200, "OK", "ok", "ok" },
	[TT_EINVAL] = { 400, "INVALID_PARAM", "invalid parameter", "invalid" },
	[TT_EJSON] = { 400, "INVALID_JSON", "invalid JSON body", "json" },
	[TT_EUNAUTH] = { 401, "UNAUTHORIZED",
	    "missing or invalid credentials", "unauthorized" },
	[TT_EFORBIDDEN] = { 403, "MISSING_CAPABILITY",
	    "the credential lacks a required capability", "forbidden" },
	[TT_ENOTFOUND] = { 404, "NOT_FOUND", "not found", "not found" },
	[TT_EMETHOD] = { 405, "METHOD_NOT_ALLOWED",
	    "method not allowed on this path", "method" },
	[TT_ECONFLICT] = { 409, "VERSION_MISMATCH", "conflict", "conflict" },
	[TT_ELENGTH] = { 411, "LENGTH_REQUIRED",
	    "Content-Length is required", "length" },
	[TT_ETOOBIG] = { 413, "PAYLOAD_TOO_LARGE",
	    "request body too large", "too big" },
	[TT_EMEDIA] = { 415, "UNSUPPORTED_MEDIA_TYPE",
	    "Content-Type must be application/json", "media type" },
	[TT_ERATE] = { 429, "RATE_LIMITED", "too many requests", "rate" },
	[TT_EUNAVAIL] = { 503, "UNAVAILABLE",
	    "service temporarily unavailable, retry later", "unavailable" },
	[TT_ETIMEOUT] = { 503, "UNAVAILABLE",
	    "the database did not answer in time, retry later", "timeout" },
	/* Replaced by the session's verdict before any answer (session.c). */
	[TT_EREFUSED] = { 500, "INTERNAL", "internal error", "refused" },
	[TT_EINTERNAL] = { 500, "INTERNAL", "internal error", "internal" },
};

const char *
tt_err_str(enum tt_err e)
{
	if ((unsigned)e >= TT_E__MAX || status_table[e].name == NULL)
		return "unknown";
	return status_table[e].name;
}

int
tt_http_status(enum tt_err e)
{
	if ((unsigned)e >= TT_E__MAX || status_table[e].status == 0)
		return 500;
	return status_table[e].status;
}

const char *
tt_http_error_id(enum tt_err e)
{
	if ((unsigned)e >= TT_E__MAX || status_table[e].id == NULL)
		return "INTERNAL";
	return status_table[e].id;
}

const char *
tt_http_error_message(enum tt_err e)
{
	if ((unsigned)e >= TT_E__MAX || status_table[e].message == NULL)
		return "internal error";
	return status_table[e].message;
}

const char *
tt_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static const struct {
	enum tt_method	 m;
	const char	*name;
} methods[] = {
	{ TT_GET, "GET" }, { TT_POST, "POST" }, { TT_PUT, "PUT" },
	{ TT_DELETE, "DELETE" }, { TT_PATCH, "PATCH" }, { TT_HEAD, "HEAD" },
};

enum tt_method
tt_http_method(const char *s)
{
	size_t	i;

	for (i = 0; s != NULL && i < TT_NITEMS(methods); i++)
		if (strcmp(s, methods[i].name) == 0)
			return methods[i].m;
	return 0;
}

const char *
tt_http_allow(struct tt_arena *a, unsigned set)
{
	char	buf[64] = "";
	size_t	i;

	for (i = 0; i < TT_NITEMS(methods); i++)
		if (set & methods[i].m) {
			if (buf[0] != '\0')
				strncat(buf, ", ", sizeof(buf) - strlen(buf) - 1);
			strncat(buf, methods[i].name,
			    sizeof(buf) - strlen(buf) - 1);
		}
	return tt_arena_strdup(a, buf);
}

const char *
tt_req_env(const struct tt_req *r, const char *name)
{
	size_t		 n = strlen(name);
	char *const	*e;

	for (e = r->envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *
tt_req_header(const struct tt_req *r, const char *name)
{
	char	var[128];
	size_t	i, o = 0;

	if (strcasecmp(name, "Content-Type") == 0)
		return tt_req_env(r, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return tt_req_env(r, "CONTENT_LENGTH");
	if (strlen(name) + 6 > sizeof(var))
		return NULL;
	memcpy(var, "HTTP_", 5);
	o = 5;
	for (i = 0; name[i] != '\0'; i++)
		var[o++] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	var[o] = '\0';
	return tt_req_env(r, var);
}

const char *
tt_req_param(const struct tt_req *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return r->params[i].value;
	return NULL;
}

const char *
tt_req_query(const struct tt_req *r, const char *name, int *bad)
{
	return tt_url_query(r->arena, r->query, name, 0, bad);
}

enum tt_err
tt_req_query_int(struct tt_req *req, struct tt_resp *resp, const char *name,
    int64_t min, int64_t max, int64_t def, int64_t *v)
{
	const char	*s;
	int		 bad;

	s = tt_req_query(req, name, &bad);
	if (s == NULL && !bad) {
		*v = def;
		return TT_OK;
	}
	if (bad || tt_valid_int64(s, min, max, v) != 0)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "%s must be an integer from %lld to %lld", name,
		    (long long)min, (long long)max);
	return TT_OK;
}

enum tt_err
tt_req_query_bool(struct tt_req *req, struct tt_resp *resp, const char *name,
    int def, int *v)
{
	const char	*s;
	int		 bad;

	s = tt_req_query(req, name, &bad);
	if (s == NULL && !bad) {
		*v = def;
		return TT_OK;
	}
	if (s != NULL && strcmp(s, "true") == 0)
		*v = 1;
	else if (s != NULL && strcmp(s, "false") == 0)
		*v = 0;
	else
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "%s must be true or false", name);
	return TT_OK;
}

void
tt_resp_header(struct tt_resp *resp, const char *name, const char *fmt, ...)
{
	va_list	ap;
	size_t	start, i;

	if (strcasecmp(name, "Content-Type") == 0)
		resp->has_content_type = 1;
	if (strcasecmp(name, "Cache-Control") == 0)
		resp->has_cache_control = 1;
	tt_buf_printf(&resp->headers, "%s: ", name);
	start = resp->headers.n;
	va_start(ap, fmt);
	tt_buf_vprintf(&resp->headers, fmt, ap);
	va_end(ap);
	/* A value is one line, whatever went into it. */
	for (i = start; i < resp->headers.n; i++)
		if (resp->headers.p[i] == '\r' || resp->headers.p[i] == '\n')
			resp->headers.p[i] = ' ';
	tt_buf_puts(&resp->headers, "\r\n");
}

void
tt_resp_json(struct tt_resp *resp, int status, const char *json)
{
	resp->status = status;
	tt_buf_clear(&resp->body);
	tt_buf_puts(&resp->body, json);
}

void
tt_resp_cjson(struct tt_resp *resp, int status, const cJSON *j)
{
	char	*s;

	if ((s = cJSON_PrintUnformatted(j)) == NULL)
		tt_oom(0);
	tt_resp_json(resp, status, s);
	cJSON_free(s);
}

void
tt_resp_etag(const struct tt_req *req, struct tt_resp *resp)
{
	unsigned char	 h[TT_SHA256_LEN];
	char		 hex[2 * TT_SHA256_LEN + 1], tag[2 * TT_SHA256_LEN + 4];
	const char	*inm, *p;
	size_t		 n;

	tt_crypto_sha256(resp->body.p ? resp->body.p : "", resp->body.n, h);
	tt_crypto_hex(h, 16, hex);
	snprintf(tag, sizeof(tag), "\"%s\"", hex);
	tt_resp_header(resp, "ETag", "%s", tag);
	if ((inm = tt_req_header(req, "If-None-Match")) == NULL)
		return;
	/* A list of entity tags, or "*"; W/ prefixes compare weakly. */
	n = strlen(tag);
	for (p = inm; *p != '\0'; p++) {
		if (*p == '*' || (strncmp(p, tag, n) == 0)) {
			resp->status = 304;
			tt_buf_clear(&resp->body);
			return;
		}
	}
}

enum tt_err
tt_resp_fail(struct tt_resp *resp, enum tt_err e, const char *id,
    const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(resp->detail, sizeof(resp->detail), fmt, ap);
	va_end(ap);
	/* A cut (or a caller's) multibyte character must not break JSON. */
	tt_valid_utf8_scrub(resp->detail);
	resp->err_id = id;
	resp->err_detail = resp->detail;
	return e;
}

void
tt_http_error(struct tt_resp *resp, enum tt_err e)
{
	cJSON		*j;
	const char	*detail;

	resp->status = tt_http_status(e);
	detail = resp->err_detail ? resp->err_detail : tt_http_error_message(e);
	j = cJSON_CreateObject();
	if (j == NULL)
		tt_oom(0);
	cJSON_AddStringToObject(j, "id",
	    resp->err_id ? resp->err_id : tt_http_error_id(e));
	cJSON_AddStringToObject(j, "data", detail);
	tt_resp_cjson(resp, resp->status, j);
	cJSON_Delete(j);

	switch (resp->status) {
	case 401: {
		/* RFC 6750: the description is a quoted-string. */
		char	 q[512];
		size_t	 i, o = 0;

		for (i = 0; detail[i] != '\0' && o < sizeof(q) - 1; i++)
			if (detail[i] != '"' && detail[i] != '\\' &&
			    (unsigned char)detail[i] >= 0x20)
				q[o++] = detail[i];
		q[o] = '\0';
		tt_resp_header(resp, "WWW-Authenticate", "Bearer "
		    "realm=\"terrateam\", error=\"%s\", "
		    "error_description=\"%s\"", resp->www_auth_error ?
		    resp->www_auth_error : "invalid_token", q);
		break;
	}
	case 429:
	case 503:
		/* A handler that knows better (rate limits) set its own. */
		if (resp->headers.p == NULL ||
		    strstr(resp->headers.p, "Retry-After:") == NULL)
			tt_resp_header(resp, "Retry-After", "%d", 2);
		break;
	default:
		break;
	}
}
