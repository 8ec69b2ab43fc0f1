/* stacks.h: a pull request's stacks, from .terrateam/config.yml. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_STACKS_H
#define TT_STACKS_H

#include <stddef.h>

#include "tt.h"

struct tt_arena;
struct cJSON;

#define TT_STACKS_MAX_STACKS	256	/* stacks.names entries */
#define TT_STACKS_MAX_DIRS	1000	/* dirs entries */
#define TT_STACKS_MAX_NAME	128	/* bytes of a stack name */
#define TT_STACKS_MAX_DEPTH	16	/* levels of nested stacks */
#define TT_STACKS_MAX_TAGS	64	/* tags of one dir or workspace */
#define TT_STACKS_MAX_DIRSPACES	5000	/* dirspaces of one pull request */
/* Query bytes judged plus tag merges, over one pull request: ~0.3 s. */
#define TT_STACKS_MAX_WORK	40000000

/* What a pull request's evaluation stores. */
struct tt_stacks_result {
	/* [{"dir","workspace"}], sorted: the work manifest's dirspaces. */
	struct cJSON	*dirspaces;
	/*
	 * The stacks, in order: [{"name", "stacks": [{"name", "paths",
	 * "dirspaces": [{"dir","workspace"}], "after": [leaf names]}]}]:
	 * outer entries are top-level stacks, inner ones the stacks holding
	 * dirspaces, "after" the stacks that must be applied first.
	 */
	struct cJSON	*stacks;
};

/*
 * Computes dirspaces and stacks for the changed directories dirs (ndirs,
 * "." for the top) under config, the parsed config.yml (NULL: no file):
 *
 *  - dirs.<dir or glob>.tags and .workspaces.<name>.tags give each
 *    dirspace its tags; a dir with no workspaces configured has the
 *    workspace "default".
 *  - stacks.names.<name> selects dirspaces by tag_query (the stack query
 *    language of tagquery.h) or lists nested stacks (stacks: [...]);
 *    rules.plan_after / apply_after / modified_by (modified_by implies
 *    plan_after when plan_after is absent) order them.
 *  - A dirspace no stack selects goes to the stack "default".
 *
 * TT_EINVAL with a message in err for a configuration error: a
 * malformed section, an unknown or reserved stack name, a stack nested
 * twice, a cycle in nesting or ordering, a dirspace two stacks select,
 * a bad tag_query, a limit passed. Arena-owned results.
 */
enum tt_err	 tt_stacks_compute(struct tt_arena *,
		    const struct cJSON *config, const char *const *dirs,
		    size_t ndirs, struct tt_stacks_result *, char *err,
		    size_t errlen);

/* States, best to worst: the worst of a stack's dirspaces is its own. */
enum tt_stacks_state {
	TT_STACKS_NO_CHANGES,
	TT_STACKS_APPLY_SUCCESS,
	TT_STACKS_APPLY_READY,
	TT_STACKS_APPLY_PENDING,
	TT_STACKS_APPLY_FAILED,
	TT_STACKS_PLAN_PENDING,
	TT_STACKS_PLAN_FAILED,
};

const char	*tt_stacks_state_name(enum tt_stacks_state);

/*
 * A dirspace's state from its latest completed result: run_type NULL
 * (none yet) is plan_pending; an apply (run type ending in "apply") is
 * apply_success or apply_failed; a failed plan plan_failed; a plan with
 * changes apply_pending, without changes apply_success.
 */
enum tt_stacks_state tt_stacks_dirspace_state(const char *run_type,
		    int success, int has_changes);

/* One dirspace's latest completed result, as the stacks route reads it. */
struct tt_stacks_run {
	const char	*dir, *workspace, *run_type;
	int		 success, has_changes;
};

/*
 * Appends the API answer {"stacks": [...]} as JSON text to out, for
 * stored stacks (tt_stacks_result
 * .stacks) given the latest results runs (nruns, any order): each
 * dirspace's state, each stack's worst state (no_changes without
 * dirspaces; an apply_pending stack is apply_ready once every stack in
 * its "after" is apply_success or no_changes), each outer entry's worst.
 */
struct tt_buf;
void		 tt_stacks_render(struct tt_arena *, struct tt_buf *out,
		    const struct cJSON *stored, const struct tt_stacks_run *,
		    size_t nruns);


/* A pull request's stored stacks and the latest results at its head. */
struct tt_stacks_stored {
	const char		*head_sha;
	const char		*config_error;	/* then nothing else is set */
	const struct cJSON	*stacks;
	struct tt_stacks_run	*runs;
	size_t			 nruns;
};

/*
 * Loads what the stacks route answers for pull_number of repo_id (which
 * must belong to installation_id), all decimal text: TT_OK (with
 * config_error set when the configuration was refused), TT_ENOTFOUND
 * when nothing is stored, or a database error.
 */
enum tt_err	 tt_stacks_load(struct tt_arena *, const char *installation_id,
		    const char *repo_id, const char *pull_number,
		    struct tt_stacks_stored *);
/*
 * dirspaces ([{"dir","workspace"}]) each with its stack's name
 * ("stack_name") and rank ("rank"), from stacks as tt_stacks_result
 * holds them: a stack with no stack to follow has rank 0, one that must
 * follow others one more than the highest of theirs; the runner takes one
 * rank at a time, lowest first. A dirspace no stack holds has neither.
 * Arena-owned.
 */
struct cJSON	*tt_stacks_ranked(struct tt_arena *, const struct cJSON *stacks,
		    const struct cJSON *dirspaces);

#endif
