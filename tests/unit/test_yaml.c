/* test_yaml.c: unit tests for yaml.c (typing, trees, every refusal). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "yaml.h"
#include "testhelp.h"


/* Parses n bytes that must be accepted; returns the tree. */
static cJSON *
acceptn(const char *s, size_t n)
{
	char	 err[256] = "untouched";
	cJSON	*j = NULL;

	if (tt_yaml_parse(A, s, n, &j, err, sizeof(err)) != TT_OK)
		fail_msg("refused: %s", err);
	assert_non_null(j);
	return j;
}

/* Asserts that s parses to the tree spelled by the compact JSON want. */
static void
same(const char *s, const char *want)
{
	assert_string_equal(tt_json_print(A, acceptn(s, strlen(s))), want);
}

/* Asserts that n bytes are refused with exactly the message want. */
static void
refusen(const char *s, size_t n, const char *want)
{
	char	 err[256] = "untouched";
	cJSON	*j = (cJSON *)&j;

	assert_int_equal(tt_yaml_parse(A, s, n, &j, err, sizeof(err)),
	    TT_EINVAL);
	assert_null(j);
	assert_string_equal(err, want);
}

static void
refuse(const char *s, const char *want)
{
	refusen(s, strlen(s), want);
}

/* A heap string of n copies of unit (caller frees). */
static char *
repeat(const char *pre, const char *unit, size_t n, const char *post)
{
	size_t	 u = strlen(unit), p = strlen(pre), i;
	char	*s;

	s = malloc(p + u * n + strlen(post) + 1);
	assert_non_null(s);
	memcpy(s, pre, p);
	for (i = 0; i < n; i++)
		memcpy(s + p + i * u, unit, u);
	strcpy(s + p + u * n, post);
	return s;
}

/* Plain scalars typed by the YAML 1.2 core schema, and what stays text. */
static void
test_plain_scalars(void **state)
{
	(void)state;
	same("a: ~\nb: null\nc: Null\nd: NULL\ne:\n",
	    "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null}");
	same("[true, True, TRUE, false, False, FALSE]",
	    "[true,true,true,false,false,false]");
	same("[0, 42, -7, +3, 007, 3.14, .5, 5., 1e3, -1.5E-2, +.25e+2]",
	    "[0,42,-7,3,7,3.14,0.5,5,1000,-0.015,25]");
	/* Core schema only: no YAML 1.1 booleans, no hex/octal, no .inf. */
	same("[yes, no, on, off, y, n, nULL, tRUE, nil]",
	    "[\"yes\",\"no\",\"on\",\"off\",\"y\",\"n\",\"nULL\",\"tRUE\","
	    "\"nil\"]");
	same("[.inf, -.inf, .Inf, .nan, .NaN, 0x1f, 0o17, 1_000]",
	    "[\".inf\",\"-.inf\",\".Inf\",\".nan\",\".NaN\",\"0x1f\","
	    "\"0o17\",\"1_000\"]");
	same("[-, +, ., 1e, e5, 1.2.3, 1e5x, 1 2, '1', 1e999, -1e999]",
	    "[\"-\",\"+\",\".\",\"1e\",\"e5\",\"1.2.3\",\"1e5x\",\"1 2\","
	    "\"1\",\"1e999\",\"-1e999\"]");
	same("version: 1.5.7\nshort: 1.5\n",
	    "{\"version\":\"1.5.7\",\"short\":1.5}");
	same("- \n- ~\n- text with spaces  \n",
	    "[null,null,\"text with spaces\"]");
}

/* Quoted, block and tagged scalars are strings whatever they spell. */
static void
test_quoted_and_tagged(void **state)
{
	(void)state;
	same("a: \"true\"\nb: 'null'\nc: \"42\"\nd: ''\ne: \"\"\nf: '~'\n",
	    "{\"a\":\"true\",\"b\":\"null\",\"c\":\"42\",\"d\":\"\","
	    "\"e\":\"\",\"f\":\"~\"}");
	same("a: !!str true\nb: !!int 42\nc: ! 7\nd: !!null ~\n"
	    "e: !custom {x: 1}\nf: !!seq [1]\n",
	    "{\"a\":\"true\",\"b\":\"42\",\"c\":\"7\",\"d\":\"~\","
	    "\"e\":{\"x\":1},\"f\":[1]}");
	same("a: |\n  true\nb: >\n  folded\n  text\n",
	    "{\"a\":\"true\\n\",\"b\":\"folded text\\n\"}");
	same("s: \"tab\\there \\u00e9 \\x41 \\U0001F600\"\n",
	    "{\"s\":\"tab\\there \xc3\xa9 A \xf0\x9f\x98\x80\"}");
	/* Keys are their text: 1, true and ~ are keys, not values. */
	same("1: a\ntrue: b\n~: c\n'': d\n",
	    "{\"1\":\"a\",\"true\":\"b\",\"~\":\"c\",\"\":\"d\"}");
}

