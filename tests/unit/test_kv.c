/*
 * test_kv.c: unit tests for kv.c against a real PostgreSQL: reads,
 * writes, versions, staged and committed records (a read with committed
 * false: committed or not), row caps (chunk 0's govern every chunk of
 * its key), select, the value limit and the installations' separate
 * namespaces. One behaviour each; every test works in an installation
 * of its own.
 *
 * Needs TT_DATABASE_URL, a migrated database: tests/run.sh unit starts
 * one. By hand: TT_DATABASE_URL=... build/tests/unit/test_kv
 * (tests/unit/testdb.h starts one). Without it every test fails.
 */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "kv.h"
#include "testdb.h"

/* The tokens' capabilities: ordinary, and with the system ones. */
#define RW	"[\"kv_store_read\",\"kv_store_write\"]"
#define SYS	"[\"kv_store_read\",\"kv_store_write\"," \
		"\"kv_store_system_read\",\"kv_store_system_write\"]"
/* Record caps only SYS holds. */
#define SYSREAD		"[\"kv_store_system_read\"]"
#define SYSWRITE	"[\"kv_store_system_write\"]"

/* The value limit these tests run with (TT_KV_MAX_VALUE_BYTES). */
#define LIMIT		64
#define LIMIT_TEXT	"64"

static struct tt_arena	*A;
static const char	*inst;		/* this test's installation */

static int
fresh(void **state)
{
	(void)state;
	A = tt_arena_new();
	inst = testdb_installation(A);
	return 0;
}

static int
fresh_end(void **state)
{
	(void)state;
	tt_arena_free(A);
	return 0;
}

static struct tt_kv_ctx
as(const char *caps)
{
	struct tt_kv_ctx	c = { inst, caps };

	return c;
}

/* A write of body to key/idx (staged unless committed), with caps. */
static struct tt_kv_write
rec(const char *key, int64_t idx, int committed, const char *body,
    const char *rcaps, const char *wcaps)
{
	struct tt_kv_write	w;

	memset(&w, 0, sizeof(w));
	w.key = key;
	w.idx = idx;
	w.committed = committed;
	w.body = body;
	w.read_caps = rcaps;
	w.write_caps = wcaps;
	return w;
}

static enum tt_err
set(const char *caps, struct tt_kv_write w)
{
	struct tt_kv_ctx	c = as(caps);
	struct tt_kv_record	r;

	return tt_kv_set(A, &c, &w, &r);
}

/* A committed record with data, no caps, written by RW. */
static void
put(const char *key, int64_t idx, const char *body)
{
	assert_int_equal(set(RW, rec(key, idx, 1, body, NULL, NULL)), TT_OK);
}

static enum tt_err
get(const char *caps, const char *key, int64_t idx, int committed,
    const char *sel, struct tt_kv_record *r)
{
	struct tt_kv_ctx	c = as(caps);

	return tt_kv_get(A, &c, key, idx, committed, sel, r);
}

/* The committed data of key/idx as SYS sees it, or NULL. */
static const char *
data(const char *key, int64_t idx)
{
	struct tt_kv_record	r;

	return get(SYS, key, idx, 1, NULL, &r) == TT_OK ? r.data : NULL;
}

/* The staged data of key/idx as SYS sees it, or NULL if none is staged. */
static const char *
staged(const char *key, int64_t idx)
{
	struct tt_kv_record	r;

	return get(SYS, key, idx, 0, NULL, &r) == TT_OK && !r.committed ?
	    r.data : NULL;
}

/*
 * What a read with committed false answers caps for key/idx: the data,
 * then "/s" for a staged record or "/c" for a committed one; NULL if none.
 */
static const char *
either(const char *caps, const char *key, int64_t idx)
{
	struct tt_kv_record	r;

	if (get(caps, key, idx, 0, NULL, &r) != TT_OK)
		return NULL;
	return tt_arena_printf(A, "%s/%s", r.data, r.committed ? "c" : "s");
}

static enum tt_err
cas(const char *caps, struct tt_kv_write w, int has_version,
    int64_t version, struct tt_kv_record *r, const char **conflict)
{
	struct tt_kv_ctx	c = as(caps);

	*conflict = NULL;
	return tt_kv_cas(A, &c, &w, has_version, version, r, conflict);
}

static enum tt_err
del(const char *caps, const char *key, int64_t idx, int has_version,
    int64_t version, int *deleted)
{
	struct tt_kv_ctx	c = as(caps);

	*deleted = -1;
	return tt_kv_delete(A, &c, key, idx, has_version, version, deleted);
}

static enum tt_err
commit(const char *caps, const char *key, int64_t idx, int *n)
{
	struct tt_kv_ctx	 c = as(caps);
	int64_t			*idxs;

	return tt_kv_commit(A, &c, key, idx, &idxs, n);
}

/* The number of committed records of key caps can see ("0" if none). */
static const char *
count(const char *caps, const char *key)
{
	struct tt_kv_ctx	 c = as(caps);
	const char		*n, *max;

	if (tt_kv_count(A, &c, key, 1, &n, &max) == TT_ENOTFOUND)
		assert_string_equal(n, "0");
	return n;
}

/* The keys/idx iter yields as "key:idx,key:idx". */
static const char *
iter(const char *caps, const char *from, int64_t idx, int inclusive,
    int prefix, int committed, int64_t limit)
{
	struct tt_kv_ctx	 c = as(caps);
	struct tt_kv_record	*r;
	const char		*s = "";
	int			 n, i;

	assert_int_equal(tt_kv_iter(A, &c, from, idx, inclusive, prefix,
	    committed, limit, NULL, &r, &n), TT_OK);
	for (i = 0; i < n; i++)
		s = tt_arena_printf(A, "%s%s%s:%s", s, i ? "," : "", r[i].key,
		    r[i].idx);
	return s;
}

