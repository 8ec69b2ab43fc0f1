/* manifests.c: work manifests and dirspaces (API.md section 2). */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "arena.h"
#include "caps.h"
#include "manifests.h"
#include "page.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "tagquery.h"
#include "url.h"
#include "valid.h"

int main(void);

/*
 * One Link header (RFC 8288) with the next and previous pages:
 * <path?limit=N&page=C>; rel="next", <...>; rel="prev". The other query
 * parameters (q, tz) are carried along; the cursor replaces page.
 */
static void
links(struct tt_req *req, struct tt_resp *resp, int64_t limit,
    const struct tt_manifests_result *res)
{
	const char	*rel[2] = { "next", "prev" };
	const char	*cur[2] = { res->next, res->prev };
	const char	*q, *tz;
	char		*extra = "";
	struct tt_buf	 b = { 0 };
	int		 i, bad;

	q = tt_req_query(req, "q", &bad);
	tz = tt_req_query(req, "tz", &bad);
	if (q != NULL && q[0] != '\0')
		extra = tt_arena_printf(req->arena, "&q=%s",
		    tt_url_encode(req->arena, q));
	if (tz != NULL && tz[0] != '\0')
		extra = tt_arena_printf(req->arena, "%s&tz=%s", extra,
		    tt_url_encode(req->arena, tz));
	for (i = 0; i < 2; i++)
		if (cur[i] != NULL)
			tt_buf_printf(&b, "%s<%s?limit=%lld%s&page=%s>; "
			    "rel=\"%s\"", b.n ? ", " : "", req->path,
			    (long long)limit, extra, cur[i], rel[i]);
	if (b.n)
		tt_resp_header(resp, "Link", "%s", b.p);
	tt_buf_free(&b);
}

/* An IANA zone name's characters (PostgreSQL decides if it exists). */
static int
tz_ok(const char *tz)
{
	size_t	i;

	for (i = 0; tz[i] != '\0'; i++)
		if (i >= 64 || !((tz[i] >= 'A' && tz[i] <= 'Z') ||
		    (tz[i] >= 'a' && tz[i] <= 'z') ||
		    (tz[i] >= '0' && tz[i] <= '9') || tz[i] == '/' ||
		    tz[i] == '_' || tz[i] == '-' || tz[i] == '+'))
			return 0;
	return i > 0;
}

static enum tt_err
list(struct tt_req *req, struct tt_resp *resp, int dirspaces)
{
	struct tt_manifests_page	pg;
	struct tt_manifests_result	res;
	const char			*q, *tz;
	struct tt_tagquery		 tq;
	struct tt_tagquery_error	 qerr;
	int				 bad;
	enum tt_err			 e;

	memset(&pg, 0, sizeof(pg));
	pg.installation_id = tt_req_param(req, "installation_id");
	if ((e = tt_page_limit(req, resp, TT_PAGE_DEFAULT, TT_PAGE_MAX,
	    &pg.limit)) != TT_OK)
		return e;
	q = tt_req_query(req, "q", &bad);
	if (bad)
		return tt_resp_fail(resp, TT_EINVAL, "PARSE_ERROR",
		    "q is not a valid query parameter");
	tz = tt_req_query(req, "tz", &bad);
	if (bad || (tz != NULL && !tz_ok(tz)))
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "tz must be an IANA time zone name such as Europe/Paris");
	if (tt_tagquery_compile(req->arena, q, tz, dirspaces ?
	    TT_TAGQUERY_DIRSPACES : TT_TAGQUERY_MANIFESTS,
	    TT_MANIFESTS_FIRST_PARAM, &tq, &qerr) != TT_OK)
		return tt_resp_fail(resp, TT_EINVAL, qerr.id, "%s", qerr.msg);
	if (q != NULL && q[0] != '\0') {
		pg.where = tq.where;
		pg.params = tq.params;
		pg.nparams = tq.nparams;
		pg.asc = tq.sort_asc;
	}
	pg.cursor = tt_req_query(req, "page", &bad);
	if (bad)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "invalid page cursor");
	tt_buf_clear(&resp->body);
	tt_buf_puts(&resp->body, dirspaces ? "{\"dirspaces\":" :
	    "{\"work_manifests\":");
	e = tt_manifests_list(req->arena, &pg, dirspaces, &resp->body, &res);
	if (e == TT_EINVAL && pg.cursor != NULL)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "invalid page cursor");
	if (e == TT_EINVAL)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "unknown time zone or value out of range");
	if (e != TT_OK)
		return e;
	tt_buf_puts(&resp->body, "}");
	resp->status = 200;
	links(req, resp, pg.limit, &res);
	tt_resp_etag(req, resp);
	return TT_OK;
}

static enum tt_err
handle_list(struct tt_req *req, struct tt_resp *resp)
{
	return list(req, resp, 0);
}

static enum tt_err
handle_dirspaces(struct tt_req *req, struct tt_resp *resp)
{
	return list(req, resp, 1);
}

static enum tt_err
handle_one(struct tt_req *req, struct tt_resp *resp)
{
	enum tt_err	 e;

	tt_buf_clear(&resp->body);
	e = tt_manifests_get(req->arena, tt_req_param(req, "installation_id"),
	    tt_req_param(req, "work_manifest_id"), &resp->body);
	if (e == TT_ENOTFOUND)
		return tt_resp_fail(resp, e, NULL, "no such work manifest");
	if (e != TT_OK)
		return e;
	resp->status = 200;
	tt_resp_etag(req, resp);
	return TT_OK;
}

#define GH	"/api/v1/github/installations/{int:installation_id}"
#define LEGACY	"/api/v1/installations/{int:installation_id}"
#define AUTH	(TT_ROUTE_AUTH | TT_ROUTE_INSTALLATION)

static const struct tt_route routes[] = {
	{ TT_GET, GH "/work-manifests", TT_CAP_INSTALLATION, AUTH, 0,
	  handle_list },
	{ TT_GET, LEGACY "/work-manifests", TT_CAP_INSTALLATION, AUTH, 0,
	  handle_list },
	{ TT_GET, GH "/work-manifests/{uuid:work_manifest_id}",
	  TT_CAP_INSTALLATION, AUTH, 0, handle_one },
	{ TT_GET, GH "/dirspaces", TT_CAP_INSTALLATION, AUTH, 0,
	  handle_dirspaces },
	{ TT_GET, LEGACY "/dirspaces", TT_CAP_INSTALLATION, AUTH, 0,
	  handle_dirspaces },
};

int
main(void)
{
	return tt_serve("manifests", routes, TT_NITEMS(routes));
}