static void
test_nested(void **state)
{
	(void)state;
	same("a:\n  b:\n    - 1\n    - [2, {c: d}]\n  e: {f: [], g: {}}\n",
	    "{\"a\":{\"b\":[1,[2,{\"c\":\"d\"}]],\"e\":{\"f\":[],\"g\":{}}}}");
	same("- a\n- - b\n  - c\n- k: v\n  l: w\n",
	    "[\"a\",[\"b\",\"c\"],{\"k\":\"v\",\"l\":\"w\"}]");
	same("{a: 1, b: [x, y], c: {d: null}}",
	    "{\"a\":1,\"b\":[\"x\",\"y\"],\"c\":{\"d\":null}}");
	/* The same key in different mappings is fine. */
	same("a: {x: 1}\nb: {x: 2}\n", "{\"a\":{\"x\":1},\"b\":{\"x\":2}}");
	same("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87: \xf0\x9f\x98\x80\n",
	    "{\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\":\"\xf0\x9f\x98\x80\"}");
	same("\xef\xbb\xbf" "a: 1\r\nb: 2\r\n", "{\"a\":1,\"b\":2}");
	same("\xef\xbb\xbf" "- 1\n- 2\n", "[1,2]");
	same("%YAML 1.1\n---\na: 1\n...\n", "{\"a\":1}");
}

/* What .terrateam/config.yml looks like in a real repository. */
static void
test_terrateam_config(void **state)
{
	static const char conf[] =
	    "# .terrateam/config.yml\n"
	    "enabled: true\n"
	    "when_modified:\n"
	    "  file_patterns: [\"**/*.tf\", \"**/*.tfvars\"]\n"
	    "  autoplan: true\n"
	    "  autoapply: false\n"
	    "engine:\n"
	    "  name: terraform\n"
	    "  version: 1.5.7\n"
	    "dirs:\n"
	    "  ec2:\n"
	    "    tags: [aws, compute]\n"
	    "    workspaces:\n"
	    "      default: {}\n"
	    "      staging:\n"
	    "        tags: [staging]\n"
	    "  \"iam/policies\":\n"
	    "    when_modified:\n"
	    "      autoplan: false\n"
	    "stacks:\n"
	    "  names:\n"
	    "    network:\n"
	    "      tag_query: \"dir:network\"\n"
	    "    app:\n"
	    "      tag_query: \"dir:ec2 or dir:iam/policies\"\n"
	    "      rules:\n"
	    "        plan_after: [network]\n"
	    "        apply_after: [\"network\"]\n"
	    "workflows:\n"
	    "  - tag_query: \"dir:ec2\"\n"
	    "    plan:\n"
	    "      - type: init\n"
	    "      - type: plan\n"
	    "        extra_args: [\"-lock-timeout=60s\"]\n"
	    "    apply:\n"
	    "      - type: run\n"
	    "        cmd: ['echo', 'done']\n"
	    "        env:\n"
	    "          TF_LOG: DEBUG\n"
	    "          RETRIES: 3\n"
	    "cost_estimation:\n"
	    "  enabled: false\n"
	    "  currency: USD\n";
	cJSON	*j, *c;

	(void)state;
	j = acceptn(conf, strlen(conf));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j,
	    "enabled")));
	c = cJSON_GetObjectItemCaseSensitive(j, "engine");
	assert_string_equal(tt_json_string(c, "version"), "1.5.7");
	c = cJSON_GetObjectItemCaseSensitive(j, "dirs");
	assert_int_equal(cJSON_GetArraySize(c), 2);
	assert_string_equal(tt_json_print(A,
	    cJSON_GetObjectItemCaseSensitive(c, "ec2")),
	    "{\"tags\":[\"aws\",\"compute\"],\"workspaces\":{\"default\":{},"
	    "\"staging\":{\"tags\":[\"staging\"]}}}");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(c, "iam/policies"));
	c = cJSON_GetObjectItemCaseSensitive(j, "stacks");
	c = cJSON_GetObjectItemCaseSensitive(c, "names");
	assert_string_equal(tt_json_print(A, c),
	    "{\"network\":{\"tag_query\":\"dir:network\"},"
	    "\"app\":{\"tag_query\":\"dir:ec2 or dir:iam/policies\","
	    "\"rules\":{\"plan_after\":[\"network\"],"
	    "\"apply_after\":[\"network\"]}}}");
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j,
	    "workflows"), 0);
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "apply"),
	    0);
	assert_string_equal(tt_json_print(A, c),
	    "{\"type\":\"run\",\"cmd\":[\"echo\",\"done\"],"
	    "\"env\":{\"TF_LOG\":\"DEBUG\",\"RETRIES\":3}}");
}