/* What iter with committed false yields, as "key:idx=data/s|c,...". */
static const char *
iter_either(const char *caps, int64_t limit)
{
	struct tt_kv_ctx	 c = as(caps);
	struct tt_kv_record	*r;
	const char		*s = "";
	int			 n, i;

	assert_int_equal(tt_kv_iter(A, &c, "", -1, 1, 0, 0, limit, NULL, &r,
	    &n), TT_OK);
	for (i = 0; i < n; i++)
		s = tt_arena_printf(A, "%s%s%s:%s=%s/%s", s, i ? "," : "",
		    r[i].key, r[i].idx, r[i].data, r[i].committed ? "c" : "s");
	return s;
}

/* The count and max_idx of key, committed or not, as "n/max" ("0/-"). */
static const char *
count_either(const char *caps, const char *key)
{
	struct tt_kv_ctx	 c = as(caps);
	const char		*n, *max;

	if (tt_kv_count(A, &c, key, 0, &n, &max) != TT_OK)
		return "0/-";
	return tt_arena_printf(A, "%s/%s", n, max);
}

/* The size of key (idx -1: all), committed or not; NULL if none. */
static const char *
size_either(const char *caps, const char *key, int64_t idx)
{
	struct tt_kv_ctx	 c = as(caps);
	const char		*size;

	return tt_kv_size(A, &c, key, idx, 0, &size) == TT_OK ? size : NULL;
}

/* A parsed select parameter (query text, already URL-encoded). */
static const char *
sel(const char *query)
{
	const char	*s;

	assert_int_equal(tt_kv_select(A, query, &s), 0);
	assert_non_null(s);
	return s;
}

/* --- Set and get. --- */

static void
test_set_then_get(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	put("k", 0, "{\"data\":{\"a\":[1,2]}}");
	assert_int_equal(get(RW, "k", 0, 1, NULL, &r), TT_OK);
	assert_string_equal(r.key, "k");
	assert_string_equal(r.idx, "0");
	assert_string_equal(r.data, "{\"a\": [1, 2]}");
	assert_string_equal(r.version, "0");
	assert_true(r.committed);
	assert_string_equal(r.size, "13");
	assert_null(r.read_caps);
	assert_null(r.write_caps);
	assert_non_null(r.created_at);
}

static void
test_set_answers_the_record_with_null_data(void **state)
{
	struct tt_kv_ctx	 c = as(RW);
	struct tt_kv_write	 w = rec("k", 3, 1, "{\"data\":true}", NULL,
				    NULL);
	struct tt_kv_record	 r;
	cJSON			*j;

	(void)state;
	assert_int_equal(tt_kv_set(A, &c, &w, &r), TT_OK);
	assert_string_equal(r.key, "k");
	assert_string_equal(r.idx, "3");
	assert_string_equal(r.version, "0");
	assert_null(r.data);
	/* Terrateam's clients require the member: "data": null. */
	j = tt_kv_record_json(A, &r);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "data")));
}

static void
test_value_is_an_alias_of_data(void **state)
{
	(void)state;
	put("k", 0, "{\"value\":\"v\"}");
	assert_string_equal(data("k", 0), "\"v\"");
}

static void
test_numbers_keep_every_digit(void **state)
{
	(void)state;
	put("k", 0, "{\"data\":[12345678901234567890123.4500,0.1,-0]}");
	assert_string_equal(data("k", 0),
	    "[12345678901234567890123.4500, 0.1, 0]");
}

static void
test_set_again_bumps_the_version(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	put("k", 0, "{\"data\":1}");
	put("k", 0, "{\"data\":2}");
	put("k", 0, "{\"data\":3}");
	assert_int_equal(get(RW, "k", 0, 1, NULL, &r), TT_OK);
	assert_string_equal(r.version, "2");
	assert_string_equal(r.data, "3");
}

static void
test_get_missing_key_is_not_found(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	assert_int_equal(get(RW, "nothing here", 0, 1, NULL, &r),
	    TT_ENOTFOUND);
}

static void
test_get_missing_idx_is_not_found(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	put("k", 0, "{\"data\":1}");
	assert_int_equal(get(RW, "k", 1, 1, NULL, &r), TT_ENOTFOUND);
}

static void
test_keys_are_bytewise_exact(void **state)
{
	(void)state;
	put("K", 0, "{\"data\":1}");
	put("k", 0, "{\"data\":2}");
	put("ké/x y", 0, "{\"data\":3}");
	assert_string_equal(data("K", 0), "1");
	assert_string_equal(data("k", 0), "2");
	assert_string_equal(data("ké/x y", 0), "3");
	assert_null(data("ke/x y", 0));
}

/* --- Compare-and-set. --- */

static void
test_cas_without_version_creates(void **state)
{
	struct tt_kv_record	 r;
	const char		*conflict;

	(void)state;
	assert_int_equal(cas(RW, rec("k", 0, 1, "{\"data\":1}", NULL, NULL),
	    0, 0, &r, &conflict), TT_OK);
	assert_string_equal(r.version, "0");
	assert_string_equal(r.data, "1");
	assert_string_equal(data("k", 0), "1");
}

static void
test_cas_without_version_on_existing_is_already_exists(void **state)
{
	struct tt_kv_record	 r;
	const char		*conflict;

	(void)state;
	put("k", 0, "{\"data\":1}");
	assert_int_equal(cas(RW, rec("k", 0, 1, "{\"data\":2}", NULL, NULL),
	    0, 0, &r, &conflict), TT_ECONFLICT);
	assert_string_equal(conflict, "ALREADY_EXISTS");
	assert_string_equal(data("k", 0), "1");
}

static void
test_cas_at_the_version_writes(void **state)
{
	struct tt_kv_record	 r;
	const char		*conflict;

	(void)state;
	put("k", 0, "{\"data\":1}");
	put("k", 0, "{\"data\":2}");
	assert_int_equal(cas(RW, rec("k", 0, 1, "{\"data\":3}", NULL, NULL),
	    1, 1, &r, &conflict), TT_OK);
	assert_string_equal(r.version, "2");
	assert_string_equal(r.data, "3");
	assert_string_equal(data("k", 0), "3");
}

