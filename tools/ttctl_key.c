/* ttctl_key.c: ttctl key (API keys) and secret (JWT signing) commands. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "caps.h"
#include "db.h"
#include "json.h"
#include "keystore.h"
#include "ttctl.h"
#include "valid.h"

static void
print_key(struct ttctl *ctl, const struct tt_keystore_key *k, const char *key)
{
	cJSON	*o;
	char	*caps;

	if (ctl->json) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", k->id);
		cJSON_AddStringToObject(o, "user_id", k->user_id);
		cJSON_AddStringToObject(o, "name", k->name);
		cJSON_AddItemToObject(o, "capabilities",
		    cJSON_Duplicate(k->caps, 1));
		cJSON_AddStringToObject(o, "created_at", k->created_at);
		if (k->last_used_at)
			cJSON_AddStringToObject(o, "last_used_at",
			    k->last_used_at);
		if (k->expires_at)
			cJSON_AddStringToObject(o, "expires_at", k->expires_at);
		if (k->revoked_at)
			cJSON_AddStringToObject(o, "revoked_at", k->revoked_at);
		if (key != NULL)
			cJSON_AddStringToObject(o, "api_key", key);
		ttctl_print_json(o);
		return;
	}
	caps = tt_json_print(ctl->arena, k->caps);
	if (key != NULL) {
		/* The key alone on its own line, for scripts. */
		printf("%s\n", key);
		fprintf(stderr, "key id %s \"%s\" %s%s%s; shown once, store it "
		    "now\n", k->id, k->name, caps, k->expires_at ?
		    ", expires " : "", k->expires_at ? k->expires_at : "");
		return;
	}
	printf("%s  %-20s  created %s  last used %s  %s%s%s\n", k->id,
	    k->name, k->created_at, k->last_used_at ? k->last_used_at :
	    "never", caps, k->revoked_at ? "  REVOKED " : "",
	    k->revoked_at ? k->revoked_at : "");
}

static int
key_create(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_keystore_key	 k;
	const char		*user, *name, *in, *why;
	char			 key[TT_APIKEY_LEN + 1], *expires = NULL;
	cJSON			*caps, *c;
	int64_t			 secs, rate_limit = 0;
	enum tt_err		 e;
	int			 i;

	user = ttctl_opt(argc, argv, "--user");
	name = ttctl_opt(argc, argv, "--name");
	if (user == NULL || !tt_valid_uuid(user) || name == NULL ||
	    name[0] == '\0')
		return ttctl_fail(TTCTL_USAGE, "usage: ttctl key create --user "
		    "UUID --name NAME --cap CAP [--cap CAP...] [--expires-in "
		    "30d] [--rate-limit N]");
	caps = tt_json_own(ctl->arena, cJSON_CreateArray());
	for (i = 0; i < argc - 1; i++) {
		if (strcmp(argv[i], "--cap") != 0)
			continue;
		if ((c = tt_caps_from_arg(argv[i + 1])) == NULL)
			return ttctl_fail(TTCTL_USAGE, "unknown capability "
			    "\"%s\" (kv_store_read, kv_store_write, "
			    "kv_store_system_read, kv_store_system_write, "
			    "access_token_create, installation:ID)",
			    argv[i + 1]);
		cJSON_AddItemToArray(caps, c);
	}
	if (!tt_caps_valid(caps, &why))
		return ttctl_fail(TTCTL_USAGE, "capabilities: %s", why);
	if ((in = ttctl_opt(argc, argv, "--rate-limit")) != NULL &&
	    tt_valid_int64(in, 1, 1000000000, &rate_limit) != 0)
		return ttctl_fail(TTCTL_USAGE, "--rate-limit takes the key's "
		    "refreshes per TT_REFRESH_RATE_WINDOW (1..1000000000)");
	if ((in = ttctl_opt(argc, argv, "--expires-in")) != NULL) {
		if ((secs = ttctl_duration(in)) < 0)
			return ttctl_fail(TTCTL_USAGE, "--expires-in takes a "
			    "duration like 30d, 12h, 45m or 90s");
		struct tt_db_res	*r;
		const char		*p[1];
		char			 sbuf[24];

		snprintf(sbuf, sizeof(sbuf), "%lld", (long long)secs);
		p[0] = sbuf;
		if (tt_db_exec(ctl->arena, "SELECT (now() + make_interval("
		    "secs => $1::bigint))::text AS t", 1, p, &r) != TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "database unreachable");
		expires = tt_arena_strdup(ctl->arena, tt_db_get(r, 0, "t"));
	}
	e = tt_keystore_create(ctl->arena, user, name, caps, expires,
	    rate_limit, &tt_audit_src_ttctl, key, &k);
	if (e == TT_EINVAL)
		return ttctl_fail(TTCTL_REFUSED, "no user %s", user);
	if (e != TT_OK)
		return ttctl_fail(TTCTL_REFUSED, "could not create the key: %s",
		    tt_err_str(e));
	print_key(ctl, &k, key);
	memset(key, 0, sizeof(key));
	return TTCTL_OK;
}

