/* test_tagquery.c: unit tests for the tag query compiler. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "tagquery.h"
#include "testhelp.h"


static struct tt_tagquery
ok(const char *q)
{
	struct tt_tagquery		t;
	struct tt_tagquery_error	e;

	if (tt_tagquery_compile(A, q, "UTC", TT_TAGQUERY_MANIFESTS, 7, &t,
	    &e) != TT_OK)
		fail_msg("%s: %s %s", q, e.id, e.msg);
	return t;
}

static struct tt_tagquery_error
bad(const char *q)
{
	struct tt_tagquery		t;
	struct tt_tagquery_error	e;

	assert_int_equal(tt_tagquery_compile(A, q, "UTC",
	    TT_TAGQUERY_MANIFESTS, 7, &t, &e), TT_EINVAL);
	assert_non_null(e.id);
	return e;
}

static void
test_empty_is_no_filter(void **state)
{
	struct tt_tagquery	t;

	(void)state;
	t = ok("");
	assert_string_equal(t.where, "true");
	assert_int_equal(t.nparams, 0);
	t = ok("   ");
	assert_string_equal(t.where, "true");
	assert_int_equal(tt_tagquery_compile(A, NULL, NULL,
	    TT_TAGQUERY_MANIFESTS, 7, &t, &(struct tt_tagquery_error){ 0 }),
	    TT_OK);
}

static void
test_terms_become_parameters(void **state)
{
	struct tt_tagquery	t;

	(void)state;
	t = ok("state:queued");
	assert_string_equal(t.where, "((coalesce(wm.state = $7, false)))");
	assert_int_equal(t.nparams, 1);
	assert_string_equal(t.params[0], "queued");
	/* Quoted values keep spaces and quotes of the other kind. */
	t = ok("branch:\"feature x's\" user:'a \"b\"'");
	assert_string_equal(t.where, "((coalesce(wm.branch = $7, false) AND "
	    "coalesce(wm.username = $8, false)))");
	assert_string_equal(t.params[0], "feature x's");
	assert_string_equal(t.params[1], "a \"b\"");
}

static void
test_injection_stays_data(void **state)
{
	struct tt_tagquery	t;

	(void)state;
	t = ok("repo:\"x') OR true; DROP TABLE work_manifests; --\"");
	assert_null(strstr(t.where, "DROP"));
	assert_null(strstr(t.where, "x'"));
	assert_string_equal(t.params[0],
	    "x') OR true; DROP TABLE work_manifests; --");
}

static void
test_precedence(void **state)
{
	struct tt_tagquery	t;

	(void)state;
	/* and binds tighter than or; juxtaposition is and; not is tightest. */
	t = ok("state:a or state:b state:c");
	assert_string_equal(t.where, "((coalesce(wm.state = $7, false)) OR "
	    "(coalesce(wm.state = $8, false) AND coalesce(wm.state = $9, "
	    "false)))");
	t = ok("not state:a and (kind:pr or kind:drift)");
	assert_string_equal(t.where, "((NOT (coalesce(wm.state = $7, false)) "
	    "AND (((coalesce(wm.kind = $8, false)) OR (coalesce(wm.kind = $9, "
	    "false))))))");
}

static void
test_sort(void **state)
{
	struct tt_tagquery	t;

	(void)state;
	t = ok("sort:asc state:queued");
	assert_true(t.sort_asc);
	t = ok("sort:desc");
	assert_false(t.sort_asc);
	bad("sort:up");
	bad("sort:asc sort:desc");
	bad("not sort:asc");
	bad("(sort:asc)");
	bad("sort:asc or state:a");
	bad("state:a or sort:asc");
}

static void
test_errors_point_at_the_offset(void **state)
{
	struct tt_tagquery_error	e;

	(void)state;
	e = bad("state:queued colour:red");
	assert_string_equal(e.id, "UNKNOWN_TAG");
	assert_int_equal(e.pos, 13);
	e = bad("state:queued and");
	assert_string_equal(e.id, "PARSE_ERROR");
	assert_int_equal(e.pos, 16);
	e = bad("(state:queued");
	assert_string_equal(e.id, "PARSE_ERROR");
	e = bad("state:queued)");
	assert_string_equal(e.id, "PARSE_ERROR");
	assert_int_equal(e.pos, 12);
	e = bad("state:'open");
	assert_int_equal(e.pos, 6);
	bad("queued");
	bad(":x");
	bad("state:");
	bad("'x'");
	bad("and");
	bad("()");
	bad("id:not-a-uuid");
	bad("pr:abc");
	bad("kind:other");
}