static void
test_cas_at_another_version_is_version_mismatch(void **state)
{
	struct tt_kv_record	 r;
	const char		*conflict;

	(void)state;
	put("k", 0, "{\"data\":1}");
	assert_int_equal(cas(RW, rec("k", 0, 1, "{\"data\":2}", NULL, NULL),
	    1, 7, &r, &conflict), TT_ECONFLICT);
	assert_string_equal(conflict, "VERSION_MISMATCH");
	assert_string_equal(data("k", 0), "1");
}

static void
test_cas_with_version_on_missing_key_is_version_mismatch(void **state)
{
	struct tt_kv_record	 r;
	const char		*conflict;

	(void)state;
	assert_int_equal(cas(RW, rec("k", 0, 1, "{\"data\":2}", NULL, NULL),
	    1, 0, &r, &conflict), TT_ECONFLICT);
	assert_string_equal(conflict, "VERSION_MISMATCH");
	assert_null(data("k", 0));
}

/* --- Delete. --- */

static void
test_delete_removes_every_chunk(void **state)
{
	int	deleted;

	(void)state;
	put("k", 0, "{\"data\":0}");
	put("k", 1, "{\"data\":1}");
	assert_int_equal(set(RW, rec("k", 2, 0, "{\"data\":2}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(del(RW, "k", -1, 0, 0, &deleted), TT_OK);
	assert_int_equal(deleted, 1);
	assert_null(data("k", 0));
	assert_null(data("k", 1));
	assert_null(staged("k", 2));
}

static void
test_delete_of_nothing_deletes_nothing(void **state)
{
	int	deleted;

	(void)state;
	assert_int_equal(del(RW, "k", -1, 0, 0, &deleted), TT_OK);
	assert_int_equal(deleted, 0);
}

static void
test_delete_one_idx_keeps_the_others(void **state)
{
	int	deleted;

	(void)state;
	put("k", 0, "{\"data\":0}");
	put("k", 1, "{\"data\":1}");
	assert_int_equal(del(RW, "k", 1, 0, 0, &deleted), TT_OK);
	assert_int_equal(deleted, 1);
	assert_string_equal(data("k", 0), "0");
	assert_null(data("k", 1));
}

static void
test_delete_at_another_version_deletes_nothing(void **state)
{
	int	deleted;

	(void)state;
	put("k", 0, "{\"data\":0}");
	assert_int_equal(del(RW, "k", 0, 1, 5, &deleted), TT_OK);
	assert_int_equal(deleted, 0);
	assert_string_equal(data("k", 0), "0");
	assert_int_equal(del(RW, "k", 0, 1, 0, &deleted), TT_OK);
	assert_int_equal(deleted, 1);
}

/* --- Count, size, iter. --- */

static void
test_count_and_max_idx(void **state)
{
	struct tt_kv_ctx	 c = as(RW);
	const char		*n, *max;

	(void)state;
	put("k", 0, "{\"data\":0}");
	put("k", 1, "{\"data\":1}");
	put("k", 5, "{\"data\":5}");
	assert_int_equal(set(RW, rec("k", 9, 0, "{\"data\":9}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(tt_kv_count(A, &c, "k", 1, &n, &max), TT_OK);
	assert_string_equal(n, "3");
	assert_string_equal(max, "5");
	/* Committed or not: idx 0, 1, 5 and the staged 9. */
	assert_int_equal(tt_kv_count(A, &c, "k", 0, &n, &max), TT_OK);
	assert_string_equal(n, "4");
	assert_string_equal(max, "9");
}

static void
test_count_of_missing_key_is_not_found(void **state)
{
	struct tt_kv_ctx	 c = as(RW);
	const char		*n, *max;

	(void)state;
	assert_int_equal(tt_kv_count(A, &c, "k", 1, &n, &max), TT_ENOTFOUND);
	assert_null(max);
}

static void
test_size_sums_the_chunks(void **state)
{
	struct tt_kv_ctx	 c = as(RW);
	const char		*size;

	(void)state;
	put("k", 0, "{\"data\":\"abc\"}");		/* "abc": 5 bytes */
	put("k", 1, "{\"data\":[1, 2]}");		/* [1, 2]: 6 */
	assert_int_equal(tt_kv_size(A, &c, "k", -1, 1, &size), TT_OK);
	assert_string_equal(size, "11");
	assert_int_equal(tt_kv_size(A, &c, "k", 1, 1, &size), TT_OK);
	assert_string_equal(size, "6");
	assert_int_equal(tt_kv_size(A, &c, "k", 2, 1, &size), TT_ENOTFOUND);
	assert_int_equal(tt_kv_size(A, &c, "nothing", -1, 1, &size),
	    TT_ENOTFOUND);
}

static void
test_iter_orders_by_key_then_idx(void **state)
{
	(void)state;
	put("b", 0, "{\"data\":0}");
	put("a", 1, "{\"data\":0}");
	put("c", 0, "{\"data\":0}");
	put("a", 0, "{\"data\":0}");
	put("B", 0, "{\"data\":0}");
	assert_string_equal(iter(RW, "", -1, 1, 0, 1, 10),
	    "B:0,a:0,a:1,b:0,c:0");
}

static void
test_iter_starts_at_key_inclusive_or_after_it(void **state)
{
	(void)state;
	put("a", 0, "{\"data\":0}");
	put("b", 0, "{\"data\":0}");
	put("b", 1, "{\"data\":0}");
	put("c", 0, "{\"data\":0}");
	assert_string_equal(iter(RW, "b", -1, 1, 0, 1, 10), "b:0,b:1,c:0");
	assert_string_equal(iter(RW, "b", -1, 0, 0, 1, 10), "c:0");
	assert_string_equal(iter(RW, "b", 0, 0, 0, 1, 10), "b:1,c:0");
	assert_string_equal(iter(RW, "b", 1, 1, 0, 1, 10), "b:1,c:0");
}

static void
test_iter_prefix_keeps_to_the_prefix(void **state)
{
	(void)state;
	put("p/1", 0, "{\"data\":0}");
	put("p/2", 0, "{\"data\":0}");
	put("p", 0, "{\"data\":0}");
	put("q/1", 0, "{\"data\":0}");
	assert_string_equal(iter(RW, "p/", -1, 1, 1, 1, 10), "p/1:0,p/2:0");
}

static void
test_iter_stops_at_the_limit(void **state)
{
	(void)state;
	put("a", 0, "{\"data\":0}");
	put("b", 0, "{\"data\":0}");
	put("c", 0, "{\"data\":0}");
	assert_string_equal(iter(RW, "", -1, 1, 0, 1, 2), "a:0,b:0");
}

static void
test_iter_applies_the_select(void **state)
{
	struct tt_kv_ctx	 c = as(RW);
	struct tt_kv_record	*r;
	int			 n;

	(void)state;
	put("a", 0, "{\"data\":{\"v\":1,\"w\":2}}");
	put("b", 0, "{\"data\":{\"w\":3}}");
	assert_int_equal(tt_kv_iter(A, &c, "", -1, 1, 0, 1, 10,
	    sel("select=x%3D%24.v"), &r, &n), TT_OK);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].data, "{\"x\": 1}");
	assert_string_equal(r[1].data, "{\"x\": null}");
}

/* --- Staged and committed. --- */

static void
test_staged_record_is_not_committed(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	assert_int_equal(set(RW, rec("k", 0, 0, "{\"data\":1}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(get(RW, "k", 0, 1, NULL, &r), TT_ENOTFOUND);
	assert_int_equal(get(RW, "k", 0, 0, NULL, &r), TT_OK);
	assert_false(r.committed);
	assert_string_equal(r.data, "1");
	assert_string_equal(count(RW, "k"), "0");
	assert_string_equal(iter(RW, "k", -1, 1, 0, 1, 10), "");
	assert_string_equal(iter(RW, "k", -1, 1, 0, 0, 10), "k:0");
}

static void
test_staged_and_committed_live_side_by_side(void **state)
{
	(void)state;
	put("k", 0, "{\"data\":\"old\"}");
	assert_int_equal(set(RW, rec("k", 0, 0, "{\"data\":\"new\"}", NULL,
	    NULL)), TT_OK);
	assert_string_equal(data("k", 0), "\"old\"");
	assert_string_equal(staged("k", 0), "\"new\"");
}

/* --- committed=false reads: "committed or not", per (key, idx). --- */

static void
test_read_not_committed_answers_the_committed_record_if_none_is_staged(
    void **state)
{
	(void)state;
	put("k", 0, "{\"data\":\"old\"}");
	assert_string_equal(either(RW, "k", 0), "\"old\"/c");
	assert_null(either(RW, "k", 1));
}

static void
test_read_not_committed_prefers_the_staged_record(void **state)
{
	(void)state;
	put("k", 0, "{\"data\":\"old\"}");
	assert_int_equal(set(RW, rec("k", 0, 0, "{\"data\":\"new\"}", NULL,
	    NULL)), TT_OK);
	assert_string_equal(either(RW, "k", 0), "\"new\"/s");
	assert_string_equal(data("k", 0), "\"old\"");
}

static void
test_count_not_committed_counts_each_idx_once(void **state)
{
	(void)state;
	put("k", 0, "{\"data\":0}");
	put("k", 1, "{\"data\":1}");
	assert_int_equal(set(RW, rec("k", 1, 0, "{\"data\":11}", NULL,
	    NULL)), TT_OK);
	assert_int_equal(set(RW, rec("k", 2, 0, "{\"data\":2}", NULL, NULL)),
	    TT_OK);
	assert_string_equal(count_either(RW, "k"), "3/2");
	assert_string_equal(count(RW, "k"), "2");
}

static void
test_size_not_committed_sums_one_record_per_idx(void **state)
{
	(void)state;
	put("k", 0, "{\"data\":\"aa\"}");		/* 4 bytes */
	put("k", 1, "{\"data\":\"bbbb\"}");		/* 6 */
	assert_int_equal(set(RW, rec("k", 1, 0, "{\"data\":\"c\"}", NULL,
	    NULL)), TT_OK);				/* 3, over the 6 */
	assert_int_equal(set(RW, rec("k", 2, 0, "{\"data\":\"dd\"}", NULL,
	    NULL)), TT_OK);				/* 4 */
	assert_string_equal(size_either(RW, "k", -1), "11");
	assert_string_equal(size_either(RW, "k", 0), "4");
	assert_string_equal(size_either(RW, "k", 1), "3");
	assert_null(size_either(RW, "k", 3));
}

static void
test_iter_not_committed_yields_one_record_per_key_and_idx(void **state)
{
	(void)state;
	put("a", 0, "{\"data\":0}");
	put("a", 1, "{\"data\":1}");
	assert_int_equal(set(RW, rec("a", 1, 0, "{\"data\":11}", NULL,
	    NULL)), TT_OK);
	assert_int_equal(set(RW, rec("b", 0, 0, "{\"data\":2}", NULL, NULL)),
	    TT_OK);
	put("c", 0, "{\"data\":3}");
	assert_string_equal(iter_either(RW, 10),
	    "a:0=0/c,a:1=11/s,b:0=2/s,c:0=3/c");
	/* The limit counts records answered, not rows stored. */
	assert_string_equal(iter_either(RW, 3), "a:0=0/c,a:1=11/s,b:0=2/s");
}

/*
 * A staged record the token may not read (its own read_caps) does not
 * exist for it: committed or not, it reads the committed record.
 */
static void
test_not_committed_skips_a_staged_record_the_token_may_not_read(
    void **state)
{
	(void)state;
	put("k", 1, "{\"data\":\"pub\"}");
	assert_int_equal(set(SYS, rec("k", 1, 0, "{\"data\":\"hidden\"}",
	    SYSREAD, NULL)), TT_OK);
	assert_string_equal(either(RW, "k", 1), "\"pub\"/c");
	assert_string_equal(count_either(RW, "k"), "1/1");
	assert_string_equal(size_either(RW, "k", -1), "5");
	assert_string_equal(iter_either(RW, 10), "k:1=\"pub\"/c");
	assert_string_equal(either(SYS, "k", 1), "\"hidden\"/s");
	assert_string_equal(iter_either(SYS, 10), "k:1=\"hidden\"/s");
}

/*
 * Chunk 0's read_caps, committed or staged, hide every chunk of the key,
 * committed and staged, from reads with committed false too.
 */
static void
test_not_committed_reads_keep_chunk0_read_caps(void **state)
{
	(void)state;
	put("k", 0, "{\"data\":0}");
	put("k", 1, "{\"data\":1}");
	assert_int_equal(set(RW, rec("k", 2, 0, "{\"data\":2}", NULL, NULL)),
	    TT_OK);
	assert_string_equal(count_either(RW, "k"), "3/2");

	/* A staged chunk 0 with read_caps over an open committed one. */
	assert_int_equal(set(SYS, rec("k", 0, 0, "{\"data\":9}", SYSREAD,
	    NULL)), TT_OK);
	assert_null(either(RW, "k", 0));
	assert_null(either(RW, "k", 1));
	assert_null(either(RW, "k", 2));
	assert_string_equal(count_either(RW, "k"), "0/-");
	assert_null(size_either(RW, "k", -1));
	assert_string_equal(iter_either(RW, 10), "");
	assert_string_equal(iter_either(SYS, 10), "k:0=9/s,k:1=1/c,k:2=2/s");

	/* And a committed chunk 0 with read_caps, nothing staged over it. */
	assert_int_equal(set(SYS, rec("j", 0, 1, "{\"data\":0}", SYSREAD,
	    NULL)), TT_OK);
	assert_int_equal(set(RW, rec("j", 1, 0, "{\"data\":1}", NULL, NULL)),
	    TT_OK);
	assert_null(either(RW, "j", 0));
	assert_null(either(RW, "j", 1));
	assert_string_equal(count_either(RW, "j"), "0/-");
	assert_string_equal(count_either(SYS, "j"), "2/1");
}

static void
test_commit_makes_staged_records_committed(void **state)
{
	struct tt_kv_record	r;
	int			n;

	(void)state;
	assert_int_equal(set(RW, rec("k", 0, 0, "{\"data\":0}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(set(RW, rec("k", 1, 0, "{\"data\":1}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(commit(RW, "k", -1, &n), TT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(get(RW, "k", 1, 1, NULL, &r), TT_OK);
	assert_string_equal(r.data, "1");
	assert_string_equal(r.version, "0");
	assert_null(staged("k", 0));
	assert_null(staged("k", 1));
}

static void
test_commit_over_a_committed_record_is_its_next_version(void **state)
{
	struct tt_kv_record	r;
	int			n;

	(void)state;
	put("k", 0, "{\"data\":\"v0\"}");
	put("k", 0, "{\"data\":\"v1\"}");
	assert_int_equal(set(RW, rec("k", 0, 0, "{\"data\":\"v2\"}", NULL,
	    NULL)), TT_OK);
	assert_int_equal(commit(RW, "k", -1, &n), TT_OK);
	assert_int_equal(get(RW, "k", 0, 1, NULL, &r), TT_OK);
	assert_string_equal(r.data, "\"v2\"");
	assert_string_equal(r.version, "2");
}

static void
test_commit_of_one_idx_leaves_the_others_staged(void **state)
{
	int	n;

	(void)state;
	assert_int_equal(set(RW, rec("k", 0, 0, "{\"data\":0}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(set(RW, rec("k", 1, 0, "{\"data\":1}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(commit(RW, "k", 1, &n), TT_OK);
	assert_int_equal(n, 1);
	assert_string_equal(data("k", 1), "1");
	assert_null(data("k", 0));
	assert_string_equal(staged("k", 0), "0");
}

static void
test_commit_with_nothing_staged_commits_nothing(void **state)
{
	int	n = -1;

	(void)state;
	put("k", 0, "{\"data\":0}");
	assert_int_equal(commit(RW, "k", -1, &n), TT_OK);
	assert_int_equal(n, 0);
	assert_string_equal(data("k", 0), "0");
}

/* --- Row caps. --- */

static void
test_read_caps_hide_a_record_from_a_token_without_them(void **state)
{
	struct tt_kv_ctx	 c = as(RW);
	struct tt_kv_record	 r;
	const char		*size;

	(void)state;
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":1}", SYSREAD,
	    NULL)), TT_OK);
	assert_int_equal(get(RW, "k", 0, 1, NULL, &r), TT_ENOTFOUND);
	assert_string_equal(count(RW, "k"), "0");
	assert_int_equal(tt_kv_size(A, &c, "k", -1, 1, &size), TT_ENOTFOUND);
	assert_string_equal(iter(RW, "", -1, 1, 0, 1, 10), "");
}

static void
test_read_caps_show_a_record_to_a_token_with_them(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":1}", SYSREAD,
	    NULL)), TT_OK);
	assert_int_equal(get(SYS, "k", 0, 1, NULL, &r), TT_OK);
	assert_string_equal(r.read_caps, SYSREAD);
	assert_string_equal(iter(SYS, "", -1, 1, 0, 1, 10), "k:0");
}

static void
test_write_caps_refuse_an_overwrite(void **state)
{
	(void)state;
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":1}", NULL,
	    SYSWRITE)), TT_OK);
	assert_int_equal(set(RW, rec("k", 0, 1, "{\"data\":2}", NULL, NULL)),
	    TT_EFORBIDDEN);
	assert_string_equal(data("k", 0), "1");
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":3}", NULL, NULL)),
	    TT_OK);
	assert_string_equal(data("k", 0), "3");
}

static void
test_write_caps_refuse_a_cas(void **state)
{
	struct tt_kv_record	 r;
	const char		*conflict;

	(void)state;
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":1}", NULL,
	    SYSWRITE)), TT_OK);
	assert_int_equal(cas(RW, rec("k", 0, 1, "{\"data\":2}", NULL, NULL),
	    1, 0, &r, &conflict), TT_EFORBIDDEN);
	assert_null(conflict);
	assert_string_equal(data("k", 0), "1");
}

