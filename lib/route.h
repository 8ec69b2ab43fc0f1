/* route.h: the route table each program declares, and its matcher. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_ROUTE_H
#define TT_ROUTE_H

#include <stddef.h>

#include "http.h"

/* Route flags. */
#define TT_ROUTE_JSON_BODY	0x01	/* body required, parsed as JSON */
#define TT_ROUTE_AUTH		0x02	/* access token required */
#define TT_ROUTE_INSTALLATION	0x04	/* {installation_id} membership */
#define TT_ROUTE_OPTIONAL_JSON	0x08	/* body optional; JSON when sent */
#define TT_ROUTE_RAW_BODY	0x10	/* body read as it is, not parsed */
/*
 * With TT_ROUTE_AUTH: a request without an Authorization header may use
 * a browser session cookie instead (websession.c; CSRF token on writes).
 * Only the key-management routes have it.
 */
#define TT_ROUTE_COOKIE		0x20
/*
 * With TT_ROUTE_AUTH and TT_ROUTE_INSTALLATION: the session's liveness
 * and membership check may travel as the gate of the handler's first
 * statement (session.c). For routes whose handler reads or writes the
 * installation's data in one statement.
 */
#define TT_ROUTE_GATED		0x40
/*
 * The runner's routes: a work manifest's token (runner.h) instead of an
 * access token, good only for the manifest {uuid:work_manifest_id} of
 * the path while it is queued or running (session.c). With
 * TT_ROUTE_RUNNER_ENDED also once it has ended (the results route, for a
 * resent PUT). TT_ROUTE_PLAN_BODY: bodies up to TT_MAX_PLAN_BYTES.
 */
#define TT_ROUTE_RUNNER		0x80
#define TT_ROUTE_RUNNER_ENDED	0x100
#define TT_ROUTE_PLAN_BODY	0x200

typedef enum tt_err (*tt_handler)(struct tt_req *, struct tt_resp *);

/*
 * One line of a program's route table. The pattern is a path whose
 * segments are literals or typed captures: {int:name} (1..2^53),
 * {uuid:name}, {str:name} (one non-empty segment, decoded) and
 * {rest:name} (the non-empty rest of the path, decoded once, may hold
 * '/'; last only). max_body 0 means TT_MAX_BODY_BYTES.
 */
struct tt_route {
	unsigned	 method;
	const char	*pattern;
	unsigned	 caps;		/* TT_CAP_* bits the route requires */
	unsigned	 flags;
	size_t		 max_body;
	tt_handler	 handler;
};

enum tt_route_result {
	TT_ROUTE_FOUND,
	TT_ROUTE_NO_PATH,	/* 404 */
	TT_ROUTE_NO_METHOD,	/* 405; *allow has the methods */
};

/*
 * Matches req->method and req->path against the table. On a match sets
 * req->route and the captured req->params (decoded into the arena).
 */
enum tt_route_result tt_route_match(const struct tt_route *, size_t,
		    struct tt_req *, unsigned *allow);

/*
 * Matches one pattern against a raw path; fills params (arena-owned)
 * and returns 1 on a match. Exposed for tests and fuzzing.
 */
int		 tt_route_match_pattern(struct tt_arena *, const char *pattern,
		    const char *path, struct tt_path_param *, size_t *nparams);

#endif
