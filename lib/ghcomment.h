/* ghcomment.h: `terrateam plan` and `terrateam apply` comments. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHCOMMENT_H
#define TT_GHCOMMENT_H

#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_ledger_item;
struct cJSON;

/*
 * An issue_comment delivery (pl, its payload): a command on a pull
 * request queues a plan or an apply manifest, dispatched to the
 * repository's workflow, or is answered with a comment saying why not.
 * Errors as tt_ghpull_process.
 */
enum tt_err	 tt_ghcomment_process(struct tt_arena *,
		    const struct tt_ledger_item *, const struct cJSON *pl,
		    const char **outcome, const char **error,
		    int64_t *retry_after);

/*
 * A comment's command: "terrateam plan" or "terrateam apply" (any case)
 * at the start of its first non-blank line, then an optional query (the
 * stack query language: dir:, workspace:, and, or, not, parentheses) on
 * the rest of that line, at most 1000 bytes. 1 with *apply and *query
 * (arena-owned, "" for none) set, else 0.
 */
int		 tt_ghcomment_parse(const char *body, int *apply,
		    const char **query, struct tt_arena *);

#endif