static void
test_write_caps_refuse_a_delete_of_any_chunk(void **state)
{
	int	deleted;

	(void)state;
	put("k", 0, "{\"data\":0}");
	assert_int_equal(set(SYS, rec("k", 1, 1, "{\"data\":1}", NULL,
	    SYSWRITE)), TT_OK);
	assert_int_equal(del(RW, "k", -1, 0, 0, &deleted), TT_EFORBIDDEN);
	assert_string_equal(data("k", 0), "0");
	assert_string_equal(data("k", 1), "1");
}

static void
test_write_caps_of_a_staged_record_refuse_its_commit(void **state)
{
	int	n;

	(void)state;
	assert_int_equal(set(SYS, rec("k", 1, 0, "{\"data\":1}", NULL,
	    SYSWRITE)), TT_OK);
	assert_int_equal(set(RW, rec("k", 2, 0, "{\"data\":2}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(commit(RW, "k", -1, &n), TT_EFORBIDDEN);
	assert_int_equal(n, 0);
	assert_null(data("k", 1));
	assert_null(data("k", 2));		/* all or nothing */
	assert_string_equal(staged("k", 2), "2");
}

static void
test_write_caps_of_a_committed_record_refuse_a_commit_over_it(void **state)
{
	int	n;

	(void)state;
	assert_int_equal(set(SYS, rec("k", 1, 1, "{\"data\":\"old\"}", NULL,
	    SYSWRITE)), TT_OK);
	assert_int_equal(set(RW, rec("k", 1, 0, "{\"data\":\"new\"}", NULL,
	    NULL)), TT_OK);
	assert_int_equal(commit(RW, "k", -1, &n), TT_EFORBIDDEN);
	assert_string_equal(data("k", 1), "\"old\"");
	assert_string_equal(staged("k", 1), "\"new\"");
}

/* --- Chunk 0's caps govern every chunk of its key. --- */

static void
test_chunk0_read_caps_hide_the_other_chunks(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":0}", SYSREAD,
	    NULL)), TT_OK);
	put("k", 1, "{\"data\":1}");		/* no caps of its own */
	assert_int_equal(get(RW, "k", 1, 1, NULL, &r), TT_ENOTFOUND);
	assert_string_equal(count(RW, "k"), "0");
	assert_string_equal(iter(RW, "", -1, 1, 0, 1, 10), "");
	assert_string_equal(iter(SYS, "", -1, 1, 0, 1, 10), "k:0,k:1");
}

