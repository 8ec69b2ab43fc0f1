/* kv.c: the key-value store in PostgreSQL, scoped by installation. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "json.h"
#include "kv.h"
#include "url.h"
#include "valid.h"


/* Columns of a record; $SEL is the select parameter's number. */
#define COLS(sel) \
	"key, idx, version, committed, size, read_caps::text AS read_caps, " \
	"write_caps::text AS write_caps, " TT_DB_UTC("created_at") " AS created_at, " \
	"(CASE WHEN " sel "::jsonb IS NULL THEN data ELSE (SELECT " \
	"coalesce(jsonb_object_agg(e->>0, jsonb_path_query_first(data, " \
	"(e->>1)::jsonpath)), '{}') FROM jsonb_array_elements(" sel \
	"::jsonb) e) END)::text AS data"

#define NODATA_COLS \
	"key, idx, version, committed, size, read_caps::text AS read_caps, " \
	"write_caps::text AS write_caps, " TT_DB_UTC("created_at") " AS created_at"

/*
 * Row-level caps (API.md 3): a record is readable (writable) by a token
 * holding its own read_caps (write_caps) and those of its key's chunk 0,
 * committed and staged alike: chunk 0 governs every chunk, so a chunk
 * written without caps, or a new chunk of a protected key, is no way
 * around them. CHUNK0(col, caps, inst, key): no chunk 0 of the key has
 * caps in col that the token lacks.
 */
#define CHUNK0(col, caps, inst, key) \
	"NOT EXISTS (SELECT 1 FROM kv_store z WHERE z.installation_id = " \
	inst " AND z.key = " key " AND z.idx = 0 AND z." col " IS NOT NULL " \
	"AND NOT " caps "::jsonb @> z." col ")"
#define READABLE(caps) "((read_caps IS NULL OR " caps "::jsonb @> " \
	"read_caps) AND " CHUNK0("read_caps", caps, \
	"kv_store.installation_id", "kv_store.key") ")"
#define WRITABLE(caps) "((write_caps IS NULL OR " caps "::jsonb @> " \
	"write_caps) AND " CHUNK0("write_caps", caps, \
	"kv_store.installation_id", "kv_store.key") ")"
/* A new record of key $2 in installation $1 by a token holding $8. */
#define NEW_WRITABLE	CHUNK0("write_caps", "$8", "$1::bigint", "$2::text")

/*
 * Reads with committed false mean "committed or not" (Terrateam's
 * meaning), per (key, idx): the staged record where the token may read
 * one, else the committed one. STAGED_OR(c) keeps both kinds when $c is
 * false; ordering by committed (false first) puts the staged one first.
 */
#define STAGED_OR(c)	"(committed OR NOT " c "::bool)"

TT_DB_STMT(stmt_get) = {
	.name = "kv_get",
	.sql =
	    "SELECT " COLS("$6") " FROM kv_store WHERE installation_id = $1 AND "
	    "key = $2 AND idx = $3::int AND " STAGED_OR("$4") " AND "
	    READABLE("$5") " ORDER BY committed LIMIT 1",
	.nparams = 6,
	.retry = 1,
	.standby = 1,
};

TT_DB_STMT(stmt_count) = {
	.name = "kv_count",
	.sql =
	    "SELECT count(DISTINCT idx) AS n, max(idx) AS max_idx FROM kv_store "
	    "WHERE installation_id = $1 AND key = $2 AND " STAGED_OR("$3")
	    " AND " READABLE("$4"),
	.nparams = 4,
	.retry = 1,
	.standby = 1,
};

TT_DB_STMT(stmt_size) = {
	.name = "kv_size",
	.sql =
	    "SELECT count(*) AS n, coalesce(sum(size), 0) AS size FROM "
	    "(SELECT DISTINCT ON (idx) size FROM kv_store WHERE "
	    "installation_id = $1 AND key = $2 AND ($3::int IS NULL OR "
	    "idx = $3::int) AND " STAGED_OR("$4") " AND " READABLE("$5")
	    " ORDER BY idx, committed) r",
	.nparams = 5,
	.retry = 1,
	.standby = 1,
};

