/* test_stacks.c: stacks from configs (a table), states, the API answer. */
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
#include "stacks.h"
#include "testhelp.h"


/*
 * One case: a config (JSON text as the YAML reader gives it, NULL for no
 * config.yml), the changed dirs, and either the stored stacks JSON or a
 * piece of the error message; optionally the manifest's dirspaces.
 */
struct tcase {
	const char	*what;
	const char	*config;
	const char	*dirs[8];
	const char	*want;	/* stacks JSON, or NULL */
	const char	*err;	/* substring of the error, or NULL */
	const char	*dirspaces;	/* work manifest dirspaces, or NULL */
};

#define DS(d, w)	"{\"dir\":\"" d "\",\"workspace\":\"" w "\"}"

static const struct tcase cases[] = {
	{ "no config: everything in default", NULL, { "b", "a", "a", NULL },
	  "[{\"name\":\"default\",\"stacks\":[{\"name\":\"default\","
	  "\"paths\":[[\"default\"]],\"dirspaces\":[" DS("a", "default") ","
	  DS("b", "default") "],\"after\":[]}]}]", NULL,
	  "[" DS("a", "default") "," DS("b", "default") "]" },
	{ "no config, no dirs: an empty default", NULL, { NULL },
	  "[{\"name\":\"default\",\"stacks\":[{\"name\":\"default\","
	  "\"paths\":[[\"default\"]],\"dirspaces\":[],\"after\":[]}]}]",
	  NULL, "[]" },
	{ "config without stacks", "{\"when_modified\":{}}", { ".", NULL },
	  "[{\"name\":\"default\",\"stacks\":[{\"name\":\"default\","
	  "\"paths\":[[\"default\"]],\"dirspaces\":[" DS(".", "default")
	  "],\"after\":[]}]}]", NULL, NULL },
	{ "one stack by dir, the rest in default",
	  "{\"stacks\":{\"names\":{\"prod\":{\"tag_query\":\"dir:env/prod\"}}}}",
	  { "env/prod", "env/dev", NULL },
	  "[{\"name\":\"prod\",\"stacks\":[{\"name\":\"prod\",\"paths\":"
	  "[[\"prod\"]],\"dirspaces\":[" DS("env/prod", "default") "],"
	  "\"after\":[]}]},{\"name\":\"default\",\"stacks\":[{\"name\":"
	  "\"default\",\"paths\":[[\"default\"]],\"dirspaces\":["
	  DS("env/dev", "default") "],\"after\":[]}]}]", NULL, NULL },
	{ "a stack with no dirspace is kept, default dropped when empty",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"dir:x\"},"
	  "\"b\":{\"tag_query\":\"dir:y\"}}}}", { "x", NULL },
	  "[{\"name\":\"a\",\"stacks\":[{\"name\":\"a\",\"paths\":[[\"a\"]],"
	  "\"dirspaces\":[" DS("x", "default") "],\"after\":[]}]},"
	  "{\"name\":\"b\",\"stacks\":[{\"name\":\"b\",\"paths\":[[\"b\"]],"
	  "\"dirspaces\":[],\"after\":[]}]}]", NULL, NULL },
	{ "tags from dirs (exact and glob), bare words are tags",
	  "{\"dirs\":{\"aws/**\":{\"tags\":[\"aws\"]},\"aws/prod\":{\"tags\":"
	  "[\"prod\"]},\"gcp/prod\":{\"tags\":[\"prod\"]}},\"stacks\":"
	  "{\"names\":{\"aws-prod\":{\"tag_query\":\"aws and prod\"},"
	  "\"other-prod\":{\"tag_query\":\"tag:prod and not tag:aws\"}}}}",
	  { "aws/prod", "gcp/prod", "aws/dev", NULL },
	  "[{\"name\":\"aws-prod\",\"stacks\":[{\"name\":\"aws-prod\","
	  "\"paths\":[[\"aws-prod\"]],\"dirspaces\":[" DS("aws/prod",
	  "default") "],\"after\":[]}]},{\"name\":\"other-prod\",\"stacks\":"
	  "[{\"name\":\"other-prod\",\"paths\":[[\"other-prod\"]],"
	  "\"dirspaces\":[" DS("gcp/prod", "default") "],\"after\":[]}]},"
	  "{\"name\":\"default\",\"stacks\":[{\"name\":\"default\","
	  "\"paths\":[[\"default\"]],\"dirspaces\":[" DS("aws/dev",
	  "default") "],\"after\":[]}]}]", NULL, NULL },
	{ "workspaces from dirs, selected by workspace:",
	  "{\"dirs\":{\"app\":{\"workspaces\":{\"staging\":{\"tags\":[\"s\"]},"
	  "\"production\":null}}},\"stacks\":{\"names\":{\"stg\":"
	  "{\"tag_query\":\"s\"},\"prd\":{\"tag_query\":"
	  "\"workspace:production\",\"rules\":{\"apply_after\":[\"stg\"]}}}}}",
	  { "app", NULL },
	  "[{\"name\":\"stg\",\"stacks\":[{\"name\":\"stg\",\"paths\":"
	  "[[\"stg\"]],\"dirspaces\":[" DS("app", "staging") "],\"after\":"
	  "[]}]},{\"name\":\"prd\",\"stacks\":[{\"name\":\"prd\",\"paths\":"
	  "[[\"prd\"]],\"dirspaces\":[" DS("app", "production") "],"
	  "\"after\":[\"stg\"]}]}]", NULL,
	  "[" DS("app", "staging") "," DS("app", "production") "]" },
	{ "ordering: plan_after puts a later-written stack first",
	  "{\"stacks\":{\"names\":{\"dev\":{\"tag_query\":\"dir:dev\","
	  "\"rules\":{\"plan_after\":[\"base\"]}},\"base\":{\"tag_query\":"
	  "\"dir:base\"}}}}", { "dev", "base", NULL },
	  "[{\"name\":\"base\",\"stacks\":[{\"name\":\"base\",\"paths\":"
	  "[[\"base\"]],\"dirspaces\":[" DS("base", "default") "],\"after\":"
	  "[]}]},{\"name\":\"dev\",\"stacks\":[{\"name\":\"dev\",\"paths\":"
	  "[[\"dev\"]],\"dirspaces\":[" DS("dev", "default") "],\"after\":"
	  "[\"base\"]}]}]", NULL, NULL },
	{ "modified_by implies plan_after",
	  "{\"stacks\":{\"names\":{\"dev\":{\"tag_query\":\"dir:dev\","
	  "\"rules\":{\"modified_by\":[\"base\"]}},\"base\":{\"tag_query\":"
	  "\"dir:base\"}}}}", { "dev", NULL },
	  "[{\"name\":\"base\",\"stacks\":[{\"name\":\"base\",\"paths\":"
	  "[[\"base\"]],\"dirspaces\":[],\"after\":[]}]},{\"name\":\"dev\","
	  "\"stacks\":[{\"name\":\"dev\",\"paths\":[[\"dev\"]],\"dirspaces\":"
	  "[" DS("dev", "default") "],\"after\":[\"base\"]}]}]", NULL, NULL },
	{ "nested stacks: paths, inner order, outer order by apply_after",
	  "{\"stacks\":{\"names\":{"
	  "\"prod\":{\"stacks\":[\"prod-svc\",\"prod-net\"],\"rules\":"
	  "{\"apply_after\":[\"dev\"]}},"
	  "\"dev\":{\"stacks\":[\"dev-svc\",\"dev-net\"]},"
	  "\"prod-svc\":{\"tag_query\":\"dir:prod/svc\",\"rules\":"
	  "{\"plan_after\":[\"prod-net\"]}},"
	  "\"prod-net\":{\"tag_query\":\"dir:prod/net\"},"
	  "\"dev-svc\":{\"tag_query\":\"dir:dev/svc\"},"
	  "\"dev-net\":{\"tag_query\":\"dir:dev/net\"}}}}",
	  { "prod/svc", "prod/net", "dev/svc", NULL },
	  "[{\"name\":\"dev\",\"stacks\":[{\"name\":\"dev-svc\",\"paths\":"
	  "[[\"dev\",\"dev-svc\"]],\"dirspaces\":[" DS("dev/svc", "default")
	  "],\"after\":[]},{\"name\":\"dev-net\",\"paths\":[[\"dev\","
	  "\"dev-net\"]],\"dirspaces\":[],\"after\":[]}]},{\"name\":\"prod\","
	  "\"stacks\":[{\"name\":\"prod-net\",\"paths\":[[\"prod\","
	  "\"prod-net\"]],\"dirspaces\":[" DS("prod/net", "default") "],"
	  "\"after\":[\"dev-svc\",\"dev-net\"]},{\"name\":\"prod-svc\","
	  "\"paths\":[[\"prod\",\"prod-svc\"]],\"dirspaces\":[" DS("prod/svc",
	  "default") "],\"after\":[\"prod-net\",\"dev-svc\",\"dev-net\"]}]}]",
	  NULL, NULL },
	{ "nested three deep",
	  "{\"stacks\":{\"names\":{\"all\":{\"stacks\":[\"prod\"]},"
	  "\"prod\":{\"stacks\":[\"db\"]},\"db\":{\"tag_query\":\"dir:db\"}}}}",
	  { "db", NULL },
	  "[{\"name\":\"all\",\"stacks\":[{\"name\":\"db\",\"paths\":[[\"all\","
	  "\"prod\",\"db\"]],\"dirspaces\":[" DS("db", "default") "],"
	  "\"after\":[]}]}]", NULL, NULL },
	{ "overlapping selectors are an error",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"dir:x\"},\"b\":"
	  "{\"tag_query\":\"dir:x or dir:y\"}}}}", { "x", NULL }, NULL,
	  "dirspace x:default is selected by both stack a and stack b", NULL },
	{ "overlap on a dir not in the pull request is no error",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"dir:x\"},\"b\":"
	  "{\"tag_query\":\"dir:x or dir:y\"}}}}", { "y", NULL },
	  "[{\"name\":\"a\",\"stacks\":[{\"name\":\"a\",\"paths\":[[\"a\"]],"
	  "\"dirspaces\":[],\"after\":[]}]},{\"name\":\"b\",\"stacks\":"
	  "[{\"name\":\"b\",\"paths\":[[\"b\"]],\"dirspaces\":[" DS("y",
	  "default") "],\"after\":[]}]}]", NULL, NULL },
	{ "an ordering cycle",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"dir:a\",\"rules\":"
	  "{\"plan_after\":[\"b\"]}},\"b\":{\"tag_query\":\"dir:b\","
	  "\"rules\":{\"apply_after\":[\"c\"]}},\"c\":{\"tag_query\":"
	  "\"dir:c\",\"rules\":{\"plan_after\":[\"a\"]}}}}}", { "a", NULL },
	  NULL, "cycle (rules.plan_after or apply_after) among: a, b, c",
	  NULL },
	{ "a cycle between top-level stacks through nested ones",
	  "{\"stacks\":{\"names\":{\"p\":{\"stacks\":[\"p1\",\"p2\"]},"
	  "\"q\":{\"stacks\":[\"q1\"]},\"p1\":{\"tag_query\":\"dir:p1\"},"
	  "\"p2\":{\"tag_query\":\"dir:p2\",\"rules\":{\"plan_after\":"
	  "[\"q1\"]}},\"q1\":{\"tag_query\":\"dir:q1\",\"rules\":"
	  "{\"plan_after\":[\"p1\"]}}}}}", { NULL }, NULL,
	  "the stacks nested in p, q would have to interleave", NULL },
	{ "a nesting cycle",
	  "{\"stacks\":{\"names\":{\"a\":{\"stacks\":[\"b\"]},\"b\":"
	  "{\"stacks\":[\"a\"]}}}}", { NULL }, NULL, "nested in itself", NULL },
	{ "a stack listing itself",
	  "{\"stacks\":{\"names\":{\"a\":{\"stacks\":[\"a\"]}}}}", { NULL },
	  NULL, "stack a lists itself", NULL },
	{ "nested twice",
	  "{\"stacks\":{\"names\":{\"a\":{\"stacks\":[\"c\"]},\"b\":"
	  "{\"stacks\":[\"c\"]},\"c\":{\"tag_query\":\"x\"}}}}", { NULL },
	  NULL, "stack c is nested in both a and b", NULL },
	{ "after its own parent",
	  "{\"stacks\":{\"names\":{\"a\":{\"stacks\":[\"c\"]},\"c\":"
	  "{\"tag_query\":\"x\",\"rules\":{\"plan_after\":[\"a\"]}}}}}",
	  { NULL }, NULL, "one holds the other", NULL },
	{ "unknown stack in rules",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"x\",\"rules\":"
	  "{\"apply_after\":[\"zz\"]}}}}}", { NULL }, NULL,
	  "rules.apply_after names \"zz\", which is not a stack", NULL },
	{ "unknown nested stack",
	  "{\"stacks\":{\"names\":{\"a\":{\"stacks\":[\"zz\"]}}}}", { NULL },
	  NULL, "stack a: stacks names \"zz\"", NULL },
	{ "both tag_query and stacks",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"x\",\"stacks\":"
	  "[\"a\"]}}}}", { NULL }, NULL, "not both", NULL },
	{ "neither", "{\"stacks\":{\"names\":{\"a\":{}}}}", { NULL }, NULL,
	  "not neither", NULL },
	{ "a bad tag_query",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"dir:x and (\"}}}}",
	  { NULL }, NULL, "stack a: tag_query: unexpected end", NULL },
	{ "an unknown tag key",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"repo:x\"}}}}",
	  { NULL }, NULL, "unknown tag \"repo\"", NULL },
	{ "default is reserved",
	  "{\"stacks\":{\"names\":{\"default\":{\"tag_query\":\"x\"}}}}",
	  { NULL }, NULL, "reserved", NULL },
	{ "an unknown key in a stack",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_qeury\":\"x\"}}}}", { NULL },
	  NULL, "unknown key \"tag_qeury\"", NULL },
	{ "stacks not a mapping", "{\"stacks\":[1]}", { NULL }, NULL,
	  "stacks must be a mapping", NULL },
	{ "config not a mapping", "[1,2]", { NULL }, NULL,
	  "config.yml must be a mapping", NULL },
	{ "dirs not a mapping", "{\"dirs\":\"x\"}", { NULL }, NULL,
	  "dirs must be a mapping", NULL },
	{ "tags not a list", "{\"dirs\":{\"x\":{\"tags\":\"a\"}}}",
	  { "x", NULL }, NULL, "dirs.x: tags must be a list", NULL },
	{ "an empty stacks list",
	  "{\"stacks\":{\"names\":{\"a\":{\"stacks\":[]}}}}", { NULL }, NULL,
	  "non-empty list", NULL },
	{ "after is transitive (c follows b follows a)",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"dir:a\"},\"b\":"
	  "{\"tag_query\":\"dir:b\",\"rules\":{\"plan_after\":[\"a\"]}},"
	  "\"c\":{\"tag_query\":\"dir:c\",\"rules\":{\"plan_after\":"
	  "[\"b\"]}}}}}", { "c", NULL },
	  "[{\"name\":\"a\",\"stacks\":[{\"name\":\"a\",\"paths\":[[\"a\"]],"
	  "\"dirspaces\":[],\"after\":[]}]},{\"name\":\"b\",\"stacks\":"
	  "[{\"name\":\"b\",\"paths\":[[\"b\"]],\"dirspaces\":[],\"after\":"
	  "[\"a\"]}]},{\"name\":\"c\",\"stacks\":[{\"name\":\"c\",\"paths\":"
	  "[[\"c\"]],\"dirspaces\":[" DS("c", "default") "],\"after\":[\"a\","
	  "\"b\"]}]}]", NULL, NULL },
	{ "modified_by is checked even beside plan_after",
	  "{\"stacks\":{\"names\":{\"a\":{\"tag_query\":\"x\",\"rules\":"
	  "{\"plan_after\":null,\"modified_by\":[\"nope\"]}}}}}", { NULL },
	  NULL, "rules.modified_by names \"nope\"", NULL },
	{ "a long nesting cycle is a cycle, not depth",
	  "{\"stacks\":{\"names\":{\"n0\":{\"stacks\":[\"n1\"]},\"n1\":"
	  "{\"stacks\":[\"n2\"]},\"n2\":{\"stacks\":[\"n3\"]},\"n3\":"
	  "{\"stacks\":[\"n4\"]},\"n4\":{\"stacks\":[\"n5\"]},\"n5\":"
	  "{\"stacks\":[\"n6\"]},\"n6\":{\"stacks\":[\"n7\"]},\"n7\":"
	  "{\"stacks\":[\"n8\"]},\"n8\":{\"stacks\":[\"n9\"]},\"n9\":"
	  "{\"stacks\":[\"n10\"]},\"n10\":{\"stacks\":[\"n11\"]},\"n11\":"
	  "{\"stacks\":[\"n12\"]},\"n12\":{\"stacks\":[\"n13\"]},\"n13\":"
	  "{\"stacks\":[\"n14\"]},\"n14\":{\"stacks\":[\"n15\"]},\"n15\":"
	  "{\"stacks\":[\"n16\"]},\"n16\":{\"stacks\":[\"n17\"]},\"n17\":"
	  "{\"stacks\":[\"n0\"]}}}}", { NULL }, NULL, "nested in itself",
	  NULL },
	{ "null sections are absent",
	  "{\"dirs\":null,\"stacks\":{\"names\":null}}", { "x", NULL },
	  "[{\"name\":\"default\",\"stacks\":[{\"name\":\"default\","
	  "\"paths\":[[\"default\"]],\"dirspaces\":[" DS("x", "default")
	  "],\"after\":[]}]}]", NULL, NULL },
};

