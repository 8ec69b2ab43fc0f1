/* ghpull.h: what a pull request delivery does (ghevents.c routes it here). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHPULL_H
#define TT_GHPULL_H

#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct cJSON;
struct tt_ledger_item;

/*
 * The directory of a changed file when it is a Terraform file (.tf,
 * .tf.json, .tfvars, .tfvars.json, .hcl): "." for the repository's top.
 * NULL for other files and for names that are no clean relative path.
 */
const char	*tt_ghpull_dir_of(struct tt_arena *, const char *filename);

/*
 * Processes one claimed pull_request delivery (it->action not NULL; pl
 * its parsed payload). "closed" aborts the pull request's queued work
 * manifests. Other actions list the changed files, read
 * .terrateam/config.yml at the head sha, compute the stacks, record the
 * work manifest (when a Terraform directory changed) and the stacks in
 * one transaction, then create the check run and post the comment. Each
 * effect is recorded in the ledger row as it is made, so a retry skips
 * it. TT_OK: done, *outcome says what happened (an unusable config is
 * an outcome, not a failure). Otherwise, when GitHub failed, *error says
 * why and *retry_after is set if GitHub asked to wait; when the database
 * failed, *error is left as it was.
 */
enum tt_err	 tt_ghpull_process(struct tt_arena *,
		    const struct tt_ledger_item *it, const struct cJSON *pl,
		    const char **outcome, const char **error,
		    int64_t *retry_after);

#endif