TT_DB_STMT(stmt_iter) = {
	.name = "kv_iter",
	.sql =
	    "SELECT DISTINCT ON (key, idx) " COLS("$8") " FROM kv_store WHERE "
	    "installation_id = $1 AND " STAGED_OR("$2") " AND " READABLE("$3")
	    " AND (NOT $4::bool OR starts_with(key, $5)) AND "
	    "(CASE WHEN $6::int IS NULL THEN "
	    "(CASE WHEN $7::bool THEN key >= $5 ELSE key > $5 END) "
	    "ELSE (CASE WHEN $7::bool THEN (key, idx) >= ($5, $6::int) "
	    "ELSE (key, idx) > ($5, $6::int) END) END) "
	    "ORDER BY key, idx, committed LIMIT $9::int",
	.nparams = 9,
	.retry = 1,
	.standby = 1,
};

/*
 * Writes take the request body itself ($4) and let PostgreSQL take the
 * value out of it ("data", or its alias "value"), so numbers keep every
 * digit the client sent (jsonb numbers are decimal, not double), and
 * check its stored size against the limit (sql/004, 413).
 */
#define DATA \
	"kv_checked_value(coalesce($4::jsonb -> 'data', $4::jsonb -> 'value'))"

#define NEW_RECORD \
	"INSERT INTO kv_store (installation_id, key, idx, data, committed, " \
	"size, read_caps, write_caps) SELECT $1::bigint, $2::text, $3::int, " \
	DATA ", $5::bool, octet_length((" DATA ")::text), $6::jsonb, " \
	"$7::jsonb WHERE " NEW_WRITABLE " "

/*
 * Insert, or overwrite when the record's write_caps are all held; either
 * only when its key's chunk 0 allows (no row: 403).
 */
TT_DB_STMT(stmt_set) = {
	.name = "kv_set",
	.sql =
	    NEW_RECORD
	    "ON CONFLICT (installation_id, key, idx, committed) DO UPDATE SET "
	    "data = excluded.data, size = excluded.size, read_caps = "
	    "excluded.read_caps, write_caps = excluded.write_caps, version = "
	    "kv_store.version + 1, created_at = now() WHERE "
	    "kv_store.write_caps IS NULL OR $8::jsonb @> kv_store.write_caps "
	    "RETURNING " NODATA_COLS,
	.nparams = 8,
};

/* Create only (no row: it exists, or its key's chunk 0 refuses: kv_why). */
TT_DB_STMT(stmt_create) = {
	.name = "kv_create",
	.sql =
	    NEW_RECORD
	    "ON CONFLICT (installation_id, key, idx, committed) DO NOTHING "
	    "RETURNING " COLS("NULL"),
	.nparams = 8,
};

/* Compare-and-set: the version and the caps in the same UPDATE. */
TT_DB_STMT(stmt_cas) = {
	.name = "kv_cas",
	.sql =
	    "UPDATE kv_store SET data = " DATA ", size = octet_length((" DATA
	    ")::text), read_caps = $6::jsonb, write_caps = $7::jsonb, version = "
	    "version + 1, created_at = now() WHERE installation_id = $1 AND "
	    "key = $2 AND idx = $3::int AND committed = $5::bool AND "
	    "version = $9::bigint AND " WRITABLE("$8") " RETURNING " COLS("NULL"),
	.nparams = 9,
};

/*
 * Why a CAS wrote nothing: whether the record (when there is one) or its
 * key's chunk 0 refuses this token; if neither, it lost the race.
 */
