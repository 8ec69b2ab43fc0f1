/* kv.c: the KV store routes (API.md section 3). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "caps.h"
#include "config.h"
#include "json.h"
#include "kv.h"
#include "page.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "valid.h"

int main(void);

static enum tt_err
bad(struct tt_resp *resp, const char *msg)
{
	return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM", "%s", msg);
}

/* The scope and the key every route shares; TT_EINVAL on a bad key. */
static enum tt_err
prepare(struct tt_req *req, struct tt_resp *resp, struct tt_kv_ctx *c,
    const char **key)
{
	size_t	i;

	c->installation_id = tt_req_param(req, "installation_id");
	c->caps = tt_json_print(req->arena, req->session->caps);
	if (key == NULL)
		return TT_OK;
	for (i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, "key") == 0)
			break;
	if (i == req->nparams || !tt_kv_key_valid(req->params[i].value,
	    req->params[i].len))
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_KEY", "a key is "
		    "1 to %d bytes of UTF-8 without NUL or control characters",
		    TT_KV_KEY_MAX);
	*key = req->params[i].value;
	return TT_OK;
}

static enum tt_err
qselect(struct tt_req *req, struct tt_resp *resp, const char **sel)
{
	if (tt_kv_select(req->arena, req->query, sel) != 0)
		return bad(resp, "select takes name=jsonpath pairs, repeated "
		    "or joined by commas (at most 63)");
	return TT_OK;
}

/* The body of a set or compare-and-set. */
static enum tt_err
parse_write(struct tt_req *req, struct tt_resp *resp, const char *key,
    int cas, struct tt_kv_write *w, int *has_version, int64_t *version)
{
	const cJSON	*b = req->json, *m, *data = NULL;
	const char	*why;
	char		*text;
	size_t		 size;

	memset(w, 0, sizeof(*w));
	w->key = key;
	w->committed = 1;
	*has_version = 0;
	if (!cJSON_IsObject(b))
		return bad(resp, "body must be a JSON object");
	cJSON_ArrayForEach(m, b) {
		if (strcmp(m->string, "data") == 0 ||
		    strcmp(m->string, "value") == 0) {
			if (data != NULL)
				return bad(resp, "give data or value, not both");
			data = m;
		} else if (strcmp(m->string, "idx") == 0) {
			if (tt_json_int64(b, "idx", 0, TT_KV_IDX_MAX,
			    &w->idx) != 0)
				return bad(resp, "idx must be an integer from "
				    "0 to 2147483647");
		} else if (strcmp(m->string, "committed") == 0) {
			if (!cJSON_IsBool(m))
				return bad(resp, "committed must be a boolean");
			w->committed = cJSON_IsTrue(m);
		} else if (strcmp(m->string, "read_caps") == 0 ||
		    strcmp(m->string, "write_caps") == 0) {
			if (cJSON_IsNull(m))
				continue;
			if (!tt_caps_valid(m, &why))
				return tt_resp_fail(resp, TT_EINVAL,
				    "INVALID_PARAM", "%s: %s", m->string, why);
			text = tt_json_print(req->arena, m);
			if (m->string[0] == 'r')
				w->read_caps = text;
			else
				w->write_caps = text;
		} else if (cas && strcmp(m->string, "version") == 0) {
			if (tt_json_int64(b, "version", 0, 9007199254740991LL,
			    version) != 0)
				return bad(resp, "version must be a "
				    "non-negative integer");
			*has_version = 1;
		} else
			return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
			    "unknown member \"%.64s\"", m->string);
	}
	if (data == NULL)
		return bad(resp, "data (or value) is required");
	size = strlen(tt_json_print(req->arena, data));
	if ((int64_t)size > tt_config.kv_max_value_bytes)
		return tt_resp_fail(resp, TT_ETOOBIG, NULL, "value of %zu "
		    "bytes exceeds the limit of %lld bytes", size,
		    (long long)tt_config.kv_max_value_bytes);
	w->body = req->body;
	return TT_OK;
}

/* Maps the store's answers to the documented errors. */
static enum tt_err
store_error(struct tt_resp *resp, enum tt_err e, const char *what)
{
	switch (e) {
	case TT_ENOTFOUND:
		return tt_resp_fail(resp, e, NULL, "no such %s", what);
	case TT_EFORBIDDEN:
		return tt_resp_fail(resp, e, "MISSING_CAPABILITY", "the record's "
		    "write_caps are not all held by this token");
	case TT_EINVAL:
		return bad(resp, "invalid select jsonpath or parameter");
	case TT_ETOOBIG:
		return tt_resp_fail(resp, e, NULL, "the stored value would "
		    "exceed the limit of %lld bytes",
		    (long long)tt_config.kv_max_value_bytes);
	default:
		return e;
	}
}

