/*
 * trust.c: OIDC trust policies (table oidc_trust_policies) and the
 * exchange of an ID token for what one of them grants.
 *
 * One round trip reads the issuer's policies together with its cached
 * JWKS; the network is used only when that cache is stale or lacks the
 * token's kid, and not at all within TT_JWKS_RETRY_S of a failed fetch
 * of that issuer (the same row says so). Checks run in a fixed order (issuer, times, signature,
 * then each policy's audience, subject and conditions) so that nothing
 * about a policy's contents is learnt without a validly signed token.
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "caps.h"
#include "config.h"
#include "db.h"
#include "json.h"
#include "jwk.h"
#include "jwks.h"
#include "log.h"
#include "trust.h"
#include "valid.h"

#define POLICY_COLUMNS \
	"id, name, issuer, audience, subject, conditions::text AS conditions, " \
	"user_id, capabilities::text AS capabilities, max_ttl, " \
	"max_token_age, " TT_DB_UTC("created_at") " AS created_at"

TT_DB_STMT(stmt_vet) = {
	.name = "trust_vet",
	.sql =
	    "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1::uuid) AS known, "
	    "(SELECT string_agg(c->>'id', ', ') FROM jsonb_array_elements("
	    "$2::jsonb) c WHERE jsonb_typeof(c) = 'object' AND NOT EXISTS ("
	    "SELECT 1 FROM installation_members m WHERE m.user_id = $1::uuid "
	    "AND m.installation_id = (c->>'id')::bigint)) AS not_member",
	.nparams = 2,
	.retry = 1,
};

/* Each change records its audit row in the same statement (v, a, u: the
 * parameters of via, source address and user agent), as keystore.c. */
#define AUDIT(event, from, v, a, u) \
	"au AS (INSERT INTO audit_events (event, outcome, via, user_id, " \
	"policy_id, source_address, user_agent) SELECT '" event "', 'ok', " \
	v ", user_id, id, " a ", " u " FROM " from ") "

TT_DB_STMT(stmt_add) = {
	.name = "trust_add",
	.sql =
	    "WITH ins AS (INSERT INTO oidc_trust_policies (name, issuer, audience, "
	    "subject, conditions, user_id, capabilities, max_ttl, max_token_age) "
	    "VALUES ($1, $2, $3, $4, $5::jsonb, $6::uuid, $7::jsonb, $8::int, "
	    "$12::int) RETURNING *), "
	    AUDIT("policy_add", "ins", "$9", "$10", "$11")
	    "SELECT " POLICY_COLUMNS " FROM ins",
	.nparams = 12,
};

TT_DB_STMT(stmt_list) = {
	.name = "trust_list",
	.sql =
	    "SELECT " POLICY_COLUMNS " FROM oidc_trust_policies "
	    "ORDER BY created_at, id",
	.retry = 1,
};

TT_DB_STMT(stmt_remove) = {
	.name = "trust_remove",
	.sql =
	    "WITH d AS (DELETE FROM oidc_trust_policies WHERE id = $1::uuid "
	    "RETURNING id, user_id), " AUDIT("policy_remove", "d", "$2", "$3", "$4")
	    "SELECT id FROM d",
	.nparams = 4,
};

/*
 * Exchanged ID tokens' ids an hour past their exp: no server accepts
 * those tokens any more, whatever its leeway (at most 300 s) or clock.
 */
TT_DB_STMT(stmt_prune) = {
	.name = "trust_prune",
	.sql =
	    "WITH d AS (DELETE FROM oidc_exchanged_jti WHERE exp < now() - "
	    "interval '1 hour' RETURNING 1) SELECT count(*) AS n FROM d",
};

/* The issuer's policies and its cached keys, in one read. */
TT_DB_STMT(stmt_issuer) = {
	.name = "trust_issuer",
	.sql =
	    "SELECT p.id, p.name, p.issuer, p.audience, p.subject, "
	    "p.conditions::text AS conditions, p.user_id, "
	    "p.capabilities::text AS capabilities, p.max_ttl, p.max_token_age, "
	    TT_DB_UTC("p.created_at") " AS created_at, "
	    /* The keys once, on the first row only: they can be 256 KiB. */
	    "CASE WHEN row_number() OVER (ORDER BY p.created_at, p.id) = 1 "
	    "THEN c.jwks END AS jwks, "
	    "(c.expires_at > now()) AS fresh, "
	    "(c.fetched_at IS NULL OR c.fetched_at <= now() - make_interval("
	    "secs => $2::int)) AS refetchable, "
	    /* Seconds before a failed issuer may be fetched again (0: now). */
	    "coalesce(greatest(ceil(extract(epoch FROM c.failed_until - now())), "
	    "0), 0)::bigint AS wait_s "
	    "FROM oidc_trust_policies p LEFT JOIN oidc_jwks_cache c "
	    "ON c.issuer = p.issuer WHERE p.issuer = $1 "
	    "ORDER BY p.created_at, p.id LIMIT 100",
	.nparams = 2,
	.retry = 1,
};