static void
test_committed_chunk0_read_caps_hide_staged_chunks(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":0}", SYSREAD,
	    NULL)), TT_OK);
	assert_int_equal(set(RW, rec("k", 1, 0, "{\"data\":1}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(get(RW, "k", 1, 0, NULL, &r), TT_ENOTFOUND);
	assert_int_equal(get(SYS, "k", 1, 0, NULL, &r), TT_OK);
}

static void
test_staged_chunk0_read_caps_hide_committed_chunks(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	put("k", 1, "{\"data\":1}");
	assert_int_equal(get(RW, "k", 1, 1, NULL, &r), TT_OK);
	assert_int_equal(set(SYS, rec("k", 0, 0, "{\"data\":0}", SYSREAD,
	    NULL)), TT_OK);
	assert_int_equal(get(RW, "k", 1, 1, NULL, &r), TT_ENOTFOUND);
}

static void
test_chunk0_write_caps_refuse_a_new_chunk(void **state)
{
	struct tt_kv_record	 r;
	const char		*conflict;

	(void)state;
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":0}", NULL,
	    SYSWRITE)), TT_OK);
	assert_int_equal(set(RW, rec("k", 1, 1, "{\"data\":1}", NULL, NULL)),
	    TT_EFORBIDDEN);
	assert_int_equal(set(RW, rec("k", 2, 0, "{\"data\":2}", NULL, NULL)),
	    TT_EFORBIDDEN);
	assert_int_equal(cas(RW, rec("k", 3, 1, "{\"data\":3}", NULL, NULL),
	    0, 0, &r, &conflict), TT_EFORBIDDEN);
	assert_null(data("k", 1));
	assert_null(staged("k", 2));
	assert_null(data("k", 3));
}

