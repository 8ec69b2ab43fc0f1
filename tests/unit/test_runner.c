/*
 * test_runner.c: what the runner and pull-request comments send, read:
 * results of version 2 into each dirspace's outcome (runner.c), and the
 * `terrateam plan|apply [query]` comment commands (ghcomment.c).
 */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "ghcomment.h"
#include "json.h"
#include "runner.h"

static struct tt_arena	*arena;

/* The outcomes of results text as "dir ws success changes;..." */
static const char *
outcomes(const char *results)
{
	const char	*why;
	cJSON		*body, *list, *o, *hc;
	char		*out;

	body = tt_json_parse(arena, results, strlen(results), &why);
	assert_non_null(body);
	if ((list = tt_runner_outcomes(arena, body)) == NULL)
		return NULL;
	out = tt_arena_strdup(arena, "");
	cJSON_ArrayForEach(o, list) {
		hc = cJSON_GetObjectItemCaseSensitive(o, "has_changes");
		out = tt_arena_printf(arena, "%s%s %s %s %s;", out,
		    tt_json_string(o, "dir"), tt_json_string(o, "workspace"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "success")) ? "ok" : "failed", hc == NULL ? "-" :
		    cJSON_IsTrue(hc) ? "changes" : "none");
	}
	return out;
}

#define DS(d, w)	"\"scope\":{\"type\":\"dirspace\",\"dir\":\"" d \
			"\",\"workspace\":\"" w "\"}"
#define STEP(name, ok, ign, scope, payload) "{\"step\":\"" name \
			"\",\"success\":" ok ",\"ignore_errors\":" ign "," \
			scope ",\"payload\":" payload "}"
#define PRE(ok)		"{\"step\":\"auth/update-terrateam-github-token\"," \
			"\"success\":" ok ",\"ignore_errors\":false," \
			"\"scope\":{\"type\":\"run\",\"flow\":\"hooks\"," \
			"\"subflow\":\"pre\"},\"payload\":{}}"

static void
test_outcomes_per_dirspace(void **state)
{
	(void)state;
	assert_string_equal(outcomes("{\"steps\":[" PRE("true") ","
	    STEP("tf/init", "true", "false", DS("a", "default"), "{}") ","
	    STEP("tf/plan", "true", "false", DS("a", "default"),
	    "{\"plan\":\"+\",\"has_changes\":true,\"text\":\"x\"}") ","
	    STEP("tf/plan", "true", "false", DS("b", "prod"),
	    "{\"plan\":\"\",\"has_changes\":false,\"text\":\"x\"}") "]}"),
	    "a default ok changes;b prod ok none;");
}

static void
test_a_failed_step_fails_its_dirspace_only(void **state)
{
	(void)state;
	assert_string_equal(outcomes("{\"steps\":["
	    STEP("tf/init", "true", "false", DS("a", "default"), "{}") ","
	    STEP("tf/plan", "false", "false", DS("a", "default"),
	    "{\"text\":\"error\",\"visible_on\":\"always\"}") ","
	    STEP("tf/plan", "true", "false", DS("b", "default"),
	    "{\"has_changes\":true}") "]}"),
	    "a default failed -;b default ok changes;");
	/* ignore_errors makes a failed step count as done. */
	assert_string_equal(outcomes("{\"steps\":["
	    STEP("custom", "false", "true", DS("a", "default"), "{}") "]}"),
	    "a default ok -;");
}

static void
test_failed_pre_hooks_fail_every_dirspace(void **state)
{
	(void)state;
	assert_string_equal(outcomes("{\"steps\":[" PRE("false") ","
	    STEP("tf/plan", "true", "false", DS("a", "default"),
	    "{\"has_changes\":true}") "]}"), "a default failed changes;");
	/* No dirspace steps at all: nothing named (the statement fails
	 * every dirspace the results do not name). */
	assert_string_equal(outcomes("{\"steps\":[" PRE("false") "]}"), "");
}

static void
test_results_that_are_not_version_2(void **state)
{
	(void)state;
	assert_null(outcomes("[]"));
	assert_null(outcomes("{}"));
	assert_null(outcomes("{\"steps\":{}}"));
	assert_null(outcomes("{\"steps\":[1]}"));
	assert_null(outcomes("{\"steps\":[{\"step\":\"x\",\"success\":true}]}"));
	assert_null(outcomes("{\"steps\":[{\"success\":true,\"scope\":"
	    "{\"type\":\"dirspace\",\"dir\":\"a\"}}]}"));
	assert_null(outcomes("{\"steps\":[{\"success\":true,\"scope\":"
	    "{\"type\":\"other\"}}]}"));
	assert_string_equal(outcomes("{\"steps\":[]}"), "");
}

static void
test_dir_and_workspace_are_kept_apart(void **state)
{
	(void)state;
	/* "a b" + "c" and "a" + "b c" are two dirspaces. */
	assert_string_equal(outcomes("{\"steps\":["
	    STEP("tf/plan", "true", "false", DS("a b", "c"), "{}") ","
	    STEP("tf/plan", "false", "false", DS("a", "b c"), "{}") "]}"),
	    "a b c ok -;a b c failed -;");
}

/* The command of a comment as "plan|apply:query", or NULL. */
static const char *
command(const char *body)
{
	const char	*q;
	int		 apply = -1;

	if (!tt_ghcomment_parse(body, &apply, &q, arena))
		return NULL;
	return tt_arena_printf(arena, "%s:%s", apply ? "apply" : "plan", q);
}

static void
test_comment_commands(void **state)
{
	char	long_q[1100];

	(void)state;
	assert_string_equal(command("terrateam plan"), "plan:");
	assert_string_equal(command("terrateam apply"), "apply:");
	assert_string_equal(command("  \n Terrateam   APPLY  dir:infra "),
	    "apply:dir:infra");
	assert_string_equal(command("terrateam plan dir:a and workspace:b\n"
	    "second line ignored"), "plan:dir:a and workspace:b");
	assert_string_equal(command("terrateam\tapply\r\nthanks"), "apply:");
	assert_null(command("terrateam"));
	assert_null(command("terrateam planet"));
	assert_null(command("terrateamapply"));
	assert_null(command("please terrateam apply"));
	assert_null(command("terrateam destroy"));
	assert_null(command(""));
	assert_null(command(NULL));
	memset(long_q, 'x', sizeof(long_q) - 1);
	long_q[sizeof(long_q) - 1] = '\0';
	assert_null(command(tt_arena_printf(arena, "terrateam plan %s",
	    long_q)));
}

static int
setup(void **state)
{
	(void)state;
	arena = tt_arena_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tt_arena_free(arena);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcomes_per_dirspace),
		cmocka_unit_test(test_a_failed_step_fails_its_dirspace_only),
		cmocka_unit_test(test_failed_pre_hooks_fail_every_dirspace),
		cmocka_unit_test(test_results_that_are_not_version_2),
		cmocka_unit_test(test_dir_and_workspace_are_kept_apart),
		cmocka_unit_test(test_comment_commands),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