static int
key_list(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_keystore_key	*keys;
	const char		*user, *cursor = NULL;
	int			 n, i;
	enum tt_err		 e;

	user = ttctl_opt(argc, argv, "--user");
	if (user == NULL || !tt_valid_uuid(user))
		return ttctl_fail(TTCTL_USAGE, "usage: ttctl key list --user "
		    "UUID [--all]");
	do {
		e = tt_keystore_list(ctl->arena, user, 500, cursor,
		    ttctl_flag(argc, argv, "--all"), &keys, &n);
		if (e != TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "could not list keys: "
			    "%s", tt_err_str(e));
		for (i = 0; i < n; i++)
			print_key(ctl, &keys[i], NULL);
		cursor = n > 0 ? keys[n - 1].cursor : NULL;
	} while (n == 500);
	return TTCTL_OK;
}

int
ttctl_key(struct ttctl *ctl, int argc, char **argv)
{
	enum tt_err	e;

	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return key_create(ctl, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return key_list(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "revoke") == 0) {
		if (!tt_valid_uuid(argv[1]))
			return ttctl_fail(TTCTL_USAGE, "key revoke takes the "
			    "key's id (a uuid)");
		e = tt_keystore_revoke(ctl->arena, NULL, argv[1],
		    &tt_audit_src_ttctl);
		if (e == TT_ENOTFOUND)
			return ttctl_fail(TTCTL_REFUSED, "no live key %s",
			    argv[1]);
		if (e != TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "could not revoke: %s",
			    tt_err_str(e));
		printf(ctl->json ? "{\"revoked\":\"%s\"}\n" : "revoked %s\n",
		    argv[1]);
		return TTCTL_OK;
	}
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl key create|list|revoke");
}

/*
 * ttctl secret rotate: a new signing secret becomes current; the others
 * are retired now and keep verifying until every token they signed has
 * expired (signkey.c keeps them for TTL + leeway + its reload period).
 */
int
ttctl_secret(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	int			 i;
	cJSON			*o;

	if (argc >= 1 && strcmp(argv[0], "rotate") == 0) {
		if (tt_db_exec(ctl->arena, "WITH old AS (UPDATE jwt_secrets "
		    "SET retired_at = now() WHERE retired_at IS NULL), "
		    "new AS (INSERT INTO jwt_secrets (kid, secret) VALUES "
		    "(encode(gen_random_bytes(8), 'hex'), gen_random_bytes(64)) "
		    "RETURNING kid) SELECT kid FROM new", 0, NULL, &r) != TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "could not rotate");
		printf(ctl->json ? "{\"kid\":\"%s\"}\n" : "%s\n",
		    tt_db_get(r, 0, "kid"));
		return TTCTL_OK;
	}
	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		if (tt_db_exec(ctl->arena, "SELECT kid, "
		    TT_DB_UTC("created_at") " AS created_at, "
		    TT_DB_UTC("retired_at") " AS retired_at "
		    "FROM jwt_secrets ORDER BY created_at DESC", 0, NULL, &r) !=
		    TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "database unreachable");
		for (i = 0; i < tt_db_nrows(r); i++) {
			const char *ret = tt_db_get(r, i, "retired_at");

			if (ctl->json) {
				o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "kid",
				    tt_db_get(r, i, "kid"));
				cJSON_AddStringToObject(o, "created_at",
				    tt_db_get(r, i, "created_at"));
				if (ret != NULL)
					cJSON_AddStringToObject(o, "retired_at",
					    ret);
				ttctl_print_json(o);
			} else
				printf("%s  created %s  %s%s\n",
				    tt_db_get(r, i, "kid"),
				    tt_db_get(r, i, "created_at"),
				    ret ? "retired " : "current",
				    ret ? ret : "");
		}
		return TTCTL_OK;
	}
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl secret rotate|list");
}
