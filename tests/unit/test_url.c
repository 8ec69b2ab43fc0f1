/* test_url.c: unit tests for url.c (percent-decoding, query lookup). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "url.h"
#include "testhelp.h"


/* Decodes a C string; NULL on a malformed escape. */
static const char *
dec(const char *s, int plus_space, size_t *len)
{
	size_t	 n = (size_t)-1;
	char	*out;

	out = tt_url_decode(A, s, strlen(s), plus_space, &n);
	if (out != NULL && len != NULL)
		*len = n;
	return out;
}

static void
test_decode_plain_and_escapes(void **state)
{
	size_t	n;

	(void)state;
	assert_string_equal(dec("", 0, &n), "");
	assert_int_equal(n, 0);
	assert_string_equal(dec("abc", 0, &n), "abc");
	assert_int_equal(n, 3);
	assert_string_equal(dec("a%20b", 0, &n), "a b");
	assert_int_equal(n, 3);
	assert_string_equal(dec("%2f%2F", 0, NULL), "//");
	assert_string_equal(dec("%C3%A9", 0, &n), "\xc3\xa9");
	assert_int_equal(n, 2);
	assert_string_equal(dec("%7e%7E", 0, NULL), "~~");
	assert_string_equal(dec("%25", 0, NULL), "%");
}

static void
test_decode_happens_once(void **state)
{
	(void)state;
	assert_string_equal(dec("%252F", 0, NULL), "%2F");
	assert_string_equal(dec("%2525", 0, NULL), "%25");
	assert_string_equal(dec("a%25zz", 0, NULL), "a%zz");
}

static void
test_decode_rejects_bad_escapes(void **state)
{
	(void)state;
	assert_null(dec("%", 0, NULL));
	assert_null(dec("%4", 0, NULL));
	assert_null(dec("a%4", 0, NULL));
	assert_null(dec("%zz", 0, NULL));
	assert_null(dec("%4g", 0, NULL));
	assert_null(dec("%g4", 0, NULL));
	assert_null(dec("ok%", 0, NULL));
	assert_null(dec("%%41", 0, NULL));
	assert_null(dec("%-1", 0, NULL));
	assert_null(dec("% 1", 0, NULL));
	/* The length bounds the input: "%41" cut after two bytes. */
	{
		size_t	n;

		assert_null(tt_url_decode(A, "%41", 2, 0, &n));
		assert_non_null(tt_url_decode(A, "%41", 3, 0, &n));
		assert_int_equal(n, 1);
	}
}

static void
test_decode_plus_space(void **state)
{
	(void)state;
	assert_string_equal(dec("a+b", 1, NULL), "a b");
	assert_string_equal(dec("a+b", 0, NULL), "a+b");
	assert_string_equal(dec("%2B", 1, NULL), "+");
	assert_string_equal(dec("++", 1, NULL), "  ");
}

static void
test_decode_embedded_nul_is_visible_in_length(void **state)
{
	const char	*s;
	size_t		 n;

	(void)state;
	s = dec("ab%00cd", 0, &n);
	assert_non_null(s);
	assert_int_equal(n, 5);
	assert_int_equal(strlen(s), 2);
	assert_true(n > strlen(s));
	assert_memory_equal(s, "ab\0cd", 6);
}

static const char *
q(const char *query, const char *name, unsigned nth, int *bad)
{
	*bad = -1;
	return tt_url_query(A, query, name, nth, bad);
}

static void
test_query_finds_values(void **state)
{
	int	bad;

	(void)state;
	assert_string_equal(q("a=1&b=2", "a", 0, &bad), "1");
	assert_int_equal(bad, 0);
	assert_string_equal(q("a=1&b=2", "b", 0, &bad), "2");
	assert_string_equal(q("a=1&b=", "b", 0, &bad), "");
	assert_string_equal(q("x=a+b%21", "x", 0, &bad), "a b!");
	assert_string_equal(q("x=1=2", "x", 0, &bad), "1=2");
	assert_int_equal(bad, 0);
	/* Names are exact: no prefix or case match. */
	assert_null(q("ab=1", "a", 0, &bad));
	assert_null(q("A=1", "a", 0, &bad));
	assert_string_equal(q("ab=1&a=2", "a", 0, &bad), "2");
}

