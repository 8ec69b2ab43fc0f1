/*
 * testdb.h: the private PostgreSQL of the unit tests that need one, and
 * the rows they stand on (testdb.c). tests/run.sh unit starts a migrated
 * cluster for them and exports TT_DATABASE_URL. By hand, from the top:
 *
 *	export TT_DATABASE_URL="$(tests/harness/pg.sh start /tmp/tt-unit 5439)"
 *	bin/ttctl migrate
 *	build/tests/unit/test_session	(or test_kv, test_serve)
 *	tests/harness/pg.sh stop /tmp/tt-unit
 *
 * Every fixture is new (a fresh user, installation, key), so a test may
 * run again against the same database.
 */
/* SPDX-License-Identifier: MIT */
#ifndef TT_TESTDB_H
#define TT_TESTDB_H

#include <stdint.h>
#include <time.h>

struct tt_arena;

/*
 * A group setup for cmocka: loads the configuration (tt_config) from the
 * environment and checks that TT_DATABASE_URL names a migrated database.
 * Without one it prints a "# " line saying why and how to get one, and
 * fails the group: a test that needs the database never passes without it.
 * testdb_close is its teardown.
 */
int		 testdb_open(void **state);
int		 testdb_close(void **state);

/* Runs SQL with text parameters; the test fails if it does. Returns the
 * first column of the first row, or NULL (arena-owned). */
const char	*testdb_sql(struct tt_arena *, const char *sql, int nparams,
		    const char *const *params);

/* A new user; its id (uuid text, arena-owned). */
const char	*testdb_user(struct tt_arena *);
/* A new installation (a fresh id, decimal text, arena-owned). */
const char	*testdb_installation(struct tt_arena *);
/* Makes user a member of installation, or no longer one. */
void		 testdb_member(struct tt_arena *, const char *inst,
		    const char *user);
void		 testdb_unmember(struct tt_arena *, const char *inst,
		    const char *user);
/* A new live API key of user with caps (JSON text); its id. */
const char	*testdb_key(struct tt_arena *, const char *user,
		    const char *caps);
void		 testdb_revoke(struct tt_arena *, const char *key);

/*
 * An access token for key (of user) with caps (JSON text), issued at iat
 * and expiring at exp, signed with the current signing secret the way
 * refresh.c signs one; with secret non-NULL (32 bytes), signed with that
 * instead, under the current kid. Arena-owned.
 */
char		*testdb_token(struct tt_arena *, const char *user,
		    const char *key, const char *caps, time_t iat, time_t exp,
		    const unsigned char *secret);

#endif