/* Nothing to read is an empty object; a lone scalar is itself. */
static void
test_empty_and_roots(void **state)
{
	(void)state;
	same("", "{}");
	same("\n\n  \n", "{}");
	same("# only a comment\n", "{}");
	same("---\n", "{}");
	same("--- # comment\n...\n", "{}");
	same("\xef\xbb\xbf", "{}");
	same("- a\n- 2\n", "[\"a\",2]");
	same("hello", "\"hello\"");
	same("42", "42");
	same("~", "null");
	same("''", "\"\"");
	assert_int_equal(cJSON_GetArraySize(acceptn(NULL, 0)), 0);
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	refuse("a: b: c\n",
	    "line 1, column 5: mapping values are not allowed in this context");
	refuse("a: [1, 2\n",
	    "line 2, column 1: did not find expected ',' or ']' "
	    "(while parsing a flow sequence at line 1, column 4)");
	refuse("a: 'x\n",
	    "line 2, column 1: found unexpected end of stream "
	    "(while scanning a quoted scalar at line 1, column 4)");
	refuse("- a\nb: c\n",
	    "line 2, column 1: did not find expected '-' indicator "
	    "(while parsing a block collection at line 1, column 1)");
	refuse("key: value\n  bad: indent\n",
	    "line 2, column 6: mapping values are not allowed in this context");
	refuse("\ta: 1\n",
	    "line 1, column 1: found character that cannot start any token "
	    "(while scanning for the next token)");
	refuse("a: 1\r\nb: [\r\n",
	    "line 3, column 1: did not find expected node content "
	    "(while parsing a flow node)");
	refuse("a: \x01\n",
	    "line 1, column 4: control characters are not allowed");
	refuse("a: 1\nb: \xc3\xa9\x7f\n",
	    "line 2, column 5: control characters are not allowed");
	/* libyaml (YAML 1.1) ends lines at NEL, LS and PS too. */
	refuse("a: 1\xc2\x85" "b: c: d\n",
	    "line 2, column 5: mapping values are not allowed in this context");
	refuse("a: 1\xc2\x85" "b: \x01\n",
	    "line 2, column 4: control characters are not allowed");
	refuse("a: 1\xe2\x80\xa8\xe2\x80\xa9" "b: \x01\n",
	    "line 3, column 4: control characters are not allowed");
}

static void
test_multiple_documents(void **state)
{
	(void)state;
	refuse("a: 1\n---\nb: 2\n", "line 2, column 1: more than one document");
	refuse("---\na: 1\n...\n---\nb: 2\n",
	    "line 4, column 1: more than one document");
	refuse("---\n---\n", "line 2, column 1: more than one document");
	/* After "...", libyaml wants "---" before more content. */
	refuse("a: 1\n...\nb: 2\n",
	    "line 3, column 1: did not find expected <document start>");
}

/* Anchors and aliases are refused outright: no billion laughs. */
static void
test_anchors_and_aliases(void **state)
{
	static const char bomb[] =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

	(void)state;
	refuse(bomb, "line 1, column 4: anchors are not allowed");
	refuse("a: [*x]\n", "line 1, column 5: aliases are not allowed");
	refuse("a: *x\n", "line 1, column 4: aliases are not allowed");
	refuse("&m {a: 1}\n", "line 1, column 1: anchors are not allowed");
	refuse("x: 1\n&k a: 1\n", "line 2, column 1: anchors are not allowed");
	refuse("base: {a: 1}\nother:\n  <<: *base\n",
	    "line 3, column 7: aliases are not allowed");
	/* An & inside a scalar is only text. */
	same("a: b&c\nd: '&e'\n", "{\"a\":\"b&c\",\"d\":\"&e\"}");
}

