/* manifests.h: work manifests and their dirspaces (API.md section 2). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_MANIFESTS_H
#define TT_MANIFESTS_H

#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_buf;

/* One page request: newest first unless asc, after cursor if any. */
struct tt_manifests_page {
	const char	*installation_id;
	int64_t		 limit;
	int		 asc;
	const char	*cursor;	/* opaque, from a Link header */
	const char	*where;		/* compiled q (tagquery.h) or NULL */
	const char	**params;	/* its parameters, from $7 on */
	int		 nparams;
};

/* The first placeholder number a compiled q may use. */
#define TT_MANIFESTS_FIRST_PARAM	7

/* A page's cursors for Link headers. */
struct tt_manifests_result {
	const char	*next;		/* NULL when there is no next page */
	const char	*prev;		/* NULL when there is no previous */
};

/*
 * Lists work manifests (dirspaces = 0) or dirspace rows (dirspaces = 1)
 * of an installation in keyset order on (created_at, id[, dir,
 * workspace]), appending them to items as a JSON array of API objects.
 * TT_EINVAL for a bad cursor (items untouched on any error).
 */
enum tt_err	 tt_manifests_list(struct tt_arena *,
		    const struct tt_manifests_page *, int dirspaces,
		    struct tt_buf *items, struct tt_manifests_result *);

/*
 * One work manifest of the installation, appended to wm as a JSON
 * object; TT_ENOTFOUND otherwise.
 */
enum tt_err	 tt_manifests_get(struct tt_arena *, const char *installation_id,
		    const char *id, struct tt_buf *wm);

#endif
