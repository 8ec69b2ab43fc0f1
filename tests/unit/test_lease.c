/* test_lease.c: unit tests for lease.c (reserved rate-limit tokens). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lease.h"

#define W	60000000	/* a minute in microseconds */

/* A hex SHA-256 made from n. */
static const char *
hash(int n)
{
	static char	h[4][65];
	static int	i;
	char		*p = h[i++ % 4];

	snprintf(p, 65, "%064x", n);
	return p;
}

static void
test_want(void **state)
{
	(void)state;
	tt_lease_reset();
	/* Unknown key, or not busy: one. */
	assert_int_equal(tt_lease_want(hash(1), 1), 1);
	tt_lease_store(hash(1), 1, 0, 1000000, W);	/* room ~1e6 */
	assert_int_equal(tt_lease_want(hash(1), 0), 1);
	assert_int_equal(tt_lease_want(hash(1), 1), TT_LEASE_MAX);
	/* The default 60 a minute never reserves more than one. */
	tt_lease_store(hash(2), 1, 1000000, 60, W);
	assert_int_equal(tt_lease_want(hash(2), 1), 1);
	/* 6400 a minute, bucket full: a 64th of the room is 100, capped. */
	tt_lease_store(hash(3), 1, 0, 6400, W);
	assert_int_equal(tt_lease_want(hash(3), 1), TT_LEASE_MAX);
	/* 640 a minute, 600 left: 9. */
	tt_lease_store(hash(3), 1, 40 * (W / 640), 640, W);
	assert_int_equal(tt_lease_want(hash(3), 1), 600 / 64);
	/* A step of 0 microseconds (limit above the window): the most. */
	tt_lease_store(hash(4), 1, 0, 1000000000, W);
	assert_int_equal(tt_lease_want(hash(4), 1), TT_LEASE_MAX);
	/* Malformed hashes are never stored. */
	tt_lease_store("abc", 5, 0, 1000000, W);
	assert_false(tt_lease_has("abc"));
	assert_int_equal(tt_lease_want("abc", 1), 1);
	assert_int_equal(tt_lease_want(NULL, 1), 1);
}

static void
test_take(void **state)
{
	int64_t	limit = 0, ahead = -1;
	int	i;

	(void)state;
	tt_lease_reset();
	assert_false(tt_lease_has(hash(7)));
	assert_false(tt_lease_take(hash(7), &limit, &ahead));
	/* One granted is the request's own: nothing left to spend. */
	tt_lease_store(hash(7), 1, 5000, 100000, W);
	assert_false(tt_lease_has(hash(7)));
	/* Four granted: three to spend, then none. */
	tt_lease_store(hash(7), 4, 5000, 100000, W);
	for (i = 0; i < 3; i++) {
		assert_true(tt_lease_has(hash(7)));
		assert_true(tt_lease_take(hash(7), &limit, &ahead));
		assert_int_equal(limit, 100000);
		assert_true(ahead >= 0 && ahead <= 5000);
	}
	assert_false(tt_lease_has(hash(7)));
	assert_false(tt_lease_take(hash(7), &limit, &ahead));
	/* Another key's tokens are its own. */
	tt_lease_store(hash(8), 3, 0, 100000, W);
	assert_false(tt_lease_take(hash(7), &limit, &ahead));
	assert_true(tt_lease_take(hash(8), &limit, &ahead));
	assert_int_equal(ahead, 0);
	/* A refused key's reservation is forgotten. */
	tt_lease_drop(hash(8));
	assert_false(tt_lease_has(hash(8)));
	assert_false(tt_lease_take(hash(8), &limit, &ahead));
	/* A negative ahead (the bucket was full) counts as 0. */
	tt_lease_store(hash(9), 2, -300, 100000, W);
	assert_true(tt_lease_take(hash(9), &limit, &ahead));
	assert_int_equal(ahead, 0);
}

static void
test_replacement(void **state)
{
	int64_t	limit, ahead;
	int	i;

	(void)state;
	tt_lease_reset();
	/* Many more keys than slots: the table keeps working, and the key
	 * used most recently keeps its tokens. */
	tt_lease_store(hash(100), 64, 0, 1000000, W);
	for (i = 0; i < 1000; i++) {
		tt_lease_store(hash(1000 + i), 2, 0, 1000000, W);
		assert_true(tt_lease_take(hash(100), &limit, &ahead) ||
		    i >= 63);
		assert_true(tt_lease_has(hash(1000 + i)));
	}
	assert_false(tt_lease_has(hash(1000)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_want),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_replacement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