static void
test_query_repeated_names_by_index(void **state)
{
	const char	*qs = "t=one&u=x&t=two&t=three";
	int		 bad;

	(void)state;
	assert_string_equal(q(qs, "t", 0, &bad), "one");
	assert_string_equal(q(qs, "t", 1, &bad), "two");
	assert_string_equal(q(qs, "t", 2, &bad), "three");
	assert_null(q(qs, "t", 3, &bad));
	assert_int_equal(bad, 0);
	assert_string_equal(q(qs, "u", 0, &bad), "x");
	assert_null(q(qs, "u", 1, &bad));
}

static void
test_query_bare_key_and_missing(void **state)
{
	int	bad;

	(void)state;
	assert_string_equal(q("flag&a=1", "flag", 0, &bad), "");
	assert_int_equal(bad, 0);
	assert_string_equal(q("a=1&flag", "flag", 0, &bad), "");
	assert_null(q("a=1", "b", 0, &bad));
	assert_int_equal(bad, 0);
	assert_null(q("", "a", 0, &bad));
	assert_int_equal(bad, 0);
	assert_null(q(NULL, "a", 0, &bad));
	assert_int_equal(bad, 0);
	assert_null(q("&&&", "a", 0, &bad));
	assert_string_equal(q("&&a=1&&", "a", 0, &bad), "1");
	/* The empty name matches an empty key. */
	assert_string_equal(q("=v&a=1", "", 0, &bad), "v");
}

static void
test_query_malformed_value_sets_bad(void **state)
{
	int	bad;

	(void)state;
	assert_null(q("a=%zz", "a", 0, &bad));
	assert_int_equal(bad, 1);
	assert_null(q("a=%4", "a", 0, &bad));
	assert_int_equal(bad, 1);
	assert_null(q("a=x%00y", "a", 0, &bad));
	assert_int_equal(bad, 1);
	/* Only the value asked for is judged. */
	assert_string_equal(q("a=%zz&b=ok", "b", 0, &bad), "ok");
	assert_int_equal(bad, 0);
	assert_string_equal(q("a=ok&a=%zz", "a", 0, &bad), "ok");
	assert_int_equal(bad, 0);
	assert_null(q("a=ok&a=%zz", "a", 1, &bad));
	assert_int_equal(bad, 1);
}

static void
test_query_encoded_names(void **state)
{
	int	bad;

	(void)state;
	assert_string_equal(q("%61=1", "a", 0, &bad), "1");
	assert_string_equal(q("my+key=1", "my key", 0, &bad), "1");
	assert_string_equal(q("a%26b=1", "a&b", 0, &bad), "1");
	assert_string_equal(q("a%3Db=1", "a=b", 0, &bad), "1");
	/* A name with a NUL or a bad escape never matches. */
	assert_null(q("a%00=1", "a", 0, &bad));
	assert_int_equal(bad, 0);
	assert_null(q("%zz=1", "%zz", 0, &bad));
	assert_int_equal(bad, 0);
}

static void
test_encode_round_trips(void **state)
{
	const char	*s = "a b/c?d=e&f+\xc3\xa9~-._";
	char		*e;
	size_t		 n;

	(void)state;
	e = tt_url_encode(A, s);
	assert_string_equal(e,
	    "a%20b%2Fc%3Fd%3De%26f%2B%C3%A9~-._");
	assert_string_equal(tt_url_decode(A, e, strlen(e), 1, &n), s);
	assert_string_equal(tt_url_encode(A, ""), "");
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_plain_and_escapes),
		cmocka_unit_test(test_decode_happens_once),
		cmocka_unit_test(test_decode_rejects_bad_escapes),
		cmocka_unit_test(test_decode_plus_space),
		cmocka_unit_test(test_decode_embedded_nul_is_visible_in_length),
		cmocka_unit_test(test_query_finds_values),
		cmocka_unit_test(test_query_repeated_names_by_index),
		cmocka_unit_test(test_query_bare_key_and_missing),
		cmocka_unit_test(test_query_malformed_value_sets_bad),
		cmocka_unit_test(test_query_encoded_names),
		cmocka_unit_test(test_encode_round_trips),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