static void
test_non_scalar_keys(void **state)
{
	(void)state;
	refuse("? [a]\n: b\n", "line 1, column 3: mapping key is not a scalar");
	refuse("{[a]: b}", "line 1, column 2: mapping key is not a scalar");
	refuse("x: 1\n? {a: 1}\n: c\n",
	    "line 2, column 3: mapping key is not a scalar");
}

static void
test_duplicate_keys(void **state)
{
	char	*s, *p;
	size_t	 i;

	(void)state;
	refuse("a: 1\nb: 2\na: 3\n",
	    "line 3, column 1: duplicate key (first at line 1, column 1)");
	refuse("{x: 1, x: 1}",
	    "line 1, column 8: duplicate key (first at line 1, column 2)");
	refuse("1: a\n'1': b\n",
	    "line 2, column 1: duplicate key (first at line 1, column 1)");
	refuse("top:\n  k: 1\n  j: 2\n  k: 3\n",
	    "line 4, column 3: duplicate key (first at line 2, column 3)");
	/* The earliest second occurrence in the mapping is named. */
	refuse("b: 1\na: 1\nb: 2\na: 2\nb: 3\n",
	    "line 3, column 1: duplicate key (first at line 1, column 1)");
	refuse("a: 1\r\nb: 2\r\na: 3\r\n",
	    "line 3, column 1: duplicate key (first at line 1, column 1)");

	/* A wide mapping (sorted, not compared pairwise) with a late twin. */
	s = malloc(30000 * 16 + 32);
	assert_non_null(s);
	p = s;
	for (i = 0; i < 30000; i++)
		p += sprintf(p, "k%05zu: %zu\n", i, i);
	assert_int_equal(cJSON_GetArraySize(acceptn(s, strlen(s))), 30000);
	strcpy(p, "k00017: again\n");
	refuse(s,
	    "line 30001, column 1: duplicate key (first at line 18, column 1)");
	free(s);
}

static void
test_depth(void **state)
{
	char	*s;
	size_t	 i, n;

	(void)state;
	s = repeat("", "[", TT_YAML_MAX_DEPTH, "");
	n = strlen(s);
	s = realloc(s, 2 * n + 1);
	assert_non_null(s);
	for (i = 0; i < n; i++)
		s[n + i] = ']';
	s[2 * n] = '\0';
	assert_int_equal(cJSON_GetArraySize(acceptn(s, strlen(s))), 1);
	free(s);
	s = repeat("", "[", TT_YAML_MAX_DEPTH + 1, "");
	refuse(s, "line 1, column 65: nested deeper than 64 levels");
	free(s);

	/* The bomb: a hundred thousand openings, refused at the 65th. */
	s = repeat("", "[", 100000, "");
	refuse(s, "line 1, column 65: nested deeper than 64 levels");
	free(s);
	s = repeat("", "{a: ", 100000, "");
	refuse(s, "line 1, column 257: nested deeper than 64 levels");
	free(s);
	s = repeat("", "- ", 100000, "x\n");
	refuse(s, "line 1, column 129: nested deeper than 64 levels");
	free(s);

	/* Block mappings, one level per line. */
	s = malloc(64 * 1024);
	assert_non_null(s);
	for (n = 0, i = 0; i < TT_YAML_MAX_DEPTH; i++)
		n += (size_t)sprintf(s + n, "%*sk:\n", (int)(2 * i), "");
	sprintf(s + n, "%*sv\n", (int)(2 * i), "");
	acceptn(s, strlen(s));
	sprintf(s + n, "%*sk: v\n", (int)(2 * i), "");
	refuse(s, "line 65, column 129: nested deeper than 64 levels");
	free(s);
}

static void
test_node_count(void **state)
{
	char	*s;

	(void)state;
	/* The array is a node too: 1 + 99999 items is the limit. */
	s = repeat("[", "0,", TT_YAML_MAX_NODES - 1, "]");
	assert_int_equal(cJSON_GetArraySize(acceptn(s, strlen(s))),
	    TT_YAML_MAX_NODES - 1);
	free(s);
	s = repeat("[", "0,", TT_YAML_MAX_NODES, "]");
	refuse(s, "line 1, column 200000: more than 100000 nodes");
	free(s);
	/* Keys count: {} + 50000 pairs is 100001. */
	s = repeat("{", "a: [],", 50000, "}");
	refuse(s, "line 1, column 299999: more than 100000 nodes");
	free(s);
}

