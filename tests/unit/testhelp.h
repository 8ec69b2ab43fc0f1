/* testhelp.h: what most unit test files share: one arena, A, made before
 * the group's tests and freed after them (pass setup and teardown to
 * cmocka_run_group_tests). Included by test files only. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_TESTHELP_H
#define TT_TESTHELP_H

#include "arena.h"

static struct tt_arena	*A;

static int
setup(void **state)
{
	(void)state;
	A = tt_arena_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tt_arena_free(A);
	return 0;
}

#endif
