/*
 * test_dbstmt.c: every statement the library declares (TT_DB_STMT, found
 * in the tt_db_stmts section: this test links all of libtt.a) has a
 * unique name PostgreSQL keeps whole, and its highest $n is its declared
 * parameter count, so that no statement is sent with a parameter too few
 * or too many.
 */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "db.h"

extern struct tt_db_stmt *const __start_tt_db_stmts[];
extern struct tt_db_stmt *const __stop_tt_db_stmts[];

/*
 * The highest $n of the SQL text, outside quoted strings and
 * identifiers ('...', "...") and comments; -1 when a quote or comment is
 * left open, or a dollar-quoted string appears (none of ours has one).
 */
static int
highest_param(const char *sql)
{
	const char	*p = sql;
	int		 max = 0, n;
	char		 q;

	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			q = *p++;
			while (*p != '\0' && !(*p == q && p[1] != q))
				p += (*p == q) ? 2 : 1;
			if (*p++ == '\0')
				return -1;
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			if ((p = strstr(p + 2, "*/")) == NULL)
				return -1;
			p += 2;
		} else if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
			for (n = 0, p++; *p >= '0' && *p <= '9'; p++)
				n = n * 10 + (*p - '0');
			if (n > max)
				max = n;
		} else if (*p == '$') {
			return -1;
		} else
			p++;
	}
	return max;
}

static void
test_highest_param_reader(void **state)
{
	(void)state;
	assert_int_equal(highest_param("SELECT 1"), 0);
	assert_int_equal(highest_param("SELECT $1, $12, $3"), 12);
	assert_int_equal(highest_param("SELECT '$9', \"$8\", $2"), 2);
	assert_int_equal(highest_param("SELECT 'it''s $7', $1"), 1);
	assert_int_equal(highest_param("SELECT $1 /* $5 */ -- $6\n, $2"), 2);
	assert_int_equal(highest_param("SELECT 'open"), -1);
	assert_int_equal(highest_param("SELECT $$x$$"), -1);
}

static void
test_every_statement(void **state)
{
	struct tt_db_stmt *const	*s, *const *t;
	size_t				 n = 0;
	int				 hi;

	(void)state;
	for (s = __start_tt_db_stmts; s < __stop_tt_db_stmts; s++) {
		n++;
		assert_non_null((*s)->name);
		assert_non_null((*s)->sql);
		if (strlen((*s)->name) > 63)
			fail_msg("statement name %s is longer than 63 bytes",
			    (*s)->name);
		hi = highest_param((*s)->sql);
		if (hi != (*s)->nparams)
			fail_msg("statement %s: highest $n is %d, nparams %d",
			    (*s)->name, hi, (*s)->nparams);
		for (t = s + 1; t < __stop_tt_db_stmts; t++)
			if (strcmp((*s)->name, (*t)->name) == 0)
				fail_msg("two statements are named %s",
				    (*s)->name);
	}
	/* Every module's statements are there (74 when this was written). */
	print_message("# %zu statements checked\n", n);
	assert_true(n >= 74);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_highest_param_reader),
		cmocka_unit_test(test_every_statement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