static void
read_policy(struct tt_arena *a, struct tt_db_res *r, int i,
    struct tt_trust_row *t)
{
	const char	*s, *why;

	memset(t, 0, sizeof(*t));
	t->p.id = tt_db_get(r, i, "id");
	t->name = tt_db_get(r, i, "name");
	t->p.issuer = tt_db_get(r, i, "issuer");
	t->p.audience = tt_db_get(r, i, "audience");
	t->p.subject = tt_db_get(r, i, "subject");
	t->p.user_id = tt_db_get(r, i, "user_id");
	s = tt_db_get(r, i, "conditions");
	t->p.conditions = tt_json_parse(a, s, strlen(s), &why);
	s = tt_db_get(r, i, "capabilities");
	t->p.caps = tt_json_parse(a, s, strlen(s), &why);
	s = tt_db_get(r, i, "max_ttl");
	if (tt_valid_int64(s, 1, 3600, &t->p.max_ttl) != 0)
		t->p.max_ttl = 1;
	s = tt_db_get(r, i, "max_token_age");
	if (tt_valid_int64(s, 1, TT_OIDC_MAX_TOKEN_AGE,
	    &t->p.max_token_age) != 0)
		t->p.max_token_age = 1;
	t->created_at = tt_db_get(r, i, "created_at");
}

static enum tt_err
refuse(const char **why, const char *msg)
{
	*why = msg;
	return TT_EINVAL;
}

enum tt_err
tt_trust_add(struct tt_arena *a, const char *name,
    const struct tt_oidc_policy *p, const struct tt_audit_src *src,
    struct tt_trust_row *out, const char **why)
{
	struct tt_db_res	*r;
	const char		*v[12], *miss;
	char			 ttl[24], age[24];
	enum tt_err		 e;

	if (name == NULL || name[0] == '\0' || strlen(name) > 200)
		return refuse(why, "a name of 1 to 200 bytes is required");
	if (p->issuer == NULL || strlen(p->issuer) > 512 ||
	    !tt_config_url_ok(p->issuer, (int)tt_config.oidc_allow_loopback))
		return refuse(why, "the issuer must be an https:// URL (http:// "
		    "to loopback only with TT_OIDC_ALLOW_LOOPBACK=1)");
	if (p->audience == NULL || p->audience[0] == '\0' ||
	    strlen(p->audience) > 512)
		return refuse(why, "an audience of 1 to 512 bytes is required");
	if (p->subject == NULL || p->subject[0] == '\0' ||
	    strlen(p->subject) > 512 || strspn(p->subject, "*") ==
	    strlen(p->subject))
		return refuse(why, "a subject pattern of 1 to 512 bytes, not "
		    "only '*', is required");
	if (!tt_oidc_conditions_valid(p->conditions, why))
		return TT_EINVAL;
	if (!tt_valid_uuid(p->user_id))
		return refuse(why, "the user must be a uuid");
	if (!tt_caps_valid(p->caps, why))
		return TT_EINVAL;
	if (p->max_ttl < 1 || p->max_ttl > 3600)
		return refuse(why, "the maximum lifetime must be 1 to 3600 s");
	if (p->max_token_age < 1 || p->max_token_age > TT_OIDC_MAX_TOKEN_AGE)
		return refuse(why, "the maximum ID token age must be 1 to "
		    "86400 s");

	v[0] = p->user_id;
	v[1] = tt_json_print(a, p->caps);
	if ((e = tt_db_run(a, &stmt_vet, v, &r)) != TT_OK)
		return e;
	if (strcmp(tt_db_get(r, 0, "known"), "t") != 0)
		return refuse(why, tt_arena_printf(a, "no user %s", p->user_id));
	if ((miss = tt_db_get(r, 0, "not_member")) != NULL)
		return refuse(why, tt_arena_printf(a, "the user is not a member "
		    "of installation %s: a policy never grants more than its "
		    "user may hold", miss));