static void
test_table(void **state)
{
	struct tt_stacks_result	 r;
	const struct tcase	*t;
	const char		*why;
	cJSON			*cfg;
	char			 err[512];
	size_t			 i, n;
	enum tt_err		 e;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = &cases[i];
		cfg = NULL;
		if (t->config != NULL)
			assert_non_null(cfg = tt_json_parse(A, t->config,
			    strlen(t->config), &why));
		for (n = 0; t->dirs[n] != NULL; n++)
			;
		e = tt_stacks_compute(A, cfg, t->dirs, n, &r, err,
		    sizeof(err));
		if (t->err != NULL) {
			if (e != TT_EINVAL || strstr(err, t->err) == NULL)
				fail_msg("%s: want error \"%s\", got %d \"%s\"",
				    t->what, t->err, e, err);
			continue;
		}
		if (e != TT_OK)
			fail_msg("%s: %s", t->what, err);
		if (strcmp(tt_json_print(A, r.stacks), t->want) != 0)
			fail_msg("%s:\n got  %s\n want %s", t->what,
			    tt_json_print(A, r.stacks), t->want);
		if (t->dirspaces != NULL && strcmp(tt_json_print(A,
		    r.dirspaces), t->dirspaces) != 0)
			fail_msg("%s: dirspaces %s, want %s", t->what,
			    tt_json_print(A, r.dirspaces), t->dirspaces);
	}
}

