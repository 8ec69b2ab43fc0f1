/* session.c: the session middleware (access tokens come with issue 3). */
/* SPDX-License-Identifier: MIT */
#include "http.h"
#include "session.h"

enum tt_err
tt_session_require(struct tt_req *req, struct tt_resp *resp)
{
	(void)req;
	/* XXX: no access tokens yet; fail closed. */
	return tt_resp_fail(resp, TT_EUNAUTH, NULL,
	    "access tokens are not supported by this build yet");
}

const char *
tt_session_user(const struct tt_req *req)
{
	(void)req;
	return "-";
}

void
tt_session_cleanup(void)
{
}