TT_DB_STMT(stmt_why) = {
	.name = "kv_why",
	.sql =
	    "SELECT coalesce((SELECT " WRITABLE("$5") " FROM kv_store WHERE "
	    "installation_id = $1 AND key = $2 AND idx = $3::int AND "
	    "committed = $4::bool), " CHUNK0("write_caps", "$5", "$1::bigint",
	    "$2::text") ") AS writable",
	.nparams = 5,
	.retry = 1,
};

/* Deletes all targets, or none if any is write-protected. */
TT_DB_STMT(stmt_delete) = {
	.name = "kv_delete",
	.sql =
	    "WITH target AS (SELECT idx, committed, " WRITABLE("$5") " AS ok "
	    "FROM kv_store WHERE installation_id = $1 AND key = $2 AND "
	    "($3::int IS NULL OR idx = $3::int) AND ($4::bigint IS NULL OR "
	    "version = $4::bigint) FOR UPDATE), "
	    "del AS (DELETE FROM kv_store k USING target t WHERE NOT EXISTS "
	    "(SELECT 1 FROM target WHERE NOT ok) AND k.installation_id = $1 AND "
	    "k.key = $2 AND k.idx = t.idx AND k.committed = t.committed "
	    "RETURNING 1) "
	    "SELECT (SELECT count(*) FROM target WHERE NOT ok) AS blocked, "
	    "(SELECT count(*) FROM del) AS deleted",
	.nparams = 5,
};

TT_DB_STMT(stmt_staged) = {
	.name = "kv_staged",
	.sql =
	    "SELECT idx, " WRITABLE("$4") " AS ok FROM kv_store WHERE "
	    "installation_id = $1 AND key = $2 AND ($3::int IS NULL OR "
	    "idx = $3::int) AND committed = false ORDER BY idx FOR UPDATE",
	.nparams = 4,
};

TT_DB_STMT(stmt_replace) = {
	.name = "kv_replace",
	.sql =
	    "WITH old AS (DELETE FROM kv_store WHERE installation_id = $1 AND "
	    "key = $2 AND idx = $3::int AND committed = true RETURNING version, "
	    WRITABLE("$4") " AS ok) SELECT (SELECT version FROM old) AS version, "
	    "(SELECT ok FROM old) AS ok",
	.nparams = 4,
};

TT_DB_STMT(stmt_promote) = {
	.name = "kv_promote",
	.sql =
	    "UPDATE kv_store SET committed = true, version = $4::bigint WHERE "
	    "installation_id = $1 AND key = $2 AND idx = $3::int AND "
	    "committed = false",
	.nparams = 4,
};

