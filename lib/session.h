/* session.h: the session middleware: bearer credential to a session. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_SESSION_H
#define TT_SESSION_H

#include <stdint.h>

#include "tt.h"

struct tt_req;
struct tt_resp;
struct cJSON;

/*
 * A verified access token, or a browser session (web = 1, websession.c:
 * no api_key_id, login and installations set), arena-owned, hung on
 * req->session.
 */
struct tt_session {
	const char	*user_id;
	const char	*api_key_id;	/* NULL for an OIDC exchange's token */
	const char	*policy_id;	/* the trust policy, or NULL */
	struct cJSON	*oidc;		/* the workflow identity, or NULL */
	int		 web;
	const char	*login;			/* web: GitHub or REMOTE_USER */
	struct cJSON	*installations;		/* web: [{"id","login"}] */
	const unsigned char *web_id;		/* web: the cookie's 32 bytes */
	struct cJSON	*caps;
	int64_t		 exp;
	int64_t		 installation_id;	/* from the path, or 0 */
	const char	*inst;			/* the same, as text */
	const char	**check_params;		/* step 3's (session.c) */
	int		 gated;			/* step 3 is the gate */
	const char	*work_manifest_id;	/* a runner's token: its own */
	int		 ended;			/* ... which has ended */
};

/*
 * The Authorization: Bearer credential (scheme case-insensitive), or
 * NULL with a 401 already described in resp.
 */
const char	*tt_session_bearer(struct tt_req *, struct tt_resp *);

/*
 * The whole check, before the handler (session.c's header lists the
 * steps): the credential, the access token (the JWT wrapper), its API key
 * or trust policy still live, the route's capabilities, and installation
 * access (the path's {installation_id}: restricted to the token's
 * installation_id capabilities when it has any, membership looked up
 * live). Sets req->session. Returns TT_OK, TT_EUNAUTH (401),
 * TT_EFORBIDDEN (403) or a database error, with resp describing it.
 */
enum tt_err	 tt_session_require(struct tt_req *, struct tt_resp *);

/*
 * After the handler, before anything is written (serve.c): when step 3
 * was the gate of the handler's first statement and that gate did not
 * pass (refused, or the handler ran no statement), steps 3 and 4 run
 * alone; a refusal replaces the handler's answer whole and is returned.
 * Otherwise e, the handler's own result.
 */
enum tt_err	 tt_session_finish(struct tt_req *, struct tt_resp *,
		    enum tt_err e);

/* The user id for log lines, or "-". */
const char	*tt_session_user(const struct tt_req *);

/* Frees process-lifetime state (signing key cache) at exit. */
void		 tt_session_cleanup(void);

#endif
