/* test_clientaddr.c: unit tests for clientaddr.c (TT_TRUSTED_PROXIES). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "clientaddr.h"

static struct tt_arena	*arena;
static struct tt_cidr	 list[TT_CLIENTADDR_MAX];

/* The number of blocks spec parses into, or -1. */
static int
parse(const char *spec)
{
	const char	*why = NULL;
	int		 n;

	n = tt_clientaddr_parse(spec, list, TT_CLIENTADDR_MAX, &why);
	if (n < 0)
		assert_non_null(why);
	return n;
}

/* The client address for (remote, xff) behind the proxies of spec. */
static const char *
client(const char *spec, const char *remote, const char *xff)
{
	int	n = parse(spec);

	assert_true(n >= 0);
	return tt_clientaddr(arena, remote, xff, list, (size_t)n);
}

static void
test_parse_lists(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("  , "), 0);
	assert_int_equal(parse("10.0.0.0/8"), 1);
	assert_int_equal(parse("10.0.0.0/8, 192.0.2.7 fd00::/8,::1"), 4);
	assert_int_equal(parse("0.0.0.0/0"), 1);
	assert_int_equal(parse("::/0"), 1);
	assert_int_equal(parse("::ffff:10.0.0.0/104"), 1);
	assert_int_equal(list[0].family, 4);
	assert_int_equal(list[0].bits, 8);
}

static void
test_parse_refuses_typos(void **state)
{
	char	many[TT_CLIENTADDR_MAX * 12 + 16];
	size_t	i;

	(void)state;
	assert_int_equal(parse("10.0.0.1/8"), -1);	/* host bits */
	assert_int_equal(parse("10.0.0.0/33"), -1);
	assert_int_equal(parse("10.0.0.0/"), -1);
	assert_int_equal(parse("10.0.0.0/8x"), -1);
	assert_int_equal(parse("10.0.0.0/-1"), -1);
	assert_int_equal(parse("fd00::/129"), -1);
	assert_int_equal(parse("10.0.0"), -1);
	assert_int_equal(parse("10.0.0.1:80"), -1);	/* no ports here */
	assert_int_equal(parse("[::1]"), -1);
	assert_int_equal(parse("proxy.example"), -1);
	assert_int_equal(parse("::ffff:10.0.0.0/80"), -1);
	many[0] = '\0';
	for (i = 0; i <= TT_CLIENTADDR_MAX; i++)
		strcat(many, "10.0.0.1 ");
	assert_int_equal(parse(many), -1);
}

static void
test_untrusted_peer_is_the_client(void **state)
{
	(void)state;
	/* No proxies configured: the header is never read. */
	assert_string_equal(client("", "203.0.113.9", "1.2.3.4"),
	    "203.0.113.9");
	/* A peer not on the list is the client, whatever it says. */
	assert_string_equal(client("10.0.0.0/8", "203.0.113.9", "1.2.3.4"),
	    "203.0.113.9");
	assert_null(client("10.0.0.0/8", NULL, "1.2.3.4"));
}

static void
test_rightmost_untrusted_entry(void **state)
{
	(void)state;
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5", "198.51.100.7"),
	    "198.51.100.7");
	/* The client made up the left entries; the proxy appended the last. */
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "1.1.1.1, 2.2.2.2, 198.51.100.7"), "198.51.100.7");
	/* Trusted hops are walked past. */
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "1.1.1.1,198.51.100.7 ,10.1.2.3,\t10.9.9.9"), "198.51.100.7");
	/* All trusted: the leftmost. */
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "10.1.1.1, 10.2.2.2"), "10.1.1.1");
	/* No header, or an empty one: the peer. */
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5", NULL),
	    "10.0.0.5");
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5", ""), "10.0.0.5");
}

static void
test_garbage_ends_the_walk(void **state)
{
	(void)state;
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "1.1.1.1, not-an-address"), "10.0.0.5");
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "garbage, 10.3.3.3"), "10.3.3.3");
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5", "1.1.1.1,"),
	    "10.0.0.5");
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5", ",,,"),
	    "10.0.0.5");
}

static void
test_forms_and_canonical_text(void **state)
{
	(void)state;
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "198.51.100.7:4711"), "198.51.100.7");
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "[2001:DB8::1]:443"), "2001:db8::1");
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "2001:0db8:0000::0001"), "2001:db8::1");
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5", "[2001:db8::1]"),
	    "2001:db8::1");
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5",
	    "[2001:db8::1]x"), "10.0.0.5");
	/* An IPv4-mapped peer matches an IPv4 block, and is written as IPv4. */
	assert_string_equal(client("10.0.0.0/8", "::ffff:10.0.0.5",
	    "::ffff:198.51.100.7"), "198.51.100.7");
	assert_string_equal(client("fd00::/8", "fd00::1", "198.51.100.7"),
	    "198.51.100.7");
	assert_string_equal(client("fd00::/8", "fe80::1", "198.51.100.7"),
	    "fe80::1");
	/* Prefix edges. */
	assert_string_equal(client("10.0.0.0/31", "10.0.0.1", "1.2.3.4"),
	    "1.2.3.4");
	assert_string_equal(client("10.0.0.0/31", "10.0.0.2", "1.2.3.4"),
	    "10.0.0.2");
	assert_string_equal(client("192.0.2.7", "192.0.2.7", "1.2.3.4"),
	    "1.2.3.4");
	assert_string_equal(client("192.0.2.7", "192.0.2.8", "1.2.3.4"),
	    "192.0.2.8");
}

static void
test_hops_are_bounded(void **state)
{
	char	xff[64 * 12];
	size_t	i;

	(void)state;
	xff[0] = '\0';
	strcat(xff, "198.51.100.7");
	for (i = 0; i < 40; i++)
		strcat(xff, ",10.0.0.1");
	/* Past 32 hops the walk stops at the last address read. */
	assert_string_equal(client("10.0.0.0/8", "10.0.0.5", xff), "10.0.0.1");
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
		cmocka_unit_test(test_parse_lists),
		cmocka_unit_test(test_parse_refuses_typos),
		cmocka_unit_test(test_untrusted_peer_is_the_client),
		cmocka_unit_test(test_rightmost_untrusted_entry),
		cmocka_unit_test(test_garbage_ends_the_walk),
		cmocka_unit_test(test_forms_and_canonical_text),
		cmocka_unit_test(test_hops_are_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
