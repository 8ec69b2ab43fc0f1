/* test_json.c: unit tests for json.c (the body parser's rules, getters). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "testhelp.h"


/* Parses n bytes; *why is left for the caller to inspect. */
static cJSON *
parsen(const char *s, size_t n, const char **why)
{
	*why = NULL;
	return tt_json_parse(A, s, n, why);
}

static cJSON *
parse(const char *s, const char **why)
{
	return parsen(s, strlen(s), why);
}

/* Asserts that s is rejected with a message. */
static void
reject(const char *s, size_t n)
{
	const char	*why;

	assert_null(parsen(s, n, &why));
	assert_non_null(why);
	assert_true(why[0] != '\0');
}

/* depth nested arrays or objects around 1: "[[1]]" or {"a":{"a":1}}. */
static char *
nested(int depth, int objects)
{
	struct tt_buf	 b = { 0 };
	char		*s;
	int		 i;

	for (i = 0; i < depth; i++)
		tt_buf_puts(&b, objects ? "{\"a\":" : "[");
	tt_buf_puts(&b, "1");
	for (i = 0; i < depth; i++)
		tt_buf_puts(&b, objects ? "}" : "]");
	s = tt_arena_strdup(A, b.p);
	tt_buf_free(&b);
	return s;
}

static void
test_accepts_valid_documents(void **state)
{
	const char	*why;
	cJSON		*j;

	(void)state;
	j = parse("{\"name\":\"x\",\"n\":[1,2.5,-3e2,true,false,null],"
	    "\"o\":{}}", &why);
	assert_non_null(j);
	assert_true(cJSON_IsObject(j));
	assert_string_equal(tt_json_print(A, j),
	    "{\"name\":\"x\",\"n\":[1,2.5,-300,true,false,null],\"o\":{}}");
	assert_non_null(parse("[]", &why));
	assert_non_null(parse("\"s\"", &why));
	assert_non_null(parse("0", &why));
	assert_non_null(parse("null", &why));
	assert_non_null(parse(" \t\r\n{ \"a\" : 1 }\r\n ", &why));
	j = parse("{\"s\":\"\\u00e9\\ud83d\\ude00\xc3\xa9\"}", &why);
	assert_non_null(j);
	assert_string_equal(tt_json_string(j, "s"),
	    "\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9");
	/* Same-named members in different objects are not duplicates. */
	assert_non_null(parse("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", &why));
	assert_non_null(parse("[{\"a\":1},{\"a\":1}]", &why));
}

static void
test_rejects_empty_and_truncated(void **state)
{
	const char	*why;

	(void)state;
	assert_null(parsen("", 0, &why));
	assert_string_equal(why, "empty body");
	reject(" ", 1);
	reject("{", 1);
	reject("{\"a\"", 4);
	reject("{\"a\":", 5);
	reject("{\"a\":1", 6);
	reject("{\"1\":1,", 7);		/* CVE-2023-53154 shape */
	reject("[1,2", 4);
	reject("\"abc", 4);
	reject("tru", 3);
	reject("-", 1);
	/* A valid document cut short by the length. */
	reject("{\"a\":1}", 6);
}

/*
 * A leading UTF-8 byte order mark: cJSON would skip it and parse the rest,
 * so the parser refuses it first, saying what it is.
 */
static void
test_rejects_byte_order_mark(void **state)
{
	const char	*why;

	(void)state;
	assert_null(parse("\xef\xbb\xbf{\"a\":1}", &why));
	assert_non_null(strstr(why, "byte order mark (U+FEFF)"));
	assert_null(parse("\xef\xbb\xbf", &why));
	assert_non_null(strstr(why, "byte order mark"));
	assert_null(parse("\xef\xbb\xbf\"s\"", &why));
	assert_non_null(strstr(why, "byte order mark"));
	/* Not a mark: a lone or cut-short sequence is invalid UTF-8. */
	assert_null(parse("\xef\xbb{}", &why));
	assert_string_equal(why, "body is not valid UTF-8");
	/* U+FEFF inside a string is just a character. */
	assert_non_null(parse("\"\xef\xbb\xbf\"", &why));
	/* After whitespace it is no whitespace to JSON: invalid. */
	reject(" \xef\xbb\xbf{}", 6);
}

static void
test_rejects_invalid_utf8(void **state)
{
	const char	*why;

	(void)state;
	assert_null(parse("{\"a\":\"\xff\"}", &why));
	assert_string_equal(why, "body is not valid UTF-8");
	reject("\"\xc0\x80\"", 4);
	reject("\"\xed\xa0\x80\"", 5);
	reject("\"\xf4\x90\x80\x80\"", 6);
	reject("{\"\xe2\x82\":1}", 7);
}

