/* test_db.c: unit tests for db.c's parts that need no server. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "db.h"

/* timestamptz text (TimeZone UTC, DateStyle ISO) to RFC 3339 and µs. */
static void
test_time(void **state)
{
	char	utc[TT_DB_UTC_LEN];
	int64_t	us;

	(void)state;
	assert_int_equal(tt_db_time("2026-12-02 20:05:07.123456+00", utc,
	    &us), 0);
	assert_string_equal(utc, "2026-12-02T20:05:07Z");
	assert_true(us == INT64_C(1796241907123456));
	/* Fewer fraction digits are tenths, hundredths... */
	assert_int_equal(tt_db_time("1970-01-01 00:00:01.5+00", NULL, &us),
	    0);
	assert_true(us == 1500000);
	/* Only the text: the same answer without the epoch arithmetic. */
	memset(utc, 'x', sizeof(utc));
	assert_int_equal(tt_db_time("2024-02-29 23:59:59+00", utc, NULL), 0);
	assert_string_equal(utc, "2024-02-29T23:59:59Z");
	assert_int_equal(tt_db_time("2024-02-29 23:59:59+00", NULL, &us), 0);
	assert_true(us == INT64_C(1709251199000000));
}

static void
test_time_rejects(void **state)
{
	char	utc[TT_DB_UTC_LEN];
	int64_t	us;

	(void)state;
	assert_int_equal(tt_db_time(NULL, utc, &us), -1);
	assert_int_equal(tt_db_time("", utc, NULL), -1);
	assert_int_equal(tt_db_time("2024-02-29 23:59:59+01", utc, NULL), -1);
	assert_int_equal(tt_db_time("2024-02-29T23:59:59+00", utc, NULL), -1);
	assert_int_equal(tt_db_time("2024-0a-29 23:59:59+00", utc, NULL), -1);
	assert_int_equal(tt_db_time("12024-02-29 23:59:59+00", utc, NULL),
	    -1);
	assert_int_equal(tt_db_time("2024-02-29 23:59:59", utc, &us), -1);
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_time_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