static void
test_dates(void **state)
{
	struct tt_tagquery		t;
	struct tt_tagquery_error	e;

	(void)state;
	t = ok("created_at:2026-01-31");
	assert_int_equal(t.nparams, 3);		/* tz, start, end */
	assert_string_equal(t.params[0], "UTC");
	assert_non_null(strstr(t.where, "interval '1 day'"));
	t = ok("created_at:'2026-01-31 10:05'");
	assert_non_null(strstr(t.where, "interval '1 minute'"));
	t = ok("created_at:2026-01-01..2026-02-01");
	assert_int_equal(t.nparams, 3);
	t = ok("created_at:2026-01-01..");
	assert_int_equal(t.nparams, 2);
	assert_null(strstr(t.where, "<"));
	t = ok("created_at:..2026-01-01");
	assert_null(strstr(t.where, ">="));
	t = ok("created_at:2024-02-29");
	e = bad("created_at:2026-02-29");
	assert_string_equal(e.id, "BAD_DATE_FORMAT");
	e = bad("created_at:2026-13-01");
	assert_string_equal(e.id, "BAD_DATE_FORMAT");
	e = bad("created_at:yesterday");
	assert_string_equal(e.id, "BAD_DATE_FORMAT");
	e = bad("created_at:..");
	assert_string_equal(e.id, "BAD_DATE_FORMAT");
	e = bad("created_at:'2026-01-01 25:00'");
	assert_string_equal(e.id, "BAD_DATE_FORMAT");
}

static void
test_dirspace_target(void **state)
{
	struct tt_tagquery		t;
	struct tt_tagquery_error	e;

	(void)state;
	assert_int_equal(tt_tagquery_compile(A, "dir:env/prod state:success",
	    "UTC", TT_TAGQUERY_DIRSPACES, 7, &t, &e), TT_OK);
	assert_non_null(strstr(t.where, "d.dir = $7"));
	assert_non_null(strstr(t.where, "'success'"));
	t = ok("dir:env/prod");
	assert_non_null(strstr(t.where, "EXISTS"));
}

static void
test_limits(void **state)
{
	char	q[5000];
	size_t	i;

	(void)state;
	memset(q, '(', 40);
	strcpy(q + 40, "state:a");
	for (i = 0; i < 40; i++)
		strcat(q, ")");
	bad(q);
	q[0] = '\0';
	for (i = 0; i < 65; i++)
		strcat(q, "state:a ");
	bad(q);
	memset(q, ' ', sizeof(q) - 1);
	q[sizeof(q) - 1] = '\0';
	bad(q);
	bad("repo:\xff");
}

int main(void);

/* A stack's tag_query judged against a dirspace. */
static int
matches(const char *q)
{
	static const char *const tags[] = { "prod", "aws", "us-east-1" };
	struct tt_tagquery_subject	s = { "env/prod", "blue", tags, 3 };
	struct tt_tagquery_error	e;
	int				m;

	if (tt_tagquery_match(A, q, &s, &m, &e) != TT_OK)
		return -1;
	return m;
}

static void
test_stack_match(void **state)
{
	struct tt_tagquery_error	e;
	int				m;

	(void)state;
	assert_int_equal(matches(""), 1);
	assert_int_equal(matches("prod"), 1);
	assert_int_equal(matches("tag:aws"), 1);
	assert_int_equal(matches("gcp"), 0);
	assert_int_equal(matches("prod aws"), 1);
	assert_int_equal(matches("prod and gcp"), 0);
	assert_int_equal(matches("gcp or us-east-1"), 1);
	assert_int_equal(matches("not gcp"), 1);
	assert_int_equal(matches("not (prod and aws)"), 0);
	assert_int_equal(matches("dir:env/prod"), 1);
	assert_int_equal(matches("dir:env"), 0);
	assert_int_equal(matches("dir:'env/prod' and workspace:blue"), 1);
	assert_int_equal(matches("workspace:default"), 0);
	/* not binds tighter than and, and tighter than or. */
	assert_int_equal(matches("gcp or prod and not aws"), 0);
	assert_int_equal(matches("(gcp or prod) and not gcp"), 1);
	/* Manifest keys mean nothing to a stack. */
	assert_int_equal(tt_tagquery_match(A, "repo:x", NULL, &m, &e),
	    TT_EINVAL);
	assert_string_equal(e.id, "UNKNOWN_TAG");
	assert_int_equal(tt_tagquery_match(A, "prod and sort:asc", NULL, &m,
	    &e), TT_EINVAL);
	assert_int_equal(e.pos, 9);
	assert_int_equal(tt_tagquery_match(A, "prod and (aws", NULL, &m, &e),
	    TT_EINVAL);
	assert_string_equal(e.id, "PARSE_ERROR");
	assert_int_equal(tt_tagquery_match(A, "prod or", NULL, &m, &e),
	    TT_EINVAL);
	assert_int_equal(m, 0);
	/* Bare words are refused where a manifest query is compiled. */
	{
		struct tt_tagquery	t;
		assert_int_equal(tt_tagquery_compile(A, "prod", "UTC",
		    TT_TAGQUERY_MANIFESTS, 1, &t, &e), TT_EINVAL);
		assert_int_equal(tt_tagquery_compile(A, "dir:x", "UTC",
		    TT_TAGQUERY_STACKS, 1, &t, &e), TT_EINVAL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_no_filter),
		cmocka_unit_test(test_terms_become_parameters),
		cmocka_unit_test(test_injection_stays_data),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_errors_point_at_the_offset),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_dirspace_target),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_stack_match),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