static void
test_chunk0_write_caps_refuse_changing_an_older_chunk(void **state)
{
	struct tt_kv_record	 r;
	const char		*conflict;
	int			 deleted, n;

	(void)state;
	put("k", 1, "{\"data\":1}");		/* before chunk 0's caps */
	assert_int_equal(set(RW, rec("k", 2, 0, "{\"data\":2}", NULL, NULL)),
	    TT_OK);
	assert_int_equal(set(SYS, rec("k", 0, 1, "{\"data\":0}", NULL,
	    SYSWRITE)), TT_OK);
	assert_int_equal(set(RW, rec("k", 1, 1, "{\"data\":9}", NULL, NULL)),
	    TT_EFORBIDDEN);
	assert_int_equal(cas(RW, rec("k", 1, 1, "{\"data\":9}", NULL, NULL),
	    1, 0, &r, &conflict), TT_EFORBIDDEN);
	assert_int_equal(del(RW, "k", 1, 0, 0, &deleted), TT_EFORBIDDEN);
	assert_int_equal(commit(RW, "k", 2, &n), TT_EFORBIDDEN);
	assert_string_equal(data("k", 1), "1");
	assert_null(data("k", 2));
}

static void
test_staged_chunk0_write_caps_refuse_changing_committed_chunks(void **state)
{
	(void)state;
	put("k", 1, "{\"data\":1}");
	assert_int_equal(set(SYS, rec("k", 0, 0, "{\"data\":0}", NULL,
	    SYSWRITE)), TT_OK);
	assert_int_equal(set(RW, rec("k", 1, 1, "{\"data\":9}", NULL, NULL)),
	    TT_EFORBIDDEN);
	assert_string_equal(data("k", 1), "1");
}

