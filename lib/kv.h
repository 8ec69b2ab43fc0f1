/* kv.h: the per-installation key-value store (API.md section 3). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_KV_H
#define TT_KV_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct cJSON;

#define TT_KV_KEY_MAX		1024
#define TT_KV_ITER_DEFAULT	30
#define TT_KV_ITER_MAX		1000
#define TT_KV_IDX_MAX		2147483647
#define TT_KV_SELECT_MAX	63	/* pairs in all select values */

/* Who asks, where: every operation is scoped to one installation. */
struct tt_kv_ctx {
	const char	*installation_id;	/* decimal text */
	const char	*caps;			/* the token's caps, JSON text */
};

/* A stored record; all strings arena-owned, JSON members as JSON text. */
struct tt_kv_record {
	const char	*key;
	const char	*idx;
	const char	*data;		/* NULL when not fetched (JSON null) */
	const char	*version;
	int		 committed;
	const char	*created_at;
	const char	*size;
	const char	*read_caps;	/* NULL if none */
	const char	*write_caps;	/* NULL if none */
};

/*
 * A write: the request body (its "data" or "value" member is stored, with
 * every digit as sent) and caps as JSON text (caps may be NULL).
 */
struct tt_kv_write {
	const char	*key;
	int64_t		 idx;
	const char	*body;
	int		 committed;
	const char	*read_caps;
	const char	*write_caps;
};

/*
 * 1 if key (len bytes, after one percent-decoding) is a valid key: 1 to
 * TT_KV_KEY_MAX bytes of UTF-8 without NUL, C0/C1 control characters or
 * DEL.
 */
int		 tt_kv_key_valid(const char *key, size_t len);

/*
 * The select parameter into a JSON array of [name, jsonpath] pairs
 * (text, arena-owned), or NULL when there is none. Each value is
 * "name=jsonpath", or several such pairs joined by commas as Terrateam's
 * OCaml client sends them: a comma ends a path only when it is outside
 * a double-quoted string and what follows is a name of [A-Za-z0-9_] and
 * one '=' (not "=="), so "$.a[1,2]" and "$ ? (@ == \",b=\")" stay
 * whole. The first name of a value is everything before its first '='.
 * Returns -1 for a malformed value (an empty name or path) or more
 * than TT_KV_SELECT_MAX pairs in all.
 */
int		 tt_kv_select(struct tt_arena *, const char *query,
		    const char **out);

/*
 * Reads. sel (from tt_kv_select) replaces data with {name: first match}.
 * Records the token may not read (read_caps, its own or its key's chunk
 * 0's) do not exist for it. committed 1 reads committed records only;
 * 0 means "committed or not" (Terrateam's meaning), per (key, idx): the
 * staged record where one exists for the token, else the committed one,
 * so count counts each idx once, size sums one record per idx and iter
 * yields one record per (key, idx), its limit counting those.
 * TT_ENOTFOUND when there is nothing; TT_EINVAL for a bad jsonpath.
 */
enum tt_err	 tt_kv_get(struct tt_arena *, const struct tt_kv_ctx *,
		    const char *key, int64_t idx, int committed,
		    const char *sel, struct tt_kv_record *);
enum tt_err	 tt_kv_count(struct tt_arena *, const struct tt_kv_ctx *,
		    const char *key, int committed, const char **count,
		    const char **max_idx);
enum tt_err	 tt_kv_size(struct tt_arena *, const struct tt_kv_ctx *,
		    const char *key, int64_t idx /* -1: all */, int committed,
		    const char **size);
enum tt_err	 tt_kv_iter(struct tt_arena *, const struct tt_kv_ctx *,
		    const char *key, int64_t idx /* -1: none */, int inclusive,
		    int prefix, int committed, int64_t limit, const char *sel,
		    struct tt_kv_record **, int *n);

/*
 * Writes. set: insert or overwrite (version + 1). cas: with has_version,
 * overwrite only at that version (TT_ECONFLICT, *conflict
 * "VERSION_MISMATCH"); without, create only (TT_ECONFLICT,
 * "ALREADY_EXISTS"). TT_EFORBIDDEN when the record's write_caps are not
 * all held. Authorisation and write are one statement.
 */
enum tt_err	 tt_kv_set(struct tt_arena *, const struct tt_kv_ctx *,
		    const struct tt_kv_write *, struct tt_kv_record *);
enum tt_err	 tt_kv_cas(struct tt_arena *, const struct tt_kv_ctx *,
		    const struct tt_kv_write *, int has_version,
		    int64_t version, struct tt_kv_record *,
		    const char **conflict);

/*
 * Deletes the key's records (committed and staged), one idx or all, only
 * at version when has_version. *deleted tells whether anything went;
 * TT_EFORBIDDEN (and nothing deleted) if any target is write-protected.
 */
enum tt_err	 tt_kv_delete(struct tt_arena *, const struct tt_kv_ctx *,
		    const char *key, int64_t idx /* -1: all */,
		    int has_version, int64_t version, int *deleted);

/*
 * Makes the key's staged records (one idx or all) the committed ones, in
 * one transaction. *idxs lists the idx values committed (arena array).
 * TT_EFORBIDDEN and nothing changed when a record is write-protected.
 */
enum tt_err	 tt_kv_commit(struct tt_arena *, const struct tt_kv_ctx *,
		    const char *key, int64_t idx /* -1: all */,
		    int64_t **idxs, int *n);

/*
 * The record as API JSON, arena-owned. A record without data (a set's
 * answer) has "data": null, as Terrateam's clients require the member.
 */
struct cJSON	*tt_kv_record_json(struct tt_arena *,
		    const struct tt_kv_record *);

#endif
