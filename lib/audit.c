/* audit.c: audit_events rows (sql/013): cleaning, listing, pruning. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "http.h"
#include "json.h"
#include "page.h"
#include "valid.h"

const struct tt_audit_src tt_audit_src_ttctl = { "ttctl", NULL, "ttctl" };

TT_DB_STMT(stmt_list) = {
	.name = "audit_list",
	.sql =
	    "SELECT id, " TT_DB_UTC("at") " AS at, event, outcome, via, user_id, "
	    "api_key_id, policy_id, source_address, user_agent FROM audit_events "
	    "WHERE ($1::uuid IS NULL OR user_id = $1::uuid) AND "
	    "($2::timestamptz IS NULL OR at >= $2::timestamptz) AND "
	    "($3::bigint IS NULL OR id < $3::bigint) "
	    "ORDER BY id DESC LIMIT $4::int",
	.nparams = 4,
	.retry = 1,
};

TT_DB_STMT(stmt_prune) = {
	.name = "audit_prune",
	.sql =
	    "WITH e AS (DELETE FROM audit_events WHERE at < now() - "
	    "make_interval(days => $1::int) RETURNING 1), "
	    "b AS (DELETE FROM rate_buckets WHERE tat < now() RETURNING 1) "
	    "SELECT (SELECT count(*) FROM e) AS events, "
	    "(SELECT count(*) FROM b) AS buckets",
	.nparams = 1,
};

char *
tt_audit_clean(struct tt_arena *a, const char *raw, size_t max)
{
	size_t	 n;
	char	*s, *p;

	if (raw == NULL || raw[0] == '\0')
		return NULL;
	n = strlen(raw);
	if (n > max) {
		n = max;
		/* Back off a character cut in two (at most 3 bytes). */
		while (n > 0 && max - n < 3 &&
		    ((unsigned char)raw[n] & 0xc0) == 0x80)
			n--;
	}
	s = tt_arena_alloc(a, n + 1);
	memcpy(s, raw, n);
	s[n] = '\0';
	tt_valid_utf8_scrub(s);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

void
tt_audit_src_req(const struct tt_req *req, struct tt_audit_src *src)
{
	src->via = "api";
	src->addr = tt_audit_clean(req->arena, req->remote_addr,
	    TT_AUDIT_ADDR_MAX);
	src->ua = tt_audit_clean(req->arena, tt_req_header(req, "User-Agent"),
	    TT_AUDIT_UA_MAX);
}

static void
read_row(struct tt_arena *a, struct tt_db_res *r, int i,
    struct tt_audit_row *w)
{
	const char	*f[1];

	w->id = tt_db_get(r, i, "id");
	w->at = tt_db_get(r, i, "at");
	w->event = tt_db_get(r, i, "event");
	w->outcome = tt_db_get(r, i, "outcome");
	w->via = tt_db_get(r, i, "via");
	w->user_id = tt_db_get(r, i, "user_id");
	w->api_key_id = tt_db_get(r, i, "api_key_id");
	w->policy_id = tt_db_get(r, i, "policy_id");
	w->source_address = tt_db_get(r, i, "source_address");
	w->user_agent = tt_db_get(r, i, "user_agent");
	f[0] = w->id;
	w->cursor = tt_page_encode(a, f, 1);
}

enum tt_err
tt_audit_list(struct tt_arena *a, const char *user_id, const char *since,
    int64_t limit, const char *cursor, struct tt_audit_row **rows, int *n)
{
	struct tt_db_res	*r;
	const char		*p[4], *f[1];
	char			 lim[24];
	int64_t			 id;
	enum tt_err		 e;
	int			 i;

	p[2] = NULL;
	if (cursor != NULL) {
		if (tt_page_decode(a, cursor, f, 1) != 0 ||
		    tt_valid_int64(f[0], 1, INT64_MAX, &id) != 0)
			return TT_EINVAL;
		p[2] = f[0];
	}
	snprintf(lim, sizeof(lim), "%lld", (long long)limit);
	p[0] = user_id;
	p[1] = since;
	p[3] = lim;
	if ((e = tt_db_run(a, &stmt_list, p, &r)) != TT_OK)
		return e;
	*n = tt_db_nrows(r);
	*rows = tt_arena_alloc(a, (size_t)(*n + 1) * sizeof(**rows));
	for (i = 0; i < *n; i++)
		read_row(a, r, i, &(*rows)[i]);
	return TT_OK;
}

static void
add_str(cJSON *o, const char *name, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, name, v);
}

cJSON *
tt_audit_json(struct tt_arena *a, const struct tt_audit_row *w)
{
	cJSON	*o;

	o = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddNumberToObject(o, "id", strtod(w->id, NULL));
	add_str(o, "at", w->at);
	add_str(o, "event", w->event);
	add_str(o, "outcome", w->outcome);
	add_str(o, "via", w->via);
	add_str(o, "user_id", w->user_id);
	add_str(o, "api_key_id", w->api_key_id);
	add_str(o, "policy_id", w->policy_id);
	add_str(o, "source_address", w->source_address);
	add_str(o, "user_agent", w->user_agent);
	return o;
}

enum tt_err
tt_audit_prune(struct tt_arena *a, int64_t days, int64_t *events,
    int64_t *buckets)
{
	struct tt_db_res	*r;
	const char		*p[1];
	char			 d[24];
	enum tt_err		 e;

	snprintf(d, sizeof(d), "%lld", (long long)days);
	p[0] = d;
	if ((e = tt_db_run(a, &stmt_prune, p, &r)) != TT_OK)
		return e;
	*events = strtoll(tt_db_get(r, 0, "events"), NULL, 10);
	*buckets = strtoll(tt_db_get(r, 0, "buckets"), NULL, 10);
	return TT_OK;
}
