/* test_auditq.c: unit tests for auditq.c (audit rows waiting to be written). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "arena.h"
#include "audit.h"
#include "auditq.h"

#define USER	"5f0c7b2e-1d3a-4c55-9e8f-0a1b2c3d4e5f"
#define KEY	"9a8b7c6d-5e4f-4321-8765-0fedcba98765"

static void
drain(void)
{
	tt_auditq_written(tt_auditq_count());
}

static void
test_json(void **state)
{
	struct tt_arena	*a = tt_arena_new();
	const char	*s;
	cJSON		*j, *r;

	(void)state;
	drain();
	assert_null(tt_auditq_json(a));
	assert_true(tt_auditq_add("1796000000000001", USER, KEY, "127.0.0.1",
	    "curl/7.88 \"quoted\" \\ back", 1));
	assert_true(tt_auditq_add("1796000000000002", USER, KEY, NULL, NULL,
	    0));
	assert_int_equal(tt_auditq_count(), 2);
	s = tt_auditq_json(a);
	assert_non_null(s);
	j = cJSON_Parse(s);
	assert_non_null(j);
	assert_int_equal(cJSON_GetArraySize(j), 2);
	r = cJSON_GetArrayItem(j, 0);
	/* Times travel as strings: exact whatever their size. */
	assert_string_equal(cJSON_GetObjectItem(r, "at")->valuestring,
	    "1796000000000001");
	assert_string_equal(cJSON_GetObjectItem(r, "user_id")->valuestring,
	    USER);
	assert_string_equal(cJSON_GetObjectItem(r, "key")->valuestring, KEY);
	assert_string_equal(cJSON_GetObjectItem(r, "addr")->valuestring,
	    "127.0.0.1");
	assert_string_equal(cJSON_GetObjectItem(r, "ua")->valuestring,
	    "curl/7.88 \"quoted\" \\ back");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r, "touch")));
	r = cJSON_GetArrayItem(j, 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "addr")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r, "ua")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(r, "touch")));
	cJSON_Delete(j);
	tt_auditq_written(2);
	assert_int_equal(tt_auditq_count(), 0);
	assert_null(tt_auditq_json(a));
	tt_arena_free(a);
}

static void
test_limits(void **state)
{
	struct tt_arena	*a = tt_arena_new();
	char		 ua[TT_AUDIT_UA_MAX + 1], addr[TT_AUDIT_ADDR_MAX + 1];
	cJSON		*j;
	int		 i;

	(void)state;
	drain();
	/* The longest cleaned values fit whole. */
	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	assert_true(tt_auditq_add("1", USER, KEY, addr, ua, 0));
	j = cJSON_Parse(tt_auditq_json(a));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0),
	    "ua")->valuestring, ua);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0),
	    "addr")->valuestring, addr);
	cJSON_Delete(j);
	/* An id that is not one is refused, not cut. */
	assert_false(tt_auditq_add("1", USER "-and-much-more-than-an-id", KEY,
	    NULL, NULL, 0));
	/* Full at TT_AUDITQ_MAX, and due. */
	for (i = tt_auditq_count(); i < TT_AUDITQ_MAX; i++)
		assert_true(tt_auditq_add("2", USER, KEY, NULL, NULL, 0));
	assert_int_equal(tt_auditq_count(), TT_AUDITQ_MAX);
	assert_true(tt_auditq_due());
	assert_false(tt_auditq_add("3", USER, KEY, NULL, NULL, 0));
	/* Written in part: the rest stay, in order. */
	tt_auditq_written(TT_AUDITQ_MAX - 1);
	assert_int_equal(tt_auditq_count(), 1);
	j = cJSON_Parse(tt_auditq_json(a));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0),
	    "at")->valuestring, "2");
	cJSON_Delete(j);
	drain();
	assert_false(tt_auditq_due());
	tt_arena_free(a);
}

static void
test_due(void **state)
{
	struct timespec	ts = { 0, (TT_AUDITQ_AGE_US + 5000) * 1000L };

	(void)state;
	drain();
	assert_false(tt_auditq_due());
	assert_true(tt_auditq_add("1", USER, KEY, NULL, NULL, 0));
	assert_false(tt_auditq_due());
	nanosleep(&ts, NULL);
	assert_true(tt_auditq_due());
	drain();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