	snprintf(ttl, sizeof(ttl), "%lld", (long long)p->max_ttl);
	snprintf(age, sizeof(age), "%lld", (long long)p->max_token_age);
	v[0] = name;
	v[1] = p->issuer;
	v[2] = p->audience;
	v[3] = p->subject;
	v[4] = tt_json_print(a, p->conditions);
	v[5] = p->user_id;
	v[6] = tt_json_print(a, p->caps);
	v[7] = ttl;
	v[8] = src->via;
	v[9] = src->addr;
	v[10] = src->ua;
	v[11] = age;
	if ((e = tt_db_run(a, &stmt_add, v, &r)) != TT_OK)
		return e;
	read_policy(a, r, 0, out);
	return TT_OK;
}

enum tt_err
tt_trust_list(struct tt_arena *a, struct tt_trust_row **rows, int *n)
{
	struct tt_db_res	*r;
	enum tt_err		 e;
	int			 i;

	if ((e = tt_db_run(a, &stmt_list, NULL, &r)) != TT_OK)
		return e;
	*n = tt_db_nrows(r);
	*rows = tt_arena_alloc(a, sizeof(**rows) * (size_t)(*n + 1));
	for (i = 0; i < *n; i++)
		read_policy(a, r, i, &(*rows)[i]);
	return TT_OK;
}

enum tt_err
tt_trust_remove(struct tt_arena *a, const char *id,
    const struct tt_audit_src *src)
{
	struct tt_db_res	*r;
	const char		*p[4] = { id, src->via, src->addr, src->ua };
	enum tt_err		 e;

	if (!tt_valid_uuid(id))
		return TT_ENOTFOUND;
	if ((e = tt_db_run(a, &stmt_remove, p, &r)) != TT_OK)
		return e;
	return tt_db_nrows(r) == 1 ? TT_OK : TT_ENOTFOUND;
}

enum tt_err
tt_trust_prune(struct tt_arena *a, int64_t *n)
{
	struct tt_db_res	*r;
	enum tt_err		 e;

	if ((e = tt_db_run(a, &stmt_prune, NULL, &r)) != TT_OK)
		return e;
	*n = strtoll(tt_db_get(r, 0, "n"), NULL, 10);
	return TT_OK;
}

cJSON *
tt_trust_json(struct tt_arena *a, const struct tt_trust_row *t)
{
	cJSON	*o = tt_json_own(a, cJSON_CreateObject());

	cJSON_AddStringToObject(o, "id", t->p.id);
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "issuer", t->p.issuer);
	cJSON_AddStringToObject(o, "audience", t->p.audience);
	cJSON_AddStringToObject(o, "subject", t->p.subject);
	cJSON_AddItemReferenceToObject(o, "conditions",
	    (cJSON *)t->p.conditions);
	cJSON_AddStringToObject(o, "user_id", t->p.user_id);
	cJSON_AddItemReferenceToObject(o, "capabilities", t->p.caps);
	cJSON_AddNumberToObject(o, "max_ttl", (double)t->p.max_ttl);
	cJSON_AddNumberToObject(o, "max_token_age",
	    (double)t->p.max_token_age);
	cJSON_AddStringToObject(o, "created_at", t->created_at);
	return o;
}

/*
 * Fetches the issuer's keys unless a fetch failed less than
 * TT_JWKS_RETRY_S ago (wait_s seconds are left of that): then no
 * outbound request at all. *retry_s is set on a failure: seconds until
 * the issuer will be tried again.
 */
static enum tt_err
fetch_keys(struct tt_arena *a, const char *iss, int64_t wait_s,
    const char **jwks, int64_t *retry_s)
{
	const char	*why;

	if (wait_s > 0) {
		*retry_s = wait_s;
		tt_log_info("oidc: keys of %.128s not fetched: the last fetch "
		    "failed (next try in %lld s)", iss, (long long)wait_s);
		return TT_EUNAVAIL;
	}
	if (tt_jwks_fetch(a, iss, jwks, &why) == TT_OK)
		return TT_OK;
	tt_log_warnx("oidc: keys of %.128s: %s", iss, why);
	*retry_s = TT_JWKS_RETRY_S;
	return TT_EUNAVAIL;
}

