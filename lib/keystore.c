/* keystore.c: API key rows in PostgreSQL (only hashes are stored). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "db.h"
#include "json.h"
#include "keystore.h"
#include "page.h"
#include "valid.h"

#define KEY_COLUMNS \
	"id, user_id, name, capabilities::text AS capabilities, " \
	TT_DB_UTC("created_at") " AS created_at, " \
	TT_DB_UTC("last_used_at") " AS last_used_at, " \
	TT_DB_UTC("expires_at") " AS expires_at, " \
	TT_DB_UTC("revoked_at") " AS revoked_at, " \
	TT_DB_US("created_at") " AS created_us"

/* Each write records its audit row in the same statement (v, a, u: the
 * parameters of via, source address and user agent). */
#define AUDIT(event, from, v, a, u) \
	"au AS (INSERT INTO audit_events (event, outcome, via, user_id, " \
	"api_key_id, source_address, user_agent) SELECT '" event "', 'ok', " \
	v ", user_id, id, " a ", " u " FROM " from ") "

TT_DB_STMT(stmt_create) = {
	.name = "keystore_create",
	.sql =
	    "WITH ins AS (INSERT INTO api_keys (user_id, name, key_sha256, "
	    "capabilities, expires_at, refresh_rate_limit) SELECT u.id, $2, "
	    "decode($3, 'hex'), $4::jsonb, $5::timestamptz, $9::int FROM users u "
	    "WHERE u.id = $1::uuid AND "
	    "($5::timestamptz IS NULL OR $5::timestamptz > now()) "
	    "RETURNING *), " AUDIT("key_create", "ins", "$6", "$7", "$8")
	    "SELECT " KEY_COLUMNS " FROM ins",
	.nparams = 9,
};

TT_DB_STMT(stmt_list) = {
	.name = "keystore_list",
	.sql =
	    "SELECT " KEY_COLUMNS " FROM api_keys WHERE user_id = $1::uuid "
	    "AND ($4::bool OR revoked_at IS NULL) AND ($2::bigint IS NULL OR "
	    "(" TT_DB_US("created_at") ", id) > "
	    "($2::bigint, $3::uuid)) ORDER BY api_keys.created_at, api_keys.id "
	    "LIMIT $5::int",
	.nparams = 5,
	.retry = 1,
};

TT_DB_STMT(stmt_revoke) = {
	.name = "keystore_revoke",
	.sql =
	    "WITH r AS (UPDATE api_keys SET revoked_at = now() WHERE id = $1::uuid "
	    "AND ($2::uuid IS NULL OR user_id = $2::uuid) AND revoked_at IS NULL "
	    "RETURNING id, user_id), " AUDIT("key_revoke", "r", "$3", "$4", "$5")
	    "SELECT id FROM r",
	.nparams = 5,
};

static void
read_row(struct tt_arena *a, struct tt_db_res *r, int i,
    struct tt_keystore_key *k)
{
	const char	*caps, *why, *f[2];

	k->id = tt_db_get(r, i, "id");
	k->user_id = tt_db_get(r, i, "user_id");
	k->name = tt_db_get(r, i, "name");
	caps = tt_db_get(r, i, "capabilities");
	k->caps = tt_json_parse(a, caps, strlen(caps), &why);
	k->created_at = tt_db_get(r, i, "created_at");
	k->last_used_at = tt_db_get(r, i, "last_used_at");
	k->expires_at = tt_db_get(r, i, "expires_at");
	k->revoked_at = tt_db_get(r, i, "revoked_at");
	f[0] = tt_db_get(r, i, "created_us");
	f[1] = k->id;
	k->cursor = tt_page_encode(a, f, 2);
}

enum tt_err
tt_keystore_create(struct tt_arena *a, const char *user_id, const char *name,
    const cJSON *caps, const char *expires_at, int64_t rate_limit,
    const struct tt_audit_src *src, char key_out[TT_APIKEY_LEN + 1],
    struct tt_keystore_key *out)
{
	struct tt_db_res	*r;
	const char		*p[9];
	char			 hash[65], lim[24];
	enum tt_err		 e;

	tt_apikey_generate(key_out);
	tt_apikey_hash_hex(key_out, hash);
	p[0] = user_id;
	p[1] = name;
	p[2] = hash;
	p[3] = tt_json_print(a, caps);
	p[4] = expires_at;
	p[5] = src->via;
	p[6] = src->addr;
	p[7] = src->ua;
	snprintf(lim, sizeof(lim), "%lld", (long long)rate_limit);
	p[8] = rate_limit > 0 ? lim : NULL;
	if ((e = tt_db_run(a, &stmt_create, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_EINVAL;	/* unknown user or expiry not ahead */
	read_row(a, r, 0, out);
	return TT_OK;
}

enum tt_err
tt_keystore_list(struct tt_arena *a, const char *user_id, int64_t limit,
    const char *cursor, int all, struct tt_keystore_key **keys, int *n)
{
	struct tt_db_res	*r;
	const char		*p[5], *f[2];
	char			 lim[24];
	int64_t			 us;
	enum tt_err		 e;
	int			 i;

	p[1] = p[2] = NULL;
	if (cursor != NULL) {
		if (tt_page_decode(a, cursor, f, 2) != 0 ||
		    tt_valid_int64(f[0], 0, INT64_MAX, &us) != 0 ||
		    !tt_valid_uuid(f[1]))
			return TT_EINVAL;
		p[1] = f[0];
		p[2] = f[1];
	}
	snprintf(lim, sizeof(lim), "%lld", (long long)limit);
	p[0] = user_id;
	p[3] = all ? "true" : "false";
	p[4] = lim;
	if ((e = tt_db_run(a, &stmt_list, p, &r)) != TT_OK)
		return e;
	*n = tt_db_nrows(r);
	*keys = tt_arena_alloc(a, (size_t)(*n + 1) * sizeof(**keys));
	for (i = 0; i < *n; i++)
		read_row(a, r, i, &(*keys)[i]);
	return TT_OK;
}

enum tt_err
tt_keystore_revoke(struct tt_arena *a, const char *user_id, const char *id,
    const struct tt_audit_src *src)
{
	struct tt_db_res	*r;
	const char		*p[5];
	enum tt_err		 e;

	p[0] = id;
	p[1] = user_id;
	p[2] = src->via;
	p[3] = src->addr;
	p[4] = src->ua;
	if ((e = tt_db_run(a, &stmt_revoke, p, &r)) != TT_OK)
		return e;
	return tt_db_nrows(r) == 1 ? TT_OK : TT_ENOTFOUND;
}

cJSON *
tt_keystore_json(struct tt_arena *a, const struct tt_keystore_key *k)
{
	cJSON	*o;

	o = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddStringToObject(o, "id", k->id);
	cJSON_AddStringToObject(o, "name", k->name);
	cJSON_AddItemToObject(o, "capabilities", cJSON_Duplicate(k->caps, 1));
	cJSON_AddStringToObject(o, "created_at", k->created_at);
	if (k->last_used_at != NULL)
		cJSON_AddStringToObject(o, "last_used_at", k->last_used_at);
	if (k->expires_at != NULL)
		cJSON_AddStringToObject(o, "expires_at", k->expires_at);
	return o;
}