static enum tt_err
handle_get(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_kv_ctx	 c;
	struct tt_kv_record	 rec;
	const char		*key, *sel;
	int64_t			 idx;
	int			 committed;
	enum tt_err		 e;

	if ((e = prepare(req, resp, &c, &key)) != TT_OK ||
	    (e = tt_req_query_int(req, resp, "idx", 0, TT_KV_IDX_MAX, 0, &idx)) != TT_OK ||
	    (e = tt_req_query_bool(req, resp, "committed", 1, &committed)) != TT_OK ||
	    (e = qselect(req, resp, &sel)) != TT_OK)
		return e;
	e = tt_kv_get(req->arena, &c, key, idx, committed, sel, &rec);
	if (e != TT_OK)
		return store_error(resp, e, "key");
	tt_resp_cjson(resp, 200, tt_kv_record_json(req->arena, &rec));
	return TT_OK;
}

static enum tt_err
handle_set(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_kv_ctx	 c;
	struct tt_kv_write	 w;
	struct tt_kv_record	 rec;
	const char		*key;
	int64_t			 version;
	int			 hv;
	enum tt_err		 e;

	if ((e = prepare(req, resp, &c, &key)) != TT_OK ||
	    (e = parse_write(req, resp, key, 0, &w, &hv, &version)) != TT_OK)
		return e;
	if ((e = tt_kv_set(req->arena, &c, &w, &rec)) != TT_OK)
		return store_error(resp, e, "key");
	tt_resp_cjson(resp, 200, tt_kv_record_json(req->arena, &rec));
	return TT_OK;
}

static enum tt_err
handle_cas(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_kv_ctx	 c;
	struct tt_kv_write	 w;
	struct tt_kv_record	 rec;
	const char		*key, *conflict = NULL;
	int64_t			 version = 0;
	int			 hv;
	enum tt_err		 e;

	if ((e = prepare(req, resp, &c, &key)) != TT_OK ||
	    (e = parse_write(req, resp, key, 1, &w, &hv, &version)) != TT_OK)
		return e;
	e = tt_kv_cas(req->arena, &c, &w, hv, version, &rec, &conflict);
	if (e == TT_ECONFLICT)
		return tt_resp_fail(resp, e, conflict, "%s", hv ?
		    "the stored version differs" : "the key already exists");
	if (e != TT_OK)
		return store_error(resp, e, "key");
	tt_resp_cjson(resp, 200, tt_kv_record_json(req->arena, &rec));
	return TT_OK;
}