/* Limits: many stacks, a long chain, a deep nest, many dirs. */
static void
test_limits(void **state)
{
	struct tt_stacks_result	 r;
	const char		*dirs[1] = { "d0" };
	char			 err[512];
	cJSON			*cfg, *names, *st, *rules, *l;
	int			 i;

	(void)state;
	/* 256 stacks, each after the previous: fine, in chain order. */
	cfg = tt_json_own(A, cJSON_CreateObject());
	names = cJSON_AddObjectToObject(cJSON_AddObjectToObject(cfg,
	    "stacks"), "names");
	for (i = TT_STACKS_MAX_STACKS - 1; i >= 0; i--) {
		st = cJSON_AddObjectToObject(names, tt_arena_printf(A, "s%d",
		    i));
		cJSON_AddStringToObject(st, "tag_query", tt_arena_printf(A,
		    "dir:d%d", i));
		if (i > 0) {
			rules = cJSON_AddObjectToObject(st, "rules");
			l = cJSON_AddArrayToObject(rules, "plan_after");
			cJSON_AddItemToArray(l, cJSON_CreateString(
			    tt_arena_printf(A, "s%d", i - 1)));
		}
	}
	assert_int_equal(tt_stacks_compute(A, cfg, dirs, 1, &r, err,
	    sizeof(err)), TT_OK);
	assert_int_equal(cJSON_GetArraySize(r.stacks), TT_STACKS_MAX_STACKS);
	assert_string_equal(tt_json_string(cJSON_GetArrayItem(r.stacks, 0),
	    "name"), "s0");
	assert_string_equal(tt_json_string(cJSON_GetArrayItem(r.stacks,
	    TT_STACKS_MAX_STACKS - 1), "name"), "s255");
	/* One more is refused. */
	st = cJSON_AddObjectToObject(names, "extra");
	cJSON_AddStringToObject(st, "tag_query", "x");
	assert_int_equal(tt_stacks_compute(A, cfg, dirs, 1, &r, err,
	    sizeof(err)), TT_EINVAL);
	assert_non_null(strstr(err, "more than 256 stacks"));

	/* Nesting deeper than the limit. */
	cfg = tt_json_own(A, cJSON_CreateObject());
	names = cJSON_AddObjectToObject(cJSON_AddObjectToObject(cfg,
	    "stacks"), "names");
	for (i = 0; i < TT_STACKS_MAX_DEPTH + 2; i++) {
		st = cJSON_AddObjectToObject(names, tt_arena_printf(A, "n%d",
		    i));
		if (i == TT_STACKS_MAX_DEPTH + 1)
			cJSON_AddStringToObject(st, "tag_query", "x");
		else
			cJSON_AddItemToArray(cJSON_AddArrayToObject(st,
			    "stacks"), cJSON_CreateString(tt_arena_printf(A,
			    "n%d", i + 1)));
	}
	assert_int_equal(tt_stacks_compute(A, cfg, dirs, 0, &r, err,
	    sizeof(err)), TT_EINVAL);
	assert_non_null(strstr(err, "nested more than 16 deep"));

	/* A workspace list that multiplies dirspaces past the limit. */
	cfg = tt_json_own(A, cJSON_CreateObject());
	st = cJSON_AddObjectToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(
	    cfg, "dirs"), "*"), "workspaces");
	for (i = 0; i < 60; i++)
		cJSON_AddNullToObject(st, tt_arena_printf(A, "w%d", i));
	{
		const char	*many[100];
		for (i = 0; i < 100; i++)
			many[i] = tt_arena_printf(A, "d%03d", i);
		assert_int_equal(tt_stacks_compute(A, cfg, many, 100, &r, err,
		    sizeof(err)), TT_EINVAL);
		assert_non_null(strstr(err, "more than 5000 dirspaces"));
	}
}