/* --- select. --- */

static void
test_select_takes_the_first_match(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	put("k", 0, "{\"data\":{\"a\":{\"b\":[7,8]},\"c\":\"x\"}}");
	assert_int_equal(get(RW, "k", 0, 1, sel("select=n%3D%24.a.b%5B*%5D"
	    "&select=c%3D%24.c"), &r), TT_OK);
	assert_string_equal(r.data, "{\"c\": \"x\", \"n\": 7}");
}

static void
test_select_without_a_match_is_null(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	put("k", 0, "{\"data\":{\"a\":1}}");
	assert_int_equal(get(RW, "k", 0, 1, sel("select=n%3D%24.zz"), &r),
	    TT_OK);
	assert_string_equal(r.data, "{\"n\": null}");
}

static void
test_select_with_an_invalid_jsonpath_is_einval(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	put("k", 0, "{\"data\":{\"a\":1}}");
	assert_int_equal(get(RW, "k", 0, 1, sel("select=n%3D%24%24%24"), &r),
	    TT_EINVAL);
}

static void
test_select_parameter_needs_name_and_path(void **state)
{
	const char	*s;

	(void)state;
	assert_int_equal(tt_kv_select(A, "", &s), 0);
	assert_null(s);
	assert_int_equal(tt_kv_select(A, "select=n", &s), -1);
	assert_int_equal(tt_kv_select(A, "select=%3D%24", &s), -1);
	assert_int_equal(tt_kv_select(A, "select=n%3D", &s), -1);
	assert_int_equal(tt_kv_select(A, "select=%zz", &s), -1);
}

/* select values: pairs repeated, or joined by commas (Terrateam's client). */

static void
test_select_splits_pairs_joined_by_commas(void **state)
{
	(void)state;
	assert_string_equal(sel("select=a=$.x,b=$.y"),
	    "[[\"a\",\"$.x\"],[\"b\",\"$.y\"]]");
	assert_string_equal(sel("select=a%3D%24.x%2Cb_2%3D%24.y"),
	    "[[\"a\",\"$.x\"],[\"b_2\",\"$.y\"]]");
	assert_string_equal(sel("select=a=$.x,b=$.y&select=c=$.z"),
	    "[[\"a\",\"$.x\"],[\"b\",\"$.y\"],[\"c\",\"$.z\"]]");
	/* The first name of a value is all before its first '='. */
	assert_string_equal(sel("select=my-name=$.x,B=$"),
	    "[[\"my-name\",\"$.x\"],[\"B\",\"$\"]]");
}

static void
test_select_keeps_commas_that_belong_to_the_path(void **state)
{
	(void)state;
	assert_string_equal(sel("select=a=$.x%5B1,2%5D"),
	    "[[\"a\",\"$.x[1,2]\"]]");
	assert_string_equal(sel("select=a=$.x%5B1,last%5D,b=$.y"),
	    "[[\"a\",\"$.x[1,last]\"],[\"b\",\"$.y\"]]");
	/* Inside a string literal, even with an escaped quote before it. */
	assert_string_equal(sel("select=a=$ ? (@ == \",b=1\")"),
	    "[[\"a\",\"$ ? (@ == \\\",b=1\\\")\"]]");
	assert_string_equal(sel("select=a=$.\"k\\\",b=\",c=$"),
	    "[[\"a\",\"$.\\\"k\\\\\\\",b=\\\"\"],[\"c\",\"$\"]]");
	/* Not a name and one '=': "==", a hyphen, nothing. */
	assert_string_equal(sel("select=a=$.x,b==1"),
	    "[[\"a\",\"$.x,b==1\"]]");
	assert_string_equal(sel("select=a=$.x,my-name=$.y"),
	    "[[\"a\",\"$.x,my-name=$.y\"]]");
	assert_string_equal(sel("select=a=$.x,=$.y"),
	    "[[\"a\",\"$.x,=$.y\"]]");
	assert_string_equal(sel("select=a=$.x,"), "[[\"a\",\"$.x,\"]]");
}

static void
test_select_joined_pairs_need_a_path_each(void **state)
{
	const char	*s;

	(void)state;
	assert_int_equal(tt_kv_select(A, "select=a=$.x,b=", &s), -1);
	assert_int_equal(tt_kv_select(A, "select=a=,b=$.y", &s), -1);
	assert_int_equal(tt_kv_select(A, "select=a=$.x,b=&select=c=$", &s),
	    -1);
}

static void
test_select_counts_pairs_across_values(void **state)
{
	struct tt_buf	 b = { 0 };
	const char	*s;
	int		 i;

	(void)state;
	tt_buf_puts(&b, "select=p0=$");
	for (i = 1; i < TT_KV_SELECT_MAX; i++)
		tt_buf_printf(&b, "%sp%d=$", i % 2 ? "," : "&select=", i);
	assert_int_equal(tt_kv_select(A, b.p, &s), 0);
	tt_buf_puts(&b, ",one_more=$");
	assert_int_equal(tt_kv_select(A, b.p, &s), -1);
	tt_buf_free(&b);
}

static void
test_select_joined_by_commas_reads_each_name(void **state)
{
	struct tt_kv_record	r;

	(void)state;
	put("k", 0, "{\"data\":{\"a\":[7,8,9],\"s\":\"x,y=z\"}}");
	assert_int_equal(get(RW, "k", 0, 1, sel("select=two=$.a%5B1,2%5D,"
	    "s=$.s ? (@ == \"x,y=z\"),none=$.zz"), &r), TT_OK);
	assert_string_equal(r.data,
	    "{\"s\": \"x,y=z\", \"two\": 8, \"none\": null}");
}