int
tt_kv_key_valid(const char *key, size_t len)
{
	const unsigned char	*p = (const unsigned char *)key;
	size_t			 i;

	if (key == NULL || len == 0 || len > TT_KV_KEY_MAX ||
	    strlen(key) != len || !tt_valid_utf8(key, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		/* C1 controls U+0080..U+009F are C2 80..C2 9F in UTF-8. */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

/*
 * The length of "name=" at p when a comma before p starts a new pair: a
 * name of [A-Za-z0-9_] then one '=' (not "==", jsonpath's equality);
 * 0 otherwise.
 */
static size_t
next_pair(const char *p)
{
	size_t	n = 0;

	while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') ||
	    (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	return n > 0 && p[n] == '=' && p[n + 1] != '=' ? n + 1 : 0;
}

/*
 * Appends the pairs of one select value to arr, counting them in *n;
 * -1 for a malformed value or more than TT_KV_SELECT_MAX pairs in all.
 * The first name runs to the first '='; its path, and each later one,
 * to a comma outside a double-quoted string that next_pair accepts.
 */
static int
select_pairs(struct tt_arena *a, const char *v, cJSON *arr, unsigned *n)
{
	const char	*name, *eq, *p;
	int		 quoted;
	cJSON		*pair;

	name = v;
	if ((eq = strchr(name, '=')) == NULL)
		return -1;
	for (;;) {
		quoted = 0;
		for (p = eq + 1; *p != '\0'; p++) {
			if (quoted && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == ',' && next_pair(p + 1) > 0)
				break;
		}
		if (eq == name || p == eq + 1 || ++*n > TT_KV_SELECT_MAX)
			return -1;
		pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateString(
		    tt_arena_strndup(a, name, (size_t)(eq - name))));
		cJSON_AddItemToArray(pair, cJSON_CreateString(
		    tt_arena_strndup(a, eq + 1, (size_t)(p - eq - 1))));
		cJSON_AddItemToArray(arr, pair);
		if (*p == '\0')
			return 0;
		name = p + 1;
		eq = name + next_pair(name) - 1;
	}
}

int
tt_kv_select(struct tt_arena *a, const char *query, const char **out)
{
	const char	*v;
	unsigned	 i, n = 0;
	int		 bad;
	cJSON		*arr;

	*out = NULL;
	arr = tt_json_own(a, cJSON_CreateArray());
	/* Each value adds a pair or fails: n bounds the loop. */
	for (i = 0;; i++) {
		v = tt_url_query(a, query, "select", i, &bad);
		if (bad)
			return -1;
		if (v == NULL)
			break;
		if (!tt_valid_utf8(v, strlen(v)) ||
		    select_pairs(a, v, arr, &n) != 0)
			return -1;
	}
	if (n > 0)
		*out = tt_json_print(a, arr);
	return 0;
}

static const char *
num(struct tt_arena *a, int64_t v)
{
	return tt_arena_printf(a, "%lld", (long long)v);
}

static void
read_record(struct tt_db_res *r, int i, struct tt_kv_record *rec)
{
	const char	*c;

	rec->key = tt_db_get(r, i, "key");
	rec->idx = tt_db_get(r, i, "idx");
	rec->version = tt_db_get(r, i, "version");
	c = tt_db_get(r, i, "committed");
	rec->committed = c != NULL && strcmp(c, "t") == 0;
	rec->size = tt_db_get(r, i, "size");
	rec->read_caps = tt_db_get(r, i, "read_caps");
	rec->write_caps = tt_db_get(r, i, "write_caps");
	rec->created_at = tt_db_get(r, i, "created_at");
}

/* Statements with a data column; others leave rec->data NULL. */
static void
read_record_data(struct tt_db_res *r, int i, struct tt_kv_record *rec)
{
	read_record(r, i, rec);
	rec->data = tt_db_get(r, i, "data");
}

enum tt_err
tt_kv_get(struct tt_arena *a, const struct tt_kv_ctx *c, const char *key,
    int64_t idx, int committed, const char *sel, struct tt_kv_record *rec)
{
	struct tt_db_res	*r;
	const char		*p[6];
	enum tt_err		 e;

	p[0] = c->installation_id;
	p[1] = key;
	p[2] = num(a, idx);
	p[3] = committed ? "true" : "false";
	p[4] = c->caps;
	p[5] = sel;
	if ((e = tt_db_run(a, &stmt_get, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_ENOTFOUND;
	read_record_data(r, 0, rec);
	return TT_OK;
}

enum tt_err
tt_kv_count(struct tt_arena *a, const struct tt_kv_ctx *c, const char *key,
    int committed, const char **count, const char **max_idx)
{
	struct tt_db_res	*r;
	const char		*p[4];
	enum tt_err		 e;

	p[0] = c->installation_id;
	p[1] = key;
	p[2] = committed ? "true" : "false";
	p[3] = c->caps;
	if ((e = tt_db_run(a, &stmt_count, p, &r)) != TT_OK)
		return e;
	*count = tt_db_get(r, 0, "n");
	*max_idx = tt_db_get(r, 0, "max_idx");
	return strcmp(*count, "0") == 0 ? TT_ENOTFOUND : TT_OK;
}

enum tt_err
tt_kv_size(struct tt_arena *a, const struct tt_kv_ctx *c, const char *key,
    int64_t idx, int committed, const char **size)
{
	struct tt_db_res	*r;
	const char		*p[5];
	enum tt_err		 e;

	p[0] = c->installation_id;
	p[1] = key;
	p[2] = idx >= 0 ? num(a, idx) : NULL;
	p[3] = committed ? "true" : "false";
	p[4] = c->caps;
	if ((e = tt_db_run(a, &stmt_size, p, &r)) != TT_OK)
		return e;
	*size = tt_db_get(r, 0, "size");
	return strcmp(tt_db_get(r, 0, "n"), "0") == 0 ? TT_ENOTFOUND : TT_OK;
}

enum tt_err
tt_kv_iter(struct tt_arena *a, const struct tt_kv_ctx *c, const char *key,
    int64_t idx, int inclusive, int prefix, int committed, int64_t limit,
    const char *sel, struct tt_kv_record **recs, int *n)
{
	struct tt_db_res	*r;
	const char		*p[9];
	enum tt_err		 e;
	int			 i;

	p[0] = c->installation_id;
	p[1] = committed ? "true" : "false";
	p[2] = c->caps;
	p[3] = prefix ? "true" : "false";
	p[4] = key;
	p[5] = idx >= 0 ? num(a, idx) : NULL;
	p[6] = inclusive ? "true" : "false";
	p[7] = sel;
	p[8] = num(a, limit);
	if ((e = tt_db_run(a, &stmt_iter, p, &r)) != TT_OK)
		return e;
	*n = tt_db_nrows(r);
	*recs = tt_arena_alloc(a, (size_t)(*n + 1) * sizeof(**recs));
	for (i = 0; i < *n; i++)
		read_record_data(r, i, &(*recs)[i]);
	return TT_OK;
}

static void
write_params(struct tt_arena *a, const struct tt_kv_ctx *c,
    const struct tt_kv_write *w, const char **p)
{
	p[0] = c->installation_id;
	p[1] = w->key;
	p[2] = num(a, w->idx);
	p[3] = w->body;
	p[4] = w->committed ? "true" : "false";
	p[5] = w->read_caps;
	p[6] = w->write_caps;
	p[7] = c->caps;
}

enum tt_err
tt_kv_set(struct tt_arena *a, const struct tt_kv_ctx *c,
    const struct tt_kv_write *w, struct tt_kv_record *rec)
{
	struct tt_db_res	*r;
	const char		*p[8];
	enum tt_err		 e;

	write_params(a, c, w, p);
	if ((e = tt_db_run_apart(a, &stmt_set, p, &r)) != TT_OK)
		return e;
	if (tt_db_nrows(r) != 1)
		return TT_EFORBIDDEN;	/* the existing record's write_caps */
	read_record(r, 0, rec);
	rec->data = NULL;
	return TT_OK;
}

enum tt_err
tt_kv_cas(struct tt_arena *a, const struct tt_kv_ctx *c,
    const struct tt_kv_write *w, int has_version, int64_t version,
    struct tt_kv_record *rec, const char **conflict)
{
	struct tt_db_res	*r;
	const char		*p[9], *why[5];
	enum tt_err		 e;

	write_params(a, c, w, p);
	if (has_version)
		p[8] = num(a, version);
	e = tt_db_run_apart(a, has_version ? &stmt_cas : &stmt_create, p, &r);
	if (e != TT_OK)
		return e;
	if (tt_db_nrows(r) == 1) {
		read_record_data(r, 0, rec);
		return TT_OK;
	}

	/* Lost: say why (the write itself was atomic either way). */
	why[0] = p[0];
	why[1] = p[1];
	why[2] = p[2];
	why[3] = p[4];
	why[4] = c->caps;
	if ((e = tt_db_run(a, &stmt_why, why, &r)) != TT_OK)
		return e;
	if (strcmp(tt_db_get(r, 0, "writable"), "t") != 0)
		return TT_EFORBIDDEN;
	*conflict = has_version ? "VERSION_MISMATCH" : "ALREADY_EXISTS";
	return TT_ECONFLICT;
}

enum tt_err
tt_kv_delete(struct tt_arena *a, const struct tt_kv_ctx *c, const char *key,
    int64_t idx, int has_version, int64_t version, int *deleted)
{
	struct tt_db_res	*r;
	const char		*p[5];
	enum tt_err		 e;

	p[0] = c->installation_id;
	p[1] = key;
	p[2] = idx >= 0 ? num(a, idx) : NULL;
	p[3] = has_version ? num(a, version) : NULL;
	p[4] = c->caps;
	if ((e = tt_db_run_apart(a, &stmt_delete, p, &r)) != TT_OK)
		return e;
	if (strcmp(tt_db_get(r, 0, "blocked"), "0") != 0)
		return TT_EFORBIDDEN;
	*deleted = strcmp(tt_db_get(r, 0, "deleted"), "0") != 0;
	return TT_OK;
}

enum tt_err
tt_kv_commit(struct tt_arena *a, const struct tt_kv_ctx *c, const char *key,
    int64_t idx, int64_t **idxs, int *n)
{
	struct tt_db_res	*r, *o;
	const char		*p[4], *v;
	enum tt_err		 e;
	int			 i, rows;

	*n = 0;
	if ((e = tt_db_begin(a)) != TT_OK)
		return e;
	p[0] = c->installation_id;
	p[1] = key;
	p[2] = idx >= 0 ? num(a, idx) : NULL;
	p[3] = c->caps;
	if ((e = tt_db_run(a, &stmt_staged, p, &r)) != TT_OK)
		goto fail;
	rows = tt_db_nrows(r);
	*idxs = tt_arena_alloc(a, (size_t)(rows + 1) * sizeof(**idxs));
	for (i = 0; i < rows; i++) {
		if (strcmp(tt_db_get(r, i, "ok"), "t") != 0) {
			e = TT_EFORBIDDEN;
			goto fail;
		}
		p[2] = tt_db_get(r, i, "idx");
		if ((e = tt_db_run(a, &stmt_replace, p, &o)) != TT_OK)
			goto fail;
		v = tt_db_get(o, 0, "ok");
		if (v != NULL && strcmp(v, "t") != 0) {
			e = TT_EFORBIDDEN;
			goto fail;
		}
		/* Overwriting a committed record is one more version. */
		v = tt_db_get(o, 0, "version");
		p[3] = v ? num(a, strtoll(v, NULL, 10) + 1) : "0";
		if ((e = tt_db_run(a, &stmt_promote, p, &o)) != TT_OK)
			goto fail;
		p[3] = c->caps;
		(*idxs)[(*n)++] = strtoll(tt_db_get(r, i, "idx"), NULL, 10);
	}
	if ((e = tt_db_commit(a)) != TT_OK)
		goto fail;
	return TT_OK;
fail:
	tt_db_rollback(a);
	*n = 0;
	return e;
}

cJSON *
tt_kv_record_json(struct tt_arena *a, const struct tt_kv_record *rec)
{
	cJSON	*o;

	o = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddStringToObject(o, "key", rec->key);
	cJSON_AddRawToObject(o, "idx", rec->idx);
	if (rec->data != NULL)
		cJSON_AddRawToObject(o, "data", rec->data);
	else
		cJSON_AddNullToObject(o, "data");
	cJSON_AddRawToObject(o, "version", rec->version);
	cJSON_AddBoolToObject(o, "committed", rec->committed);
	cJSON_AddStringToObject(o, "created_at", rec->created_at);
	cJSON_AddRawToObject(o, "size", rec->size);
	if (rec->read_caps != NULL)
		cJSON_AddRawToObject(o, "read_caps", rec->read_caps);
	if (rec->write_caps != NULL)
		cJSON_AddRawToObject(o, "write_caps", rec->write_caps);
	return o;
}