static void
test_rejects_nul_escape_but_not_escaped_backslash(void **state)
{
	const char	*why;
	cJSON		*j;

	(void)state;
	assert_null(parse("\"\\u0000\"", &why));
	assert_string_equal(why, "the \\u0000 escape is not allowed");
	reject("{\"k\":\"foo\\u0000bar\"}", 20);
	reject("{\"a\\u0000b\":1}", 14);
	/* An escaped backslash, then \u0000: still the escape. */
	reject("\"\\\\\\u0000\"", 10);

	/* "\\u0000" is a backslash and the text u0000: allowed. */
	j = parse("{\"k\":\"\\\\u0000\"}", &why);
	assert_non_null(j);
	assert_string_equal(tt_json_string(j, "k"), "\\u0000");
	/* \u0000 outside a string is not an escape (and not JSON). */
	reject("\\u0000", 6);
	/* Other \u escapes are fine. */
	j = parse("{\"k\":\"\\u0001\\u0041\"}", &why);
	assert_non_null(j);
	assert_string_equal(tt_json_string(j, "k"), "\x01" "A");
}

static void
test_rejects_raw_nul_byte(void **state)
{
	/*
	 * A raw NUL inside a string truncates it exactly as \u0000 would
	 * (cJSON copies up to the closing quote into a C string), and
	 * tt_valid_utf8 accepts U+0000. Found by this test: accepted today,
	 * with k = "foo" and a member called "k" respectively.
	 */
	static const char	value[] = "{\"k\":\"foo\0bar\"}";
	static const char	name[] = "{\"k\0x\":1}";
	const char		*why;
	cJSON			*j;

	(void)state;
	j = parsen(value, sizeof(value) - 1, &why);
	if (j != NULL)
		print_error("# accepted; k = \"%s\"\n", tt_json_string(j, "k"));
	assert_null(j);
	j = parsen(name, sizeof(name) - 1, &why);
	assert_null(j);
}

