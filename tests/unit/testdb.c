/* testdb.c: the unit tests' database: its check, and fixture rows. */
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
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "session.h"
#include "signkey.h"
#include "token.h"
#include "testdb.h"

int
testdb_open(void **state)
{
	struct tt_arena	*a;
	const char	*url = getenv("TT_DATABASE_URL");
	char		 err[512];
	int64_t		 version = 0;
	enum tt_err	 e;

	(void)state;
	if (url == NULL || url[0] == '\0') {
		printf("# TT_DATABASE_URL is not set: these tests need a "
		    "migrated PostgreSQL (tests/run.sh unit starts one; by "
		    "hand, see tests/unit/testdb.h)\n");
		return -1;
	}
	if (tt_config_load(err, sizeof(err)) != 0) {
		printf("# configuration: %s\n", err);
		return -1;
	}
	a = tt_arena_new();
	e = tt_db_schema_version(a, &version);
	tt_arena_free(a);
	if (e != TT_OK && e != TT_ENOTFOUND) {
		printf("# the database at TT_DATABASE_URL=\"%s\" cannot be "
		    "reached\n", url);
		return -1;
	}
	if (version < 1) {
		printf("# the database at TT_DATABASE_URL=\"%s\" is not "
		    "migrated: run bin/ttctl migrate\n", url);
		return -1;
	}
	return 0;
}

int
testdb_close(void **state)
{
	(void)state;
	tt_db_end_request();
	tt_session_cleanup();
	tt_db_close();
	return 0;
}

const char *
testdb_sql(struct tt_arena *a, const char *sql, int nparams,
    const char *const *params)
{
	struct tt_db_res	*r;
	enum tt_err		 e;

	if ((e = tt_db_exec(a, sql, nparams, params, &r)) != TT_OK)
		fail_msg("fixture SQL failed (%s, SQLSTATE %s): %s",
		    tt_err_str(e), tt_db_last_sqlstate(), sql);
	if (tt_db_nrows(r) < 1 || tt_db_col(r, "v") < 0)
		return NULL;
	return tt_db_val(r, 0, tt_db_col(r, "v"));
}

const char *
testdb_user(struct tt_arena *a)
{
	return testdb_sql(a, "INSERT INTO users DEFAULT VALUES "
	    "RETURNING id::text AS v", 0, NULL);
}

const char *
testdb_installation(struct tt_arena *a)
{
	return testdb_sql(a, "INSERT INTO installations (id, login) SELECT "
	    "coalesce(max(id), 100000) + 1, 'unit-' || (coalesce(max(id), "
	    "100000) + 1) FROM installations RETURNING id::text AS v", 0,
	    NULL);
}

void
testdb_member(struct tt_arena *a, const char *inst, const char *user)
{
	const char	*p[2] = { inst, user };

	testdb_sql(a, "INSERT INTO installation_members (installation_id, "
	    "user_id) VALUES ($1::bigint, $2::uuid) ON CONFLICT DO NOTHING",
	    2, p);
}

void
testdb_unmember(struct tt_arena *a, const char *inst, const char *user)
{
	const char	*p[2] = { inst, user };

	testdb_sql(a, "DELETE FROM installation_members WHERE "
	    "installation_id = $1::bigint AND user_id = $2::uuid", 2, p);
}

const char *
testdb_key(struct tt_arena *a, const char *user, const char *caps)
{
	const char	*p[2] = { user, caps };

	return testdb_sql(a, "INSERT INTO api_keys (user_id, name, "
	    "key_sha256, capabilities) VALUES ($1::uuid, 'unit test', "
	    "gen_random_bytes(32), $2::jsonb) RETURNING id::text AS v", 2, p);
}

void
testdb_revoke(struct tt_arena *a, const char *key)
{
	const char	*p[1] = { key };

	testdb_sql(a, "UPDATE api_keys SET revoked_at = now() WHERE "
	    "id = $1::uuid", 1, p);
}

char *
testdb_token(struct tt_arena *a, const char *user, const char *key,
    const char *caps, time_t iat, time_t exp, const unsigned char *secret)
{
	struct tt_token_claims	 c;
	const unsigned char	*s;
	const char		*kid, *why;
	unsigned char		 jti[16];
	char			*token;
	size_t			 len;

	memset(&c, 0, sizeof(c));
	c.issuer = tt_config.jwt_issuer;
	c.user_id = user;
	c.api_key_id = key;
	c.caps = tt_json_parse(a, caps, strlen(caps), &why);
	assert_non_null(c.caps);
	tt_crypto_random(jti, sizeof(jti));
	c.jti = tt_arena_alloc(a, 2 * sizeof(jti) + 1);
	tt_crypto_hex(jti, sizeof(jti), (char *)c.jti);
	c.iat = (int64_t)iat;
	c.exp = (int64_t)exp;
	assert_int_equal(tt_signkey_current(a, time(NULL), &kid, &s, &len),
	    TT_OK);
	if (secret != NULL) {
		s = secret;
		len = 32;
	}
	assert_int_equal(tt_token_sign(a, kid, s, len, &c, &token), TT_OK);
	return token;
}
