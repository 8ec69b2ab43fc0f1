/* session.h: the session middleware: bearer credential to a session. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_SESSION_H
#define TT_SESSION_H

#include "tt.h"

struct tt_req;
struct tt_resp;

/*
 * Verifies the request's access token and the route's capability and
 * installation rules; sets req->session. Returns TT_OK, TT_EUNAUTH (401),
 * TT_EFORBIDDEN (403) or a database error.
 */
enum tt_err	 tt_session_require(struct tt_req *, struct tt_resp *);

/* The user id for log lines, or "-". */
const char	*tt_session_user(const struct tt_req *);

/* Frees process-lifetime state (key cache) at exit. */
void		 tt_session_cleanup(void);

#endif
