/* stackstate.c: stack and dirspace states at read time, the API answer. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "stacks.h"

static const char *const state_names[] = {
	[TT_STACKS_NO_CHANGES] = "no_changes",
	[TT_STACKS_APPLY_SUCCESS] = "apply_success",
	[TT_STACKS_APPLY_READY] = "apply_ready",
	[TT_STACKS_APPLY_PENDING] = "apply_pending",
	[TT_STACKS_APPLY_FAILED] = "apply_failed",
	[TT_STACKS_PLAN_PENDING] = "plan_pending",
	[TT_STACKS_PLAN_FAILED] = "plan_failed",
};

const char *
tt_stacks_state_name(enum tt_stacks_state s)
{
	if ((size_t)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "plan_pending";
	return state_names[s];
}

static int
ends_with(const char *s, const char *suf)
{
	size_t	n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

enum tt_stacks_state
tt_stacks_dirspace_state(const char *run_type, int success, int has_changes)
{
	if (run_type == NULL)
		return TT_STACKS_PLAN_PENDING;
	if (ends_with(run_type, "apply"))
		return success ? TT_STACKS_APPLY_SUCCESS : TT_STACKS_APPLY_FAILED;
	if (!success)
		return TT_STACKS_PLAN_FAILED;
	return has_changes ? TT_STACKS_APPLY_PENDING : TT_STACKS_APPLY_SUCCESS;
}

static const struct tt_stacks_run *
run_of(const struct tt_stacks_run *runs, size_t n, const char *dir,
    const char *ws)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(runs[i].dir, dir) == 0 &&
		    strcmp(runs[i].workspace, ws) == 0)
			return &runs[i];
	return NULL;
}

/* An inner entry of the answer; *st gets its state before promotion. */
static cJSON *
inner_answer(const cJSON *in, const struct tt_stacks_run *runs, size_t n,
    enum tt_stacks_state *st)
{
	const struct tt_stacks_run	*r;
	const cJSON			*d;
	const char			*dir, *ws;
	enum tt_stacks_state		 s;
	cJSON				*o, *ds, *e, *dsp;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", tt_json_string(in, "name") ?
	    tt_json_string(in, "name") : "");
	cJSON_AddItemToObject(o, "paths", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(in, "paths"), 1));
	ds = cJSON_CreateArray();
	*st = TT_STACKS_NO_CHANGES;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(in,
	    "dirspaces")) {
		dir = tt_json_string(d, "dir");
		ws = tt_json_string(d, "workspace");
		if (dir == NULL || ws == NULL)
			continue;
		r = run_of(runs, n, dir, ws);
		s = r == NULL ? tt_stacks_dirspace_state(NULL, 0, 0) :
		    tt_stacks_dirspace_state(r->run_type, r->success,
		    r->has_changes);
		if (s > *st)
			*st = s;
		e = cJSON_CreateObject();
		dsp = cJSON_AddObjectToObject(e, "dirspace");
		cJSON_AddStringToObject(dsp, "dir", dir);
		cJSON_AddStringToObject(dsp, "workspace", ws);
		cJSON_AddStringToObject(e, "state", tt_stacks_state_name(s));
		cJSON_AddItemToArray(ds, e);
	}
	cJSON_AddStringToObject(o, "state", "");
	cJSON_AddItemToObject(o, "dirspaces", ds);
	return o;
}

/* The state computed for the inner stack called name, or no_changes. */
static enum tt_stacks_state
state_of(const char *const *names, const enum tt_stacks_state *states,
    size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return states[i];
	return TT_STACKS_NO_CHANGES;
}

cJSON *
tt_stacks_render(struct tt_arena *a, const cJSON *stored,
    const struct tt_stacks_run *runs, size_t nruns)
{
	const cJSON		*outer, *in, *dep;
	const char		**names;
	enum tt_stacks_state	*states, worst, s;
	cJSON			*ans, *list, *o, *inner, **items;
	size_t			 n = 0, k;
	int			 ready;

	ans = tt_json_own(a, cJSON_CreateObject());
	list = cJSON_AddArrayToObject(ans, "stacks");
	cJSON_ArrayForEach(outer, stored)
		n += (size_t)cJSON_GetArraySize(
		    cJSON_GetObjectItemCaseSensitive(outer, "stacks"));
	names = tt_arena_alloc(a, (n + 1) * sizeof(*names));
	states = tt_arena_alloc(a, (n + 1) * sizeof(*states));
	items = tt_arena_alloc(a, (n + 1) * sizeof(*items));

	/* Every inner stack's own state first, then apply_ready. */
	k = 0;
	cJSON_ArrayForEach(outer, stored) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", tt_json_string(outer,
		    "name") ? tt_json_string(outer, "name") : "");
		cJSON_AddStringToObject(o, "state", "");
		inner = cJSON_AddArrayToObject(o, "stacks");
		cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(outer,
		    "stacks")) {
			if (k >= n)
				break;
			names[k] = tt_json_string(in, "name") ?
			    tt_json_string(in, "name") : "";
			items[k] = inner_answer(in, runs, nruns, &states[k]);
			cJSON_AddItemToArray(inner, items[k]);
			k++;
		}
		cJSON_AddItemToArray(list, o);
	}
	k = 0;
	o = list->child;
	cJSON_ArrayForEach(outer, stored) {
		worst = TT_STACKS_NO_CHANGES;
		cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(outer,
		    "stacks")) {
			if (k >= n)
				break;
			s = states[k];
			if (s == TT_STACKS_APPLY_PENDING) {
				ready = 1;
				cJSON_ArrayForEach(dep,
				    cJSON_GetObjectItemCaseSensitive(in,
				    "after"))
					if (cJSON_IsString(dep) &&
					    state_of(names, states, n,
					    dep->valuestring) >
					    TT_STACKS_APPLY_SUCCESS)
						ready = 0;
				if (ready)
					s = TT_STACKS_APPLY_READY;
			}
			if (s > worst)
				worst = s;
			cJSON_ReplaceItemInObjectCaseSensitive(items[k],
			    "state", cJSON_CreateString(
			    tt_stacks_state_name(s)));
			k++;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(o, "state",
		    cJSON_CreateString(tt_stacks_state_name(worst)));
		o = o->next;
	}
	return ans;
}
