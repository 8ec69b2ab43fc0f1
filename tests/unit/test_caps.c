/* test_caps.c: unit tests for caps.c (validation, membership, subsets). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "caps.h"

static cJSON *
parse(const char *s)
{
	cJSON	*j = cJSON_Parse(s);

	assert_non_null(j);
	return j;
}

static void
test_valid_lists(void **state)
{
	const char	*why;
	cJSON		*j;
	size_t		 i;
	static const char *const good[] = {
		"[]",
		"[\"kv_store_read\",\"kv_store_write\",\"access_token_create\"]",
		"[\"kv_store_system_read\",\"kv_store_system_write\"]",
		"[{\"name\":\"installation_id\",\"id\":\"12345\"}]",
		"[{\"id\":\"1\",\"name\":\"installation_id\"},"
		    "{\"name\":\"installation_id\",\"id\":\"2\"}]",
	};
	static const char *const bad[] = {
		"{}", "\"kv_store_read\"", "[1]", "[null]",
		"[\"KV_STORE_READ\"]", "[\"kv_store_read \"]",
		"[\"access_token_refresh\"]",
		"[\"kv_store_read\",\"kv_store_read\"]",
		"[{\"name\":\"installation_id\",\"id\":12345}]",
		"[{\"name\":\"installation_id\",\"id\":\"012\"}]",
		"[{\"name\":\"installation_id\",\"id\":\"-1\"}]",
		"[{\"name\":\"installation_id\",\"id\":\"\"}]",
		"[{\"name\":\"installation_id\"}]",
		"[{\"name\":\"vcs\",\"vcs\":\"github\"}]",
		"[{\"name\":\"installation_id\",\"id\":\"1\",\"x\":1}]",
		"[{\"name\":\"installation_id\",\"id\":\"1\"},"
		    "{\"id\":\"1\",\"name\":\"installation_id\"}]",
	};

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		j = parse(good[i]);
		assert_true(tt_caps_valid(j, &why));
		cJSON_Delete(j);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = parse(bad[i]);
		why = NULL;
		assert_false(tt_caps_valid(j, &why));
		assert_non_null(why);
		cJSON_Delete(j);
	}
}

static void
test_membership_is_exact(void **state)
{
	cJSON	*j;

	(void)state;
	j = parse("[\"kv_store_read\",{\"name\":\"installation_id\","
	    "\"id\":\"12345\"}]");
	assert_true(tt_caps_has(j, "kv_store_read"));
	assert_false(tt_caps_has(j, "kv_store_write"));
	assert_false(tt_caps_has(j, "kv_store"));
	assert_false(tt_caps_has(j, "KV_STORE_READ"));
	assert_true(tt_caps_has_installation(j, 12345));
	assert_false(tt_caps_has_installation(j, 1234));
	assert_false(tt_caps_has_installation(j, 123456));
	assert_true(tt_caps_restricted(j));
	cJSON_Delete(j);
	j = parse("[\"kv_store_read\"]");
	assert_false(tt_caps_restricted(j));
	cJSON_Delete(j);
}

/* may_grant WANT HAVE RESTRICTED: tt_caps_may_grant on two JSON texts. */
static int
may_grant(const char *want, const char *have, int restricted)
{
	cJSON		*w = parse(want), *h = parse(have);
	const char	*why = NULL;
	int		 ok;

	ok = tt_caps_may_grant(w, h, restricted, &why);
	assert_true(ok || (why != NULL && why[0] != '\0'));
	cJSON_Delete(w);
	cJSON_Delete(h);
	return ok;
}

#define I(n)	"{\"name\":\"installation_id\",\"id\":\"" #n "\"}"

static void
test_may_grant_never_grants_more(void **state)
{
	const char	*holder = "[\"kv_store_read\",\"access_token_create\","
			    I(7) "," I(9) "]";

	(void)state;
	/* A restricted caller: a non-empty subset of its installations. */
	assert_true(may_grant("[\"kv_store_read\"," I(7) "]", holder, 0));
	assert_true(may_grant("[" I(9) "," I(7) "]", holder, 0));
	assert_false(may_grant("[]", holder, 0));
	assert_false(may_grant("[\"kv_store_read\"]", holder, 0));
	assert_false(may_grant("[\"kv_store_write\"," I(7) "]", holder, 0));
	assert_false(may_grant("[" I(8) "]", holder, 0));
	assert_false(may_grant("[" I(7) "," I(8) "]", holder, 0));
	/* An unrestricted caller: restrictions only narrow. */
	assert_true(may_grant("[\"kv_store_read\"]", "[\"kv_store_read\"]", 0));
	assert_true(may_grant("[\"kv_store_read\"," I(8) "]",
	    "[\"kv_store_read\"]", 0));
	assert_true(may_grant("[]", "[\"kv_store_read\"]", 0));
	assert_false(may_grant("[\"kv_store_write\"]", "[\"kv_store_read\"]",
	    0));
	/* A browser session is restricted, even to no installation. */
	assert_false(may_grant("[\"kv_store_read\"]",
	    "[\"kv_store_read\"]", 1));
	assert_false(may_grant("[\"kv_store_read\"," I(8) "]",
	    "[\"kv_store_read\"]", 1));
	assert_true(may_grant("[\"kv_store_read\"," I(8) "]",
	    "[\"kv_store_read\"," I(8) "]", 1));
}

static void
test_from_arg(void **state)
{
	cJSON	*c;

	(void)state;
	c = tt_caps_from_arg("kv_store_write");
	assert_true(cJSON_IsString(c));
	cJSON_Delete(c);
	c = tt_caps_from_arg("installation:42");
	assert_true(cJSON_IsObject(c));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring,
	    "42");
	cJSON_Delete(c);
	assert_null(tt_caps_from_arg("installation:"));
	assert_null(tt_caps_from_arg("installation:04"));
	assert_null(tt_caps_from_arg("installation:x"));
	assert_null(tt_caps_from_arg("everything"));
	assert_string_equal(tt_caps_name(TT_CAP_KV_READ), "kv_store_read");
	assert_null(tt_caps_name(TT_CAP_INSTALLATION));
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_lists),
		cmocka_unit_test(test_membership_is_exact),
		cmocka_unit_test(test_may_grant_never_grants_more),
		cmocka_unit_test(test_from_arg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
