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
	/* The deferred liveness/membership check (session.c). */
	struct tt_req	*req;
	int		 guarded, decided;
	enum tt_err	 verdict;
	const char	*fail_id, *fail_detail;
};

/*
 * The Authorization: Bearer credential (scheme case-insensitive), or
 * NULL with a 401 already described in resp.
 */
const char	*tt_session_bearer(struct tt_req *, struct tt_resp *);

/*
 * Verifies the request's access token (the JWT wrapper), that its API key
 * is still live, the route's capabilities, and installation access (the
 * path's {installation_id}: membership looked up live, restricted to the
 * token's installation_id capabilities when it has any). Sets
 * req->session. Returns TT_OK, TT_EUNAUTH (401), TT_EFORBIDDEN (403) or a
 * database error, with resp describing it.
 */
enum tt_err	 tt_session_require(struct tt_req *, struct tt_resp *);

/*
 * Called by serve.c after the handler, before anything is written: makes
 * sure a deferred liveness/membership check has run and, if it failed,
 * replaces the handler's answer with its 401/403. Returns the error to
 * answer with (e when the check passed).
 */
enum tt_err	 tt_session_settle(struct tt_req *, struct tt_resp *,
		    enum tt_err e);

/* The user id for log lines, or "-". */
const char	*tt_session_user(const struct tt_req *);

/* Frees process-lifetime state (signing key cache) at exit. */
void		 tt_session_cleanup(void);

#endif