/* Every dirspace state from its latest result. */
static void
test_dirspace_states(void **state)
{
	(void)state;
	assert_int_equal(tt_stacks_dirspace_state(NULL, 0, 0),
	    TT_STACKS_PLAN_PENDING);
	assert_int_equal(tt_stacks_dirspace_state("plan", 0, 0),
	    TT_STACKS_PLAN_FAILED);
	assert_int_equal(tt_stacks_dirspace_state("autoplan", 0, 1),
	    TT_STACKS_PLAN_FAILED);
	assert_int_equal(tt_stacks_dirspace_state("plan", 1, 0),
	    TT_STACKS_APPLY_SUCCESS);
	assert_int_equal(tt_stacks_dirspace_state("plan", 1, 1),
	    TT_STACKS_APPLY_PENDING);
	assert_int_equal(tt_stacks_dirspace_state("apply", 1, 1),
	    TT_STACKS_APPLY_SUCCESS);
	assert_int_equal(tt_stacks_dirspace_state("autoapply", 0, 0),
	    TT_STACKS_APPLY_FAILED);
	assert_int_equal(tt_stacks_dirspace_state("unsafe-apply", 1, 0),
	    TT_STACKS_APPLY_SUCCESS);
	assert_string_equal(tt_stacks_state_name(TT_STACKS_NO_CHANGES),
	    "no_changes");
	assert_string_equal(tt_stacks_state_name(TT_STACKS_APPLY_READY),
	    "apply_ready");
	assert_string_equal(tt_stacks_state_name(TT_STACKS_PLAN_FAILED),
	    "plan_failed");
}

