/* test_asset.c: unit tests for asset.c (kept, re-read, refused). */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asset.h"

static char	dir[] = "/tmp/tt-asset.XXXXXX";
static char	path[64], other[64];

static void
put(const char *p, const char *text, size_t n)
{
	FILE	*f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/a.json", dir);
	snprintf(other, sizeof(other), "%s/b.json", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tt_asset_cleanup();
	unlink(path);
	unlink(other);
	rmdir(dir);
	return 0;
}

static void
test_kept_and_reread(void **state)
{
	const char	*b1, *b2;
	size_t		 n;

	(void)state;
	put(path, "{\"a\":1}", 7);
	assert_int_equal(tt_asset_get(path, 1024, &b1, &n), TT_OK);
	assert_string_equal(b1, "{\"a\":1}");
	assert_int_equal(n, 7);

	/* Unchanged: the kept copy, not a new read. */
	assert_int_equal(tt_asset_get(path, 1024, &b2, &n), TT_OK);
	assert_ptr_equal(b1, b2);

	/* Replaced by another file (as an install does): read again. */
	put(other, "{\"b\":22}", 8);
	assert_int_equal(rename(other, path), 0);
	assert_int_equal(tt_asset_get(path, 1024, &b2, &n), TT_OK);
	assert_string_equal(b2, "{\"b\":22}");
	assert_int_equal(n, 8);

	/* Rewritten in place with the same size: the mtime tells. */
	{
		struct timespec	ts[2] = { { 0, UTIME_OMIT }, { 1, 0 } };

		put(path, "{\"c\":33}", 8);
		assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	}
	assert_int_equal(tt_asset_get(path, 1024, &b2, &n), TT_OK);
	assert_string_equal(b2, "{\"c\":33}");

	/* Another path replaces the kept file. */
	put(other, "[]", 2);
	assert_int_equal(tt_asset_get(other, 1024, &b2, &n), TT_OK);
	assert_string_equal(b2, "[]");
	assert_int_equal(tt_asset_get(path, 1024, &b2, &n), TT_OK);
	assert_string_equal(b2, "{\"c\":33}");
}

static void
test_refused(void **state)
{
	const char	*b = "x";
	size_t		 n = 1;

	(void)state;
	assert_int_equal(tt_asset_get("/nonexistent/tt-asset", 1024, &b, &n),
	    TT_ENOTFOUND);
	assert_null(b);
	assert_int_equal(n, 0);
	assert_int_equal(tt_asset_get(dir, 1024, &b, &n), TT_ENOTFOUND);

	put(path, "0123456789", 10);
	assert_int_equal(tt_asset_get(path, 9, &b, &n), TT_ETOOBIG);
	assert_int_equal(tt_asset_get(path, 10, &b, &n), TT_OK);

	/* A NUL would cut the body short where it is used as a string. */
	put(path, "{\"a\"\0:1}", 8);
	assert_int_equal(tt_asset_get(path, 1024, &b, &n), TT_ETOOBIG);

	/* Gone: refused, not the stale copy. */
	unlink(path);
	assert_int_equal(tt_asset_get(path, 1024, &b, &n), TT_ENOTFOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_and_reread),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