/* Verifies the signature, fetching the keys when stale or lacking kid. */
static enum tt_err
check_signature(struct tt_arena *a, const char *token,
    const struct tt_oidc_token *t, struct tt_db_res *r, int64_t *retry_s,
    const char **why)
{
	const char	*jwks = tt_db_get(r, 0, "jwks");
	const char	*fresh = tt_db_get(r, 0, "fresh");
	const char	*refetch = tt_db_get(r, 0, "refetchable");
	const char	*w = tt_db_get(r, 0, "wait_s");
	int64_t		 wait_s = w != NULL ? strtoll(w, NULL, 10) : 0;
	int		 fetched = 0;
	enum tt_err	 e;

	if (jwks == NULL || fresh == NULL || strcmp(fresh, "t") != 0) {
		if (fetch_keys(a, t->iss, wait_s, &jwks, retry_s) == TT_OK)
			fetched = 1;
		/* A stale copy beats none while the issuer is away. */
		else if ((jwks = tt_db_get(r, 0, "jwks")) == NULL) {
			*why = "issuer keys unavailable";
			return TT_EUNAVAIL;
		}
	}
	e = tt_jwk_verify(a, jwks, strlen(jwks), t->kid, t->alg, token,
	    t->signed_len, t->sig, t->siglen, why);
	if ((e == TT_ENOTFOUND || e == TT_EINVAL) && !fetched &&
	    refetch != NULL && strcmp(refetch, "t") == 0) {
		/* Once: the issuer may have rotated its keys. */
		if (fetch_keys(a, t->iss, wait_s, &jwks, retry_s) != TT_OK)
			return TT_EUNAUTH;
		e = tt_jwk_verify(a, jwks, strlen(jwks), t->kid, t->alg, token,
		    t->signed_len, t->sig, t->siglen, why);
	}
	return e == TT_OK ? TT_OK : TT_EUNAUTH;
}

/* {"sub", "repository", "run_id"}: who ran, for the access token. */
static cJSON *
identity(struct tt_arena *a, const struct tt_oidc_token *t)
{
	static const char *const names[] = { "sub", "repository", "run_id" };
	cJSON		*o = tt_json_own(a, cJSON_CreateObject());
	const char	*v;
	size_t		 i;

	for (i = 0; i < TT_NITEMS(names); i++)
		if ((v = tt_json_string(t->claims, names[i])) != NULL &&
		    strlen(v) <= 512)
			cJSON_AddStringToObject(o, names[i], v);
	return o;
}

enum tt_err
tt_trust_exchange(struct tt_arena *a, const char *token, time_t now,
    struct tt_trust_grant *g, enum tt_oidc_check *check, const char **why)
{
	struct tt_oidc_token	 t;
	struct tt_trust_row	*row;
	struct tt_db_res	*r;
	enum tt_oidc_check	 c, worst = TT_OIDC_AUDIENCE;
	const char		*p[2];
	char			 refetch[16];
	enum tt_err		 e;
	int			 i, n;

	memset(g, 0, sizeof(*g));
	*check = TT_OIDC_MALFORMED;
	if (tt_oidc_parse(a, token, &t, why) != TT_OK)
		return TT_EUNAUTH;
	snprintf(refetch, sizeof(refetch), "%d", TT_TRUST_REFETCH_S);
	p[0] = t.iss;
	p[1] = refetch;
	if ((e = tt_db_run(a, &stmt_issuer, p, &r)) != TT_OK)
		return e;
	if ((n = tt_db_nrows(r)) == 0) {
		*check = TT_OIDC_ISSUER;
		*why = "no policy trusts this issuer";
		return TT_EUNAUTH;
	}
	if ((*check = tt_oidc_times(&t, now, tt_config.clock_leeway)) !=
	    TT_OIDC_OK) {
		*why = tt_oidc_check_str(*check);
		return TT_EUNAUTH;
	}
	if ((e = check_signature(a, token, &t, r, &g->retry_s, why)) !=
	    TT_OK) {
		*check = TT_OIDC_SIGNATURE;
		return e;
	}
	row = tt_arena_alloc(a, sizeof(*row));
	for (i = 0; i < n; i++) {
		read_policy(a, r, i, row);
		if (row->p.conditions == NULL || row->p.caps == NULL)
			continue;
		if ((c = tt_oidc_match(&row->p, &t)) == TT_OIDC_OK) {
			g->policy = &row->p;
			g->ttl = tt_config.access_token_ttl < row->p.max_ttl ?
			    tt_config.access_token_ttl : row->p.max_ttl;
			g->identity = identity(a, &t);
			g->issuer = t.iss;
			g->jti = t.jti;
			g->exp = t.exp;
			*check = TT_OIDC_OK;
			return TT_OK;
		}
		if (c > worst)
			worst = c;
	}
	*check = worst;
	*why = tt_oidc_check_str(worst);
	return TT_EUNAUTH;
}
