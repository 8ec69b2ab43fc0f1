/* audit.h: the audit trail: who did what with a credential, and when. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_AUDIT_H
#define TT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_req;
struct cJSON;

#define TT_AUDIT_ADDR_MAX	64	/* bytes of source address kept */
#define TT_AUDIT_UA_MAX		256	/* bytes of User-Agent kept */

/*
 * Where an audited action came from: via is "api" or "ttctl"; addr and
 * ua are already cleaned (tt_audit_clean) or NULL.
 */
struct tt_audit_src {
	const char	*via;
	const char	*addr;
	const char	*ua;
};

/*
 * Outside text made fit for the trail: at most max bytes, cut on a
 * character boundary, invalid UTF-8 and control characters replaced by
 * '?'. NULL for NULL or an empty string. Arena-owned.
 */
char		*tt_audit_clean(struct tt_arena *, const char *raw, size_t max);

/* The request's REMOTE_ADDR and User-Agent, cleaned, via "api". */
void		 tt_audit_src_req(const struct tt_req *,
		    struct tt_audit_src *);

/* The source of ttctl's own actions. */
extern const struct tt_audit_src tt_audit_src_ttctl;

/* One row of the trail, arena-owned text (NULL for SQL NULL). */
struct tt_audit_row {
	const char	*id, *at, *event, *outcome, *via;
	const char	*user_id, *api_key_id, *policy_id;
	const char	*source_address, *user_agent;
	const char	*cursor;	/* keyset position of this row */
};

/*
 * Rows newest first: of user_id (NULL: everyone's), at or after since
 * (timestamptz text, NULL: no bound), at most limit, after the cursor
 * (NULL: from the newest). TT_EINVAL for a bad cursor or since.
 */
enum tt_err	 tt_audit_list(struct tt_arena *, const char *user_id,
		    const char *since, int64_t limit, const char *cursor,
		    struct tt_audit_row **rows, int *n);

/* The row as a JSON object (absent members for NULLs); arena-owned. */
struct cJSON	*tt_audit_json(struct tt_arena *, const struct tt_audit_row *);

/*
 * Deletes rows older than days and the rate-limit buckets that are full
 * again (they mean nothing any more); counts both.
 */
enum tt_err	 tt_audit_prune(struct tt_arena *, int64_t days,
		    int64_t *events, int64_t *buckets);

#endif