static void
test_depth_limit(void **state)
{
	const char	*why;

	(void)state;
	assert_int_equal(TT_JSON_MAX_DEPTH, 64);
	assert_non_null(parse(nested(64, 0), &why));
	assert_null(parse(nested(65, 0), &why));
	assert_string_equal(why, "JSON nested too deeply");
	assert_non_null(parse(nested(64, 1), &why));
	assert_null(parse(nested(65, 1), &why));
	assert_string_equal(why, "JSON nested too deeply");
	assert_null(parse(nested(5000, 0), &why));
	/* Brackets inside strings do not count. */
	assert_non_null(parse("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"{{{{{{{{{{{{{{{{{{"
	    "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\"]",
	    &why));
	/* Mixed: 63 arrays and one object, then 64 and one. */
	{
		struct tt_buf	b = { 0 };
		int		i;

		for (i = 0; i < 63; i++)
			tt_buf_puts(&b, "[");
		tt_buf_puts(&b, "{}");
		for (i = 0; i < 63; i++)
			tt_buf_puts(&b, "]");
		assert_non_null(parse(b.p, &why));
		tt_buf_clear(&b);
		for (i = 0; i < 64; i++)
			tt_buf_puts(&b, "[");
		tt_buf_puts(&b, "{}");
		for (i = 0; i < 64; i++)
			tt_buf_puts(&b, "]");
		assert_null(parse(b.p, &why));
		tt_buf_free(&b);
	}
}

static void
test_rejects_trailing_bytes(void **state)
{
	(void)state;
	reject("{}x", 3);
	reject("{} {}", 5);
	reject("[1]]", 4);
	reject("1 2", 3);
	reject("{}\0x", 4);
	reject("\"a\"\"b\"", 6);
}

static void
test_rejects_duplicate_members(void **state)
{
	const char	*why;

	(void)state;
	assert_null(parse("{\"a\":1,\"a\":2}", &why));
	assert_string_equal(why, "duplicate member name");
	assert_null(parse("{\"a\":1,\"b\":2,\"c\":3,\"b\":4}", &why));
	assert_string_equal(why, "duplicate member name");
	/* Nested, inside arrays, and spelled with an escape. */
	assert_null(parse("{\"o\":{\"x\":1,\"y\":2,\"x\":3}}", &why));
	assert_string_equal(why, "duplicate member name");
	assert_null(parse("[1,[{\"k\":null,\"k\":null}]]", &why));
	assert_string_equal(why, "duplicate member name");
	assert_null(parse("{\"a\":1,\"\\u0061\":2}", &why));
	/* Case matters: these are two names. */
	assert_non_null(parse("{\"a\":1,\"A\":2}", &why));
}

static void
test_rejects_non_finite_numbers(void **state)
{
	const char	*why;
	cJSON		*j;

	(void)state;
	assert_null(parse("1e400", &why));
	assert_string_equal(why, "number out of range");
	assert_null(parse("{\"n\":-1e400}", &why));
	assert_string_equal(why, "number out of range");
	assert_null(parse("[0,[1e999]]", &why));
	reject("NaN", 3);
	reject("Infinity", 8);
	reject("-Infinity", 9);
	j = parse("1.5e308", &why);
	assert_non_null(j);
	assert_non_null(parse("1e-400", &why));	/* underflow is finite */
}

static void
test_other_syntax_errors(void **state)
{
	(void)state;
	reject("[1,2,]", 6);
	reject("{\"a\":1,}", 8);
	reject("{'a':1}", 7);
	reject("{a:1}", 5);
	reject("[\"\\x41\"]", 8);
	reject("\"\\ud800\"", 8);		/* lone surrogate escape */
	reject("/* c */ {}", 10);
}

static void
test_string_getter_is_case_sensitive(void **state)
{
	const char	*why;
	cJSON		*j;

	(void)state;
	j = parse("{\"Name\":\"upper\",\"n\":1,\"s\":\"\",\"x\":null}", &why);
	assert_non_null(j);
	assert_string_equal(tt_json_string(j, "Name"), "upper");
	assert_null(tt_json_string(j, "name"));
	assert_null(tt_json_string(j, "NAME"));
	assert_string_equal(tt_json_string(j, "s"), "");
	assert_null(tt_json_string(j, "n"));		/* not a string */
	assert_null(tt_json_string(j, "x"));
	assert_null(tt_json_string(j, "missing"));
	j = parse("{\"name\":\"lower\"}", &why);
	assert_null(tt_json_string(j, "Name"));
	assert_string_equal(tt_json_string(j, "name"), "lower");
}

static void
test_int64_getter(void **state)
{
	const char	*why;
	cJSON		*j;
	int64_t		 v;

	(void)state;
	j = parse("{\"i\":42,\"neg\":-7,\"f\":1.5,\"e\":1e2,\"z\":-0,"
	    "\"s\":\"42\",\"b\":true,"
	    "\"maxm1\":9007199254740991,\"over\":9007199254740994,"
	    "\"big\":1e19,\"tiny\":1e-300,\"I\":1}", &why);
	assert_non_null(j);

	v = 0;
	assert_int_equal(tt_json_int64(j, "i", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(tt_json_int64(j, "neg", -10, 10, &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(tt_json_int64(j, "e", 0, 1000, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(tt_json_int64(j, "z", 0, 1, &v), 0);
	assert_int_equal(v, 0);

	/* Bounds are inclusive. */
	assert_int_equal(tt_json_int64(j, "i", 42, 42, &v), 0);
	assert_int_equal(tt_json_int64(j, "i", 43, 100, &v), -1);
	assert_int_equal(tt_json_int64(j, "i", 0, 41, &v), -1);
	assert_int_equal(tt_json_int64(j, "neg", 0, 10, &v), -1);

	/* Non-integral, wrong type, missing, wrong case. */
	assert_int_equal(tt_json_int64(j, "f", 0, 100, &v), -1);
	assert_int_equal(tt_json_int64(j, "tiny", -1, 1, &v), -1);
	assert_int_equal(tt_json_int64(j, "s", 0, 100, &v), -1);
	assert_int_equal(tt_json_int64(j, "b", 0, 100, &v), -1);
	assert_int_equal(tt_json_int64(j, "nope", 0, 100, &v), -1);
	assert_int_equal(tt_json_int64(j, "i", 0, 100, &v), 0);
	assert_int_equal(tt_json_int64(j, "I", 0, 100, &v), 0);
	assert_int_equal(v, 1);

	/*
	 * Exact integers below 2^53. 2^53 itself is left out: a double
	 * cannot tell it from 2^53 + 1 (see the next test).
	 */
	assert_int_equal(tt_json_int64(j, "maxm1", 0, INT64_MAX, &v), 0);
	assert_int_equal(v, 9007199254740991LL);
	assert_int_equal(tt_json_int64(j, "over", 0, INT64_MAX, &v), -1);
	assert_int_equal(tt_json_int64(j, "big", 0, INT64_MAX, &v), -1);
}

static void
test_int64_getter_never_returns_a_rounded_value(void **state)
{
	/*
	 * 2^53 + 1 is not a double; cJSON rounds it to 2^53, which passes
	 * the "<= 2^53" check, so the caller gets a different number than
	 * the client sent. Found by this test: tt_json_int64 returns 0 with
	 * v = 9007199254740992 for the input 9007199254740993.
	 */
	const char	*why;
	cJSON		*j;
	int64_t		 v = 0;
	int		 rc;

	(void)state;
	j = parse("{\"id\":9007199254740993}", &why);
	assert_non_null(j);
	rc = tt_json_int64(j, "id", 0, INT64_MAX, &v);
	if (rc == 0)
		print_error("# accepted as %lld\n", (long long)v);
	assert_true(rc != 0 || v == 9007199254740993LL);
}

static void
test_print_output_parses_again(void **state)
{
	/*
	 * What tt_json_print writes, tt_json_parse must read back. cJSON
	 * prints DBL_MAX as 1.79769313486232e+308 (15 digits, rounded up:
	 * its own round-trip check compares with a relative epsilon, and
	 * inf - DBL_MAX <= inf * eps), which parses to inf and is refused
	 * as "number out of range". Found by fuzz_json.
	 */
	static const char *const docs[] = {
		"{\"a\":[1,-2.5,1e+300,\"\\u0001\\\"\"],\"b\":{}}",
		"1.797693134862315e308",
		"[1.7976931348623157e308]",
		"[-1.7976931348623157e308]",
	};
	const char	*why, *out;
	cJSON		*j;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		j = parse(docs[i], &why);
		assert_non_null(j);
		out = tt_json_print(A, j);
		j = parse(out, &why);
		if (j == NULL)
			print_error("# %s printed as %s: %s\n", docs[i], out,
			    why);
		assert_non_null(j);
		assert_string_equal(tt_json_print(A, j), out);
	}
}

static void
test_own_and_reset_free_trees(void **state)
{
	cJSON	*j;

	(void)state;
	j = tt_json_own(A, cJSON_CreateObject());
	cJSON_AddNumberToObject(j, "n", 3);
	assert_string_equal(tt_json_print(A, j), "{\"n\":3}");
	/* The reset deletes it; valgrind/ASan would report otherwise. */
	tt_arena_reset(A);
}

int main(void);

/* String literals written straight into a buffer, and stored JSON. */
static void
test_buf_string_and_stored(void **state)
{
	struct tt_buf	 b = { 0 };
	const char	*why;
	cJSON		*j;

	(void)state;
	tt_json_buf_string(&b, "plain/dir");
	tt_json_buf_string(&b, "q\"b\\s\n\x01\x1f \xc3\xa9");
	tt_json_buf_string(&b, "");
	assert_string_equal(b.p, "\"plain/dir\"\"q\\\"b\\\\s\\u000a"
	    "\\u0001\\u001f \xc3\xa9\"\"\"");
	tt_buf_clear(&b);
	tt_buf_puts(&b, "[");
	tt_json_buf_string(&b, "a\"\\\t\x7f");
	tt_buf_puts(&b, "]");
	assert_non_null(j = tt_json_parse(A, b.p, b.n, &why));
	assert_string_equal(cJSON_GetArrayItem(j, 0)->valuestring,
	    "a\"\\\t\x7f");
	tt_buf_free(&b);

	/* Stored JSON: cJSON's syntax only (duplicates are the writer's). */
	assert_non_null(j = tt_json_parse_stored(A, "{\"a\":1,\"a\":2}",
	    13));
	assert_null(tt_json_parse_stored(A, "{\"a\":", 5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_valid_documents),
		cmocka_unit_test(test_rejects_empty_and_truncated),
		cmocka_unit_test(test_rejects_byte_order_mark),
		cmocka_unit_test(test_rejects_invalid_utf8),
		cmocka_unit_test(
		    test_rejects_nul_escape_but_not_escaped_backslash),
		cmocka_unit_test(test_rejects_raw_nul_byte),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_rejects_trailing_bytes),
		cmocka_unit_test(test_rejects_duplicate_members),
		cmocka_unit_test(test_rejects_non_finite_numbers),
		cmocka_unit_test(test_other_syntax_errors),
		cmocka_unit_test(test_string_getter_is_case_sensitive),
		cmocka_unit_test(test_int64_getter),
		cmocka_unit_test(
		    test_int64_getter_never_returns_a_rounded_value),
		cmocka_unit_test(test_print_output_parses_again),
		cmocka_unit_test(test_own_and_reset_free_trees),
		cmocka_unit_test(test_buf_string_and_stored),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