/* The answer as text, and parsed back (arena-owned). */
static const char *
render(const cJSON *st, const struct tt_stacks_run *runs, size_t n,
    cJSON **ans)
{
	struct tt_buf	 b = { 0 };
	const char	*why, *text;

	tt_stacks_render(A, &b, st, runs, n);
	text = tt_arena_strndup(A, b.p ? b.p : "", b.n);
	tt_buf_free(&b);
	*ans = tt_json_parse(A, text, strlen(text), &why);
	if (*ans == NULL)
		fail_msg("render produced bad JSON (%s): %s", why, text);
	return text;
}

/* The answer for stored stacks: worst wins, apply_ready, no_changes. */
static void
test_render(void **state)
{
	static const char stored[] =
	    "[{\"name\":\"base\",\"stacks\":[{\"name\":\"base\",\"paths\":"
	    "[[\"base\"]],\"dirspaces\":[" DS("b1", "default") ","
	    DS("b2", "default") "],\"after\":[]}]},"
	    "{\"name\":\"app\",\"stacks\":[{\"name\":\"app-a\",\"paths\":"
	    "[[\"app\",\"app-a\"]],\"dirspaces\":[" DS("a1", "default") "],"
	    "\"after\":[\"base\"]},{\"name\":\"app-e\",\"paths\":[[\"app\","
	    "\"app-e\"]],\"dirspaces\":[],\"after\":[]}]}]";
	struct tt_stacks_run	 runs[3];
	const char		*why;
	cJSON			*st, *ans;
	const char		*got;

	(void)state;
	assert_non_null(st = tt_json_parse(A, stored, strlen(stored), &why));

	/* Nothing ran yet: plan_pending everywhere, empty stack no_changes. */
	got = render(st, NULL, 0, &ans);
	assert_string_equal(got, "{\"stacks\":[{\"name\":\"base\",\"state\":"
	    "\"plan_pending\",\"stacks\":[{\"name\":\"base\",\"paths\":"
	    "[[\"base\"]],\"state\":\"plan_pending\",\"dirspaces\":["
	    "{\"dirspace\":{\"dir\":\"b1\",\"workspace\":\"default\"},"
	    "\"state\":\"plan_pending\"},{\"dirspace\":{\"dir\":\"b2\","
	    "\"workspace\":\"default\"},\"state\":\"plan_pending\"}]}]},"
	    "{\"name\":\"app\",\"state\":\"plan_pending\",\"stacks\":"
	    "[{\"name\":\"app-a\",\"paths\":[[\"app\",\"app-a\"]],\"state\":"
	    "\"plan_pending\",\"dirspaces\":[{\"dirspace\":{\"dir\":\"a1\","
	    "\"workspace\":\"default\"},\"state\":\"plan_pending\"}]},"
	    "{\"name\":\"app-e\",\"paths\":[[\"app\",\"app-e\"]],\"state\":"
	    "\"no_changes\",\"dirspaces\":[]}]}]}");

	/* b1 planned with changes, b2 failed: worst is plan_failed. */
	runs[0] = (struct tt_stacks_run){ "b1", "default", "plan", 1, 1 };
	runs[1] = (struct tt_stacks_run){ "b2", "default", "plan", 0, 0 };
	runs[2] = (struct tt_stacks_run){ "a1", "default", "plan", 1, 1 };
	render(st, runs, 3, &ans);
	st = cJSON_GetObjectItem(ans, "stacks");
	assert_string_equal(tt_json_string(cJSON_GetArrayItem(st, 0), "state"),
	    "plan_failed");
	/* app-a planned with changes but base is not applied: pending. */
	assert_string_equal(tt_json_string(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(st, 1), "stacks"), 0),
	    "state"), "apply_pending");
	assert_string_equal(tt_json_string(cJSON_GetArrayItem(st, 1), "state"),
	    "apply_pending");

	/* base: b1 applied, b2 planned without changes: apply_success; then
	 * app-a's plan with changes is apply_ready. */
	assert_non_null(st = tt_json_parse(A, stored, strlen(stored), &why));
	runs[0] = (struct tt_stacks_run){ "b1", "default", "apply", 1, 1 };
	runs[1] = (struct tt_stacks_run){ "b2", "default", "plan", 1, 0 };
	render(st, runs, 3, &ans);
	st = cJSON_GetObjectItem(ans, "stacks");
	assert_string_equal(tt_json_string(cJSON_GetArrayItem(st, 0), "state"),
	    "apply_success");
	assert_string_equal(tt_json_string(cJSON_GetArrayItem(st, 1), "state"),
	    "apply_ready");

	/* An apply failed in app-a: apply_failed beats the rest. */
	assert_non_null(st = tt_json_parse(A, stored, strlen(stored), &why));
	runs[2] = (struct tt_stacks_run){ "a1", "default", "apply", 0, 1 };
	render(st, runs, 3, &ans);
	st = cJSON_GetObjectItem(ans, "stacks");
	assert_string_equal(tt_json_string(cJSON_GetArrayItem(st, 1), "state"),
	    "apply_failed");

	/* Garbage stored: no crash, an answer with what could be read. */
	why = "[1,{\"stacks\":[2,{}]},{\"name\":3,\"stacks\":{}}]";
	assert_non_null(st = tt_json_parse(A, why, strlen(why), &why));
	render(st, runs, 3, &ans);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_dirspace_states),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