static void
test_size_limit(void **state)
{
	char	*s;

	(void)state;
	/* Exactly the limit is read; one byte more is not. */
	s = repeat("a: ", "x", TT_YAML_MAX_BYTES - 4, "\n");
	assert_int_equal(strlen(s), TT_YAML_MAX_BYTES);
	assert_int_equal(strlen(tt_json_string(acceptn(s, strlen(s)), "a")),
	    TT_YAML_MAX_BYTES - 4);
	free(s);
	s = repeat("a: ", "x", TT_YAML_MAX_BYTES - 3, "\n");
	refuse(s, "line 1, column 1: input is larger than 524288 bytes");
	free(s);
	s = repeat("", "- item\n", 600 * 1024 / 7, "");
	refuse(s, "line 1, column 1: input is larger than 524288 bytes");
	free(s);
}

static void
test_nul(void **state)
{
	(void)state;
	refusen("a: b\0c\n", 7, "line 1, column 5: NUL byte");
	refusen("a: 1\nb: \0", 9, "line 2, column 4: NUL byte");
	refusen("\0", 1, "line 1, column 1: NUL byte");
	refusen("a: 1\r\nb: 2\r\nc: \0", 16, "line 3, column 4: NUL byte");
	/* Spelled as an escape, it would cut the C string short. */
	refuse("a: \"x\\0y\"\n", "line 1, column 4: NUL byte in a scalar");
	refuse("a: \"\\u0000\"\n", "line 1, column 4: NUL byte in a scalar");
	refuse("\"\\x00\": 1\n", "line 1, column 1: NUL byte in a scalar");
	/* The length given is what is read, not up to a NUL. */
	same("a: 1", "{\"a\":1}");
	assert_int_equal(cJSON_GetArraySize(acceptn("a: 1\nb: 2", 4)), 1);
}

static void
test_utf8(void **state)
{
	(void)state;
	refuse("a: \xff\n", "line 1, column 4: invalid UTF-8");
	refuse("\xc3\xa9t\xc3\xa9: \xc3(\n", "line 1, column 6: invalid UTF-8");
	refuse("a: 1\nb: \xc0\xaf\n", "line 2, column 4: invalid UTF-8");
	refuse("a: \xed\xa0\x80\n", "line 1, column 4: invalid UTF-8");
	refuse("a: \xf4\x90\x80\x80\n", "line 1, column 4: invalid UTF-8");
	refuse("a: \xe2\x82", "line 1, column 4: invalid UTF-8");
	refuse("a: \x80", "line 1, column 4: invalid UTF-8");
	refuse("\xef\xbb\xbf" "a: \xff", "line 1, column 4: invalid UTF-8");
	refuse("\xef\xbb\xbf" "a: 1\nb: \x01",
	    "line 2, column 4: control characters are not allowed");
	/* UTF-16 (which libyaml would decode) is not UTF-8. */
	refusen("\xff\xfe" "a\0:\0", 6, "line 1, column 1: invalid UTF-8");
	refusen("\xfe\xff\0a\0:", 6, "line 1, column 1: invalid UTF-8");
}

/* The message is cut to the buffer; a missing buffer is no crash. */
static void
test_error_buffer(void **state)
{
	char	 err[8];
	cJSON	*j = NULL;

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(tt_yaml_parse(A, "a: *x", 5, &j, err, sizeof(err)),
	    TT_EINVAL);
	assert_string_equal(err, "line 1,");
	assert_int_equal(tt_yaml_parse(A, "a: *x", 5, &j, NULL, 0),
	    TT_EINVAL);
	assert_null(j);
	memset(err, 'x', sizeof(err));
	assert_int_equal(tt_yaml_parse(A, "a: 1", 4, &j, err, sizeof(err)),
	    TT_OK);
	assert_string_equal(err, "");
}

/* Many parses into one arena, reset between: nothing is left over. */
static void
test_arena_owns(void **state)
{
	cJSON	*j;
	char	 err[64];
	int	 i;

	(void)state;
	for (i = 0; i < 100; i++) {
		assert_int_equal(tt_yaml_parse(A, "a: [1, {b: c}]", 14, &j,
		    err, sizeof(err)), TT_OK);
		assert_int_equal(tt_yaml_parse(A, "a: [1, {b: c", 12, &j,
		    err, sizeof(err)), TT_EINVAL);
		tt_arena_reset(A);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_scalars),
		cmocka_unit_test(test_quoted_and_tagged),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_terrateam_config),
		cmocka_unit_test(test_empty_and_roots),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_anchors_and_aliases),
		cmocka_unit_test(test_non_scalar_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_node_count),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_arena_owns),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
