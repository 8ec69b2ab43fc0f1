/* keystore.h: API key rows: create, list, revoke (API and ttctl). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_KEYSTORE_H
#define TT_KEYSTORE_H

#include <stdint.h>

#include "apikey.h"
#include "tt.h"

struct tt_arena;
struct tt_audit_src;
struct tt_db_res;
struct cJSON;

/* A stored key as the API shows it (no secret, ever). Arena-owned. */
struct tt_keystore_key {
	const char	*id;
	const char	*user_id;
	const char	*name;
	struct cJSON	*caps;
	const char	*created_at;	/* RFC 3339 UTC */
	const char	*last_used_at;	/* NULL if never */
	const char	*expires_at;	/* NULL if never */
	const char	*revoked_at;	/* NULL if live */
	const char	*cursor;	/* keyset position of this row */
};

/*
 * Creates a key for user_id with the capabilities (a valid array), an
 * optional expiry (RFC 3339 text, must be in the future) and refresh
 * rate limit (> 0; 0 for TT_REFRESH_RATE_PER_KEY), and its audit row
 * from src, in one statement. Writes the new key, shown once, to key_out;
 * fills *out. TT_EINVAL for a bad or past expiry or an unknown user.
 */
enum tt_err	 tt_keystore_create(struct tt_arena *, const char *user_id,
		    const char *name, const struct cJSON *caps,
		    const char *expires_at, int64_t rate_limit,
		    const struct tt_audit_src *src,
		    char key_out[TT_APIKEY_LEN + 1],
		    struct tt_keystore_key *out);

/*
 * Lists the live (unrevoked) keys of user_id oldest first, at most limit,
 * after the cursor (NULL for the first page); with all, revoked ones too.
 * *keys is an arena array of *n. TT_EINVAL for a bad cursor.
 */
enum tt_err	 tt_keystore_list(struct tt_arena *, const char *user_id,
		    int64_t limit, const char *cursor, int all,
		    struct tt_keystore_key **keys, int *n);

/*
 * Revokes key id (of user_id, or of anyone when user_id is NULL) and
 * records it from src. TT_ENOTFOUND if there is no such live key.
 */
enum tt_err	 tt_keystore_revoke(struct tt_arena *, const char *user_id,
		    const char *id, const struct tt_audit_src *src);

/* The key as a JSON object (id, name, capabilities, dates); arena-owned. */
struct cJSON	*tt_keystore_json(struct tt_arena *,
		    const struct tt_keystore_key *);

#endif
