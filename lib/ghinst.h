/* ghinst.h: installations, members and repositories from GitHub's events. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHINST_H
#define TT_GHINST_H

#include "tt.h"

struct tt_arena;
struct cJSON;

/*
 * An installation or installation_repositories delivery (pl, its
 * payload): installations created, deleted, suspended and unsuspended,
 * the installing user's membership (found by GitHub account id), and the
 * repositories added and removed. *outcome says what was done.
 */
enum tt_err	 tt_ghinst_process(struct tt_arena *, const char *event,
		    const char *action, const struct cJSON *pl,
		    const char **outcome);

/* The installation row (inst, decimal) exists, made with login if not. */
enum tt_err	 tt_ghinst_ensure(struct tt_arena *, const char *inst,
		    const char *login);

/* The repository row of the installation, owner and name up to date. */
enum tt_err	 tt_ghinst_repo(struct tt_arena *, const char *inst,
		    const char *id, const char *owner, const char *name);

#endif