static enum tt_err
handle_delete(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_kv_ctx	 c;
	const char		*key;
	int64_t			 idx, version;
	int			 deleted;
	enum tt_err		 e;
	cJSON			*j;

	if ((e = prepare(req, resp, &c, &key)) != TT_OK ||
	    (e = tt_req_query_int(req, resp, "idx", 0, TT_KV_IDX_MAX, -1, &idx)) != TT_OK ||
	    (e = tt_req_query_int(req, resp, "version", 0, 9007199254740991LL, -1,
	    &version)) != TT_OK)
		return e;
	e = tt_kv_delete(req->arena, &c, key, idx, version >= 0, version,
	    &deleted);
	if (e != TT_OK)
		return store_error(resp, e, "key");
	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddBoolToObject(j, "result", deleted);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

static enum tt_err
handle_count(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_kv_ctx	 c;
	const char		*key, *count, *max_idx;
	int			 committed;
	enum tt_err		 e;
	cJSON			*j;

	if ((e = prepare(req, resp, &c, &key)) != TT_OK ||
	    (e = tt_req_query_bool(req, resp, "committed", 1, &committed)) != TT_OK)
		return e;
	e = tt_kv_count(req->arena, &c, key, committed, &count, &max_idx);
	if (e != TT_OK)
		return store_error(resp, e, "key");
	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddRawToObject(j, "count", count);
	cJSON_AddRawToObject(j, "max_idx", max_idx);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

static enum tt_err
handle_size(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_kv_ctx	 c;
	const char		*key, *size;
	int64_t			 idx;
	int			 committed;
	enum tt_err		 e;
	cJSON			*j;

	if ((e = prepare(req, resp, &c, &key)) != TT_OK ||
	    (e = tt_req_query_int(req, resp, "idx", 0, TT_KV_IDX_MAX, -1, &idx)) != TT_OK ||
	    (e = tt_req_query_bool(req, resp, "committed", 1, &committed)) != TT_OK)
		return e;
	e = tt_kv_size(req->arena, &c, key, idx, committed, &size);
	if (e != TT_OK)
		return store_error(resp, e, "key");
	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddRawToObject(j, "size", size);
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

static enum tt_err
handle_iter(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_kv_ctx	 c;
	struct tt_kv_record	*recs;
	const char		*key, *sel;
	int64_t			 idx, limit;
	int			 inclusive, prefix, committed, n, i;
	enum tt_err		 e;
	cJSON			*j, *arr;

	if ((e = prepare(req, resp, &c, &key)) != TT_OK ||
	    (e = tt_req_query_int(req, resp, "idx", 0, TT_KV_IDX_MAX, -1, &idx)) != TT_OK ||
	    (e = tt_req_query_bool(req, resp, "inclusive", 1, &inclusive)) != TT_OK ||
	    (e = tt_req_query_bool(req, resp, "prefix", 0, &prefix)) != TT_OK ||
	    (e = tt_req_query_bool(req, resp, "committed", 1, &committed)) != TT_OK ||
	    (e = tt_page_limit(req, resp, TT_KV_ITER_DEFAULT, TT_KV_ITER_MAX,
	    &limit)) != TT_OK ||
	    (e = qselect(req, resp, &sel)) != TT_OK)
		return e;
	e = tt_kv_iter(req->arena, &c, key, idx, inclusive, prefix, committed,
	    limit, sel, &recs, &n);
	if (e != TT_OK)
		return store_error(resp, e, "key");
	j = tt_json_own(req->arena, cJSON_CreateObject());
	arr = cJSON_AddArrayToObject(j, "results");
	for (i = 0; i < n; i++)
		cJSON_AddItemReferenceToArray(arr,
		    tt_kv_record_json(req->arena, &recs[i]));
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

static enum tt_err
handle_commit(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_kv_ctx	 c;
	const cJSON		*keys, *k, *m;
	const char		*key;
	int64_t			 idx, *done;
	int			 n, i;
	enum tt_err		 e;
	cJSON			*j, *out, *o;

	if ((e = prepare(req, resp, &c, NULL)) != TT_OK)
		return e;
	keys = cJSON_GetObjectItemCaseSensitive(req->json, "keys");
	if (!cJSON_IsObject(req->json) || !cJSON_IsArray(keys) ||
	    cJSON_GetArraySize(req->json) != 1 ||
	    cJSON_GetArraySize(keys) > TT_KV_ITER_MAX)
		return bad(resp, "body must be {\"keys\": [{\"key\", \"idx\"?}]} "
		    "with at most 1000 entries");
	/* Validate all entries before changing anything. */
	cJSON_ArrayForEach(k, keys) {
		key = tt_json_string(k, "key");
		if (key == NULL || !tt_kv_key_valid(key, strlen(key)))
			return tt_resp_fail(resp, TT_EINVAL, "INVALID_KEY",
			    "each entry needs a valid \"key\"");
		cJSON_ArrayForEach(m, k)
			if (strcmp(m->string, "key") != 0 &&
			    strcmp(m->string, "idx") != 0)
				return bad(resp, "entries take key and idx only");
		if (cJSON_GetObjectItemCaseSensitive(k, "idx") != NULL &&
		    tt_json_int64(k, "idx", 0, TT_KV_IDX_MAX, &idx) != 0)
			return bad(resp, "idx must be an integer from 0 to "
			    "2147483647");
	}
	j = tt_json_own(req->arena, cJSON_CreateObject());
	out = cJSON_AddArrayToObject(j, "keys");
	cJSON_ArrayForEach(k, keys) {
		key = tt_json_string(k, "key");
		idx = -1;
		if (cJSON_GetObjectItemCaseSensitive(k, "idx") != NULL)
			(void)tt_json_int64(k, "idx", 0, TT_KV_IDX_MAX, &idx);
		e = tt_kv_commit(req->arena, &c, key, idx, &done, &n);
		if (e != TT_OK)
			return store_error(resp, e, "key");
		for (i = 0; i < n; i++) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "key", key);
			cJSON_AddNumberToObject(o, "idx", (double)done[i]);
			cJSON_AddItemToArray(out, o);
		}
	}
	tt_resp_cjson(resp, 200, j);
	return TT_OK;
}

#define KV	"/api/v1/github/kv/{int:installation_id}"
#define AUTH	(TT_ROUTE_AUTH | TT_ROUTE_INSTALLATION | TT_ROUTE_GATED)
#define R	TT_CAP_KV_READ
#define W	TT_CAP_KV_WRITE

static const struct tt_route routes[] = {
	{ TT_GET, KV "/key/{rest:key}", R, AUTH, 0, handle_get },
	{ TT_PUT, KV "/key/{rest:key}", W, AUTH | TT_ROUTE_JSON_BODY, 0,
	  handle_set },
	{ TT_DELETE, KV "/key/{rest:key}", R | W, AUTH, 0, handle_delete },
	{ TT_PUT, KV "/cas/key/{rest:key}", R | W, AUTH | TT_ROUTE_JSON_BODY,
	  0, handle_cas },
	{ TT_GET, KV "/count/key/{rest:key}", R, AUTH, 0, handle_count },
	{ TT_GET, KV "/size/key/{rest:key}", R, AUTH, 0, handle_size },
	{ TT_GET, KV "/iter/{rest:key}", R, AUTH, 0, handle_iter },
	{ TT_POST, KV "/commit", W, AUTH | TT_ROUTE_JSON_BODY, 0,
	  handle_commit },
};

int
main(void)
{
	return tt_serve("kv", routes, TT_NITEMS(routes));
}
