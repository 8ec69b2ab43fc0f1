/* route.c: matching a raw request path against typed route patterns. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "route.h"
#include "url.h"
#include "valid.h"

/* Largest integer a JSON client can hold exactly: 2^53. */
#define MAX_JSON_INT	9007199254740992LL

static int
capture(struct tt_arena *a, const char *type, size_t tlen, const char *name,
    size_t nlen, const char *raw, size_t rawlen, struct tt_path_param *p)
{
	char	*v;
	size_t	 vlen;
	int64_t	 n;

	if (rawlen == 0)
		return 0;
	if ((v = tt_url_decode(a, raw, rawlen, 0, &vlen)) == NULL)
		return 0;
	/* A decoded NUL would cut every capture short: never a match. */
	if (strlen(v) != vlen)
		return 0;
	if (tlen == 3 && memcmp(type, "int", 3) == 0) {
		if (tt_valid_int64n(v, vlen, 1, MAX_JSON_INT, &n) != 0)
			return 0;
	} else if (tlen == 4 && memcmp(type, "uuid", 4) == 0) {
		if (strlen(v) != vlen || !tt_valid_uuid(v))
			return 0;
	} else if (tlen == 3 && memcmp(type, "str", 3) == 0) {
		if (strlen(v) != vlen || memchr(v, '/', vlen) != NULL)
			return 0;
	} else if (!(tlen == 4 && memcmp(type, "rest", 4) == 0))
		return 0;	/* unknown type: a table bug, never matches */
	p->name = tt_arena_strndup(a, name, nlen);
	p->value = v;
	p->len = vlen;
	return 1;
}

int
tt_route_match_pattern(struct tt_arena *a, const char *pat, const char *path,
    struct tt_path_param *params, size_t *np)
{
	const char	*pe, *colon, *close, *se;
	size_t		 plen, slen;

	*np = 0;
	while (*pat != '\0') {
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		pe = strchr(pat, '/');
		plen = pe ? (size_t)(pe - pat) : strlen(pat);

		if (plen >= 2 && pat[0] == '{' && pat[plen - 1] == '}') {
			colon = memchr(pat, ':', plen);
			close = pat + plen - 1;
			if (colon == NULL || *np >= TT_MAX_PATH_PARAMS)
				return 0;
			if ((size_t)(colon - pat - 1) == 4 &&
			    memcmp(pat + 1, "rest", 4) == 0) {
				/* The rest of the path, whatever it holds. */
				slen = strlen(path);
				if (!capture(a, pat + 1, 4, colon + 1,
				    (size_t)(close - colon - 1), path, slen,
				    &params[*np]))
					return 0;
				(*np)++;
				return pat[plen] == '\0';
			}
			se = strchr(path, '/');
			slen = se ? (size_t)(se - path) : strlen(path);
			if (!capture(a, pat + 1, (size_t)(colon - pat - 1),
			    colon + 1, (size_t)(close - colon - 1), path, slen,
			    &params[*np]))
				return 0;
			(*np)++;
		} else {
			se = strchr(path, '/');
			slen = se ? (size_t)(se - path) : strlen(path);
			if (slen != plen || memcmp(pat, path, plen) != 0)
				return 0;
		}
		pat += plen;
		path += slen;
	}
	return *path == '\0';
}

enum tt_route_result
tt_route_match(const struct tt_route *routes, size_t n, struct tt_req *req,
    unsigned *allow)
{
	struct tt_path_param	params[TT_MAX_PATH_PARAMS];
	size_t			i, np;

	*allow = 0;
	for (i = 0; i < n; i++) {
		if (!tt_route_match_pattern(req->arena, routes[i].pattern,
		    req->path, params, &np))
			continue;
		if (!(routes[i].method & req->method)) {
			*allow |= routes[i].method;
			continue;
		}
		req->route = &routes[i];
		memcpy(req->params, params, sizeof(params));
		req->nparams = np;
		return TT_ROUTE_FOUND;
	}
	return *allow ? TT_ROUTE_NO_METHOD : TT_ROUTE_NO_PATH;
}
