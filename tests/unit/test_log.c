/* test_log.c: unit tests for log.c (one line per record, levels). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char	path[] = "/tmp/tt-test-log.XXXXXX";

/* Runs fn with stderr sent to a file and returns what it wrote. */
static char *
capture(void (*fn)(void))
{
	static char	out[4096];
	FILE		*f;
	int		 saved, fd;
	size_t		 n;

	fflush(stderr);
	saved = dup(2);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(path);
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	return out;
}

static void
write_lines(void)
{
	tt_log_init("prog", TT_LOG_INFO);
	tt_log_set_request("rid-1");
	tt_log_info("hello %d", 42);
	tt_log_debug("not shown");
	tt_log_set_request(NULL);
	tt_log_warnx("evil\ninjected\rline\x1b[31m");
	errno = ENOENT;
	tt_log_warn("open failed");
}

static void
test_lines(void **state)
{
	char	*out, *l1, *l2, *l3;

	(void)state;
	out = capture(write_lines);
	l1 = strtok(out, "\n");		/* test code: lint covers lib/ only */
	l2 = strtok(NULL, "\n");
	l3 = strtok(NULL, "\n");
	assert_non_null(l1);
	assert_non_null(l2);
	assert_non_null(l3);
	assert_null(strtok(NULL, "\n"));
	assert_non_null(strstr(l1, "prog["));
	assert_non_null(strstr(l1, "info rid=rid-1 hello 42"));
	/* A message with control characters stays on one line. */
	assert_non_null(strstr(l2, "warn evil injected line [31m"));
	assert_null(strstr(l2, "rid="));
	assert_non_null(strstr(l3, "open failed: No such file or directory"));
	/* ISO 8601 UTC time first. */
	assert_int_equal(l1[4], '-');
	assert_int_equal(l1[19], 'Z');
}

static void
error_only(void)
{
	tt_log_init("prog", TT_LOG_ERROR);
	tt_log_warnx("quiet");
	tt_log_errx("loud");
}

static void
test_level_filter(void **state)
{
	char	*out;

	(void)state;
	out = capture(error_only);
	assert_null(strstr(out, "quiet"));
	assert_non_null(strstr(out, "error loud"));
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_level_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
