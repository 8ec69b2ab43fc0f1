/* http.h: the request and response a handler sees, and the status table. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_HTTP_H
#define TT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "tt.h"

struct tt_arena;
struct tt_route;
struct tt_session;
struct cJSON;

enum tt_method {
	TT_GET = 1 << 0,
	TT_POST = 1 << 1,
	TT_PUT = 1 << 2,
	TT_DELETE = 1 << 3,
	TT_PATCH = 1 << 4,
	TT_HEAD = 1 << 5,
};

#define TT_MAX_PATH_PARAMS	4

struct tt_path_param {
	const char	*name;
	const char	*value;		/* decoded, NUL-terminated */
	size_t		 len;
};

/*
 * Everything in a request is arena-owned or borrowed from the FastCGI
 * environment and valid until the response has been written.
 */
struct tt_req {
	struct tt_arena		*arena;
	char			**envp;
	enum tt_method		 method;
	const char		*method_name;
	const char		*path;		/* raw path, no query */
	const char		*query;		/* raw query, "" if none */
	const char		*request_id;
	const char		*remote_addr;
	const char		*body;		/* NUL-terminated copy */
	size_t			 body_len;
	struct cJSON		*json;		/* parsed body (JSON routes) */
	struct tt_path_param	 params[TT_MAX_PATH_PARAMS];
	size_t			 nparams;
	const struct tt_route	*route;
	struct tt_session	*session;	/* set by the middleware */
	time_t			 now;
};

/* Response under construction. Handlers set a 2xx status and a body. */
struct tt_resp {
	int		 status;
	struct tt_buf	 headers;	/* extra "Name: value\r\n" lines */
	struct tt_buf	 body;
	int		 has_content_type;
	int		 has_cache_control; /* else Cache-Control: no-store */
	const char	*err_id;	/* overrides the table's error id */
	const char	*err_detail;	/* overrides the table's message */
	char		 detail[512];	/* tt_resp_fail's text (err_detail) */
	const char	*www_auth_error; /* RFC 6750 error code for 401 */
	unsigned	 allow;		/* methods for 405 */
};

/* Environment variable of the request (CGI/FastCGI param); borrowed. */
const char	*tt_req_env(const struct tt_req *, const char *name);
/* A request header by its HTTP name ("Authorization"); borrowed. */
const char	*tt_req_header(const struct tt_req *, const char *name);
/* A path parameter captured by the route pattern; NULL if none. */
const char	*tt_req_param(const struct tt_req *, const char *name);
/*
 * The first value of a query parameter, decoded; NULL if absent. A value
 * that is malformed (bad escape, NUL) makes it NULL and sets *bad.
 */
const char	*tt_req_query(const struct tt_req *, const char *name, int *bad);

/*
 * A query parameter that must be an integer in [min, max] or the literal
 * true/false; absent, it takes def. Anything else fills resp with a 400
 * INVALID_PARAM naming the parameter and returns TT_EINVAL.
 */
enum tt_err	 tt_req_query_int(struct tt_req *, struct tt_resp *,
		    const char *name, int64_t min, int64_t max, int64_t def,
		    int64_t *v);
enum tt_err	 tt_req_query_bool(struct tt_req *, struct tt_resp *,
		    const char *name, int def, int *v);

/*
 * Adds a response header. A Content-Type or Cache-Control set here
 * replaces the default one (application/json, no-store).
 */
void		 tt_resp_header(struct tt_resp *, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sets status and a JSON body (copied). */
void		 tt_resp_json(struct tt_resp *, int status, const char *json);
void		 tt_resp_cjson(struct tt_resp *, int status,
		    const struct cJSON *);
/*
 * Records the error id and detail for the error response and returns
 * err, so handlers can write `return tt_resp_fail(resp, TT_EINVAL,
 * "INVALID_KEY", "key is empty");`. id may be NULL for the table's.
 */
enum tt_err	 tt_resp_fail(struct tt_resp *, enum tt_err, const char *id,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Sets a strong ETag (a hash of the body set so far) and, when the
 * request's If-None-Match names it (or is "*"), turns the answer into a
 * 304 without a body. Call after the body is final.
 */
void		 tt_resp_etag(const struct tt_req *, struct tt_resp *);

/* The status table. */
int		 tt_http_status(enum tt_err);
const char	*tt_http_error_id(enum tt_err);
const char	*tt_http_error_message(enum tt_err);
const char	*tt_http_reason(int status);
/* Writes the error body, status and error headers for err into resp. */
void		 tt_http_error(struct tt_resp *, enum tt_err);
/* "GET, POST" for a method bit set, into an arena string. */
const char	*tt_http_allow(struct tt_arena *, unsigned methods);
/* Parses a method name; 0 if unknown. */
enum tt_method	 tt_http_method(const char *);

#endif