/* --- The value limit. --- */

static void
test_value_over_the_limit_is_too_big(void **state)
{
	char	body[LIMIT + 32];

	(void)state;
	/* A string of LIMIT - 1 characters is LIMIT + 1 bytes as JSON. */
	snprintf(body, sizeof(body), "{\"data\":\"%0*d\"}", LIMIT - 1, 0);
	assert_int_equal(set(RW, rec("k", 0, 1, body, NULL, NULL)),
	    TT_ETOOBIG);
	assert_null(data("k", 0));
}

static void
test_value_at_the_limit_is_stored(void **state)
{
	char	body[LIMIT + 32];

	(void)state;
	snprintf(body, sizeof(body), "{\"data\":\"%0*d\"}", LIMIT - 2, 0);
	assert_int_equal(set(RW, rec("k", 0, 1, body, NULL, NULL)), TT_OK);
	assert_non_null(data("k", 0));
}

/* --- Installations. --- */

static void
test_installations_have_separate_keys(void **state)
{
	const char	*mine = inst, *theirs;
	int		 deleted;

	(void)state;
	put("k", 0, "{\"data\":\"mine\"}");
	theirs = inst = testdb_installation(A);
	put("k", 0, "{\"data\":\"theirs\"}");
	put("only theirs", 0, "{\"data\":1}");
	assert_string_equal(data("k", 0), "\"theirs\"");

	inst = mine;
	assert_string_equal(data("k", 0), "\"mine\"");
	assert_string_equal(iter(RW, "", -1, 1, 0, 1, 10), "k:0");
	assert_int_equal(del(RW, "k", -1, 0, 0, &deleted), TT_OK);

	inst = theirs;
	assert_string_equal(data("k", 0), "\"theirs\"");
}

int main(void);

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, fresh, fresh_end)
	const struct CMUnitTest tests[] = {
		T(test_set_then_get),
		T(test_set_answers_the_record_with_null_data),
		T(test_value_is_an_alias_of_data),
		T(test_numbers_keep_every_digit),
		T(test_set_again_bumps_the_version),
		T(test_get_missing_key_is_not_found),
		T(test_get_missing_idx_is_not_found),
		T(test_keys_are_bytewise_exact),
		T(test_cas_without_version_creates),
		T(test_cas_without_version_on_existing_is_already_exists),
		T(test_cas_at_the_version_writes),
		T(test_cas_at_another_version_is_version_mismatch),
		T(test_cas_with_version_on_missing_key_is_version_mismatch),
		T(test_delete_removes_every_chunk),
		T(test_delete_of_nothing_deletes_nothing),
		T(test_delete_one_idx_keeps_the_others),
		T(test_delete_at_another_version_deletes_nothing),
		T(test_count_and_max_idx),
		T(test_count_of_missing_key_is_not_found),
		T(test_size_sums_the_chunks),
		T(test_iter_orders_by_key_then_idx),
		T(test_iter_starts_at_key_inclusive_or_after_it),
		T(test_iter_prefix_keeps_to_the_prefix),
		T(test_iter_stops_at_the_limit),
		T(test_iter_applies_the_select),
		T(test_staged_record_is_not_committed),
		T(test_staged_and_committed_live_side_by_side),
		T(test_read_not_committed_answers_the_committed_record_if_none_is_staged),
		T(test_read_not_committed_prefers_the_staged_record),
		T(test_count_not_committed_counts_each_idx_once),
		T(test_size_not_committed_sums_one_record_per_idx),
		T(test_iter_not_committed_yields_one_record_per_key_and_idx),
		T(test_not_committed_skips_a_staged_record_the_token_may_not_read),
		T(test_not_committed_reads_keep_chunk0_read_caps),
		T(test_commit_makes_staged_records_committed),
		T(test_commit_over_a_committed_record_is_its_next_version),
		T(test_commit_of_one_idx_leaves_the_others_staged),
		T(test_commit_with_nothing_staged_commits_nothing),
		T(test_read_caps_hide_a_record_from_a_token_without_them),
		T(test_read_caps_show_a_record_to_a_token_with_them),
		T(test_write_caps_refuse_an_overwrite),
		T(test_write_caps_refuse_a_cas),
		T(test_write_caps_refuse_a_delete_of_any_chunk),
		T(test_write_caps_of_a_staged_record_refuse_its_commit),
		T(test_write_caps_of_a_committed_record_refuse_a_commit_over_it),
		T(test_chunk0_read_caps_hide_the_other_chunks),
		T(test_committed_chunk0_read_caps_hide_staged_chunks),
		T(test_staged_chunk0_read_caps_hide_committed_chunks),
		T(test_chunk0_write_caps_refuse_a_new_chunk),
		T(test_chunk0_write_caps_refuse_changing_an_older_chunk),
		T(test_staged_chunk0_write_caps_refuse_changing_committed_chunks),
		T(test_select_takes_the_first_match),
		T(test_select_without_a_match_is_null),
		T(test_select_with_an_invalid_jsonpath_is_einval),
		T(test_select_parameter_needs_name_and_path),
		T(test_select_splits_pairs_joined_by_commas),
		T(test_select_keeps_commas_that_belong_to_the_path),
		T(test_select_joined_pairs_need_a_path_each),
		T(test_select_counts_pairs_across_values),
		T(test_select_joined_by_commas_reads_each_name),
		T(test_value_over_the_limit_is_too_big),
		T(test_value_at_the_limit_is_stored),
		T(test_installations_have_separate_keys),
	};
#undef T

	/* Before the first connection, which sets the limit (db.c). */
	setenv("TT_KV_MAX_VALUE_BYTES", LIMIT_TEXT, 1);
	return cmocka_run_group_tests(tests, testdb_open, testdb_close);
}
