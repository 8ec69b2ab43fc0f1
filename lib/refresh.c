/*
 * refresh.c: the statements of POST /api/v1/access-token/refresh and
 * their outcomes: an API key refreshed, an OIDC exchange recorded. The
 * program (cgi-bin/refresh.c) tells the credentials apart and answers;
 * refreshq.c spends tokens reserved in advance.
 */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "refresh.h"
#include "trust.h"

/*
 * One statement, one round trip, for every refresh of a well-formed key
 * (granted or refused): the key looked up by its hash, the caller's
 * address bucket read (an address that has used up its refused
 * credentials gets 429 for the next refused one; a good key is never
 * refused for its address), the key's bucket moved on when the key is
 * good (ON CONFLICT ... WHERE refuses when it is empty), the address
 * bucket moved on when the key is refused, last_used_at written at most
 * once a minute, and the audit row. Buckets live in an UNLOGGED table
 * and the transaction commits without waiting for its WAL flush (synchronous_commit off for
 * this statement only): a crash of PostgreSQL may lose the last fraction
 * of a second of audit rows, a refresh never waits for a disk.
 *
 * The key's bucket moves on by as many tokens as it can give up to the
 * $7 asked for (lib/refreshq.h: one unless the process is under load
 * and the key has thousands to spare); granted says how many it took.
 *
 * $1 key hash, $2 source address ("" if none), $3 user agent, $4 default
 * per-key limit, $5 per-address limit, $6 window in microseconds, $7
 * tokens asked for.
 */
#define US(x)	"((" x ") * interval '1 microsecond')"
#define AHEAD(t) "(extract(epoch FROM (" t ") - now()) * 1000000)::bigint"
/*
 * Tokens a key's bucket can give now, at most the $7 asked for: those
 * whose steps still fit in the window (all of them when the step rounds
 * to 0 microseconds). Evaluated on the bucket row's latest version, so
 * concurrent reservations never take more than the bucket holds.
 */
#define KTAKE \
	"(CASE WHEN (SELECT step FROM st) = 0 THEN $7::bigint " \
	"ELSE least($7::bigint, ($6::bigint - " \
	AHEAD("greatest(b.tat, now())") ") / (SELECT step FROM st)) END)"

TT_DB_STMT(stmt_refresh) = {
	.name = "refresh_key",
	.sql =
	    "WITH k AS (SELECT id, user_id, capabilities, "
	    "revoked_at IS NOT NULL AS revoked, "
	    "(expires_at IS NOT NULL AND expires_at <= now()) AS expired, "
	    "(last_used_at IS NULL OR last_used_at < now() - interval "
	    "'60 seconds') AS stale, "
	    "coalesce(refresh_rate_limit, $4::int) AS lim "
	    "FROM api_keys WHERE key_sha256 = decode($1, 'hex')), "
	    "a AS (SELECT " AHEAD("greatest(tat, now())") " AS d "
	    "FROM rate_buckets WHERE bucket = 'a:' || $2), "
	    "v0 AS (SELECT CASE "
	    "WHEN k.id IS NULL THEN 'unknown' WHEN k.revoked THEN 'revoked' "
	    "WHEN k.expired THEN 'expired' ELSE 'ok' END AS known, k.* "
	    "FROM (SELECT 1) one LEFT JOIN k ON true), "
	    "v AS (SELECT CASE WHEN known <> 'ok' AND "
	    "coalesce((SELECT d FROM a), 0) > $6::bigint - $6::bigint / $5::int "
	    "THEN 'address_rate_limited' ELSE known END AS outcome, v0.* "
	    "FROM v0), "
	    "kprev AS (SELECT " AHEAD("greatest(b.tat, now())") " AS d "
	    "FROM rate_buckets b, v WHERE b.bucket = 'k:' || v.id), "
	    "st AS (SELECT $6::bigint / v.lim AS step FROM v), "
	    "kb AS (INSERT INTO rate_buckets AS b (bucket, tat, granted) "
	    "SELECT 'k:' || v.id, now() + " US("st.step * least($7::int, v.lim)")
	    ", least($7::int, v.lim) FROM v, st WHERE v.outcome = 'ok' "
	    "ON CONFLICT (bucket) DO UPDATE "
	    "SET tat = greatest(b.tat, now()) + " US("(SELECT step FROM st) * "
	    KTAKE) ", granted = " KTAKE " WHERE " KTAKE " >= 1 "
	    "RETURNING tat, granted), "
	    "ab AS (INSERT INTO rate_buckets AS b (bucket, tat) "
	    "SELECT 'a:' || $2, now() + " US("$6::bigint / $5::int") " FROM v "
	    "WHERE v.outcome IN ('unknown', 'revoked', 'expired') "
	    "ON CONFLICT (bucket) DO UPDATE "
	    "SET tat = greatest(b.tat, now()) + (excluded.tat - now()) "
	    "RETURNING 1), "
	    "t AS (UPDATE api_keys SET last_used_at = now() FROM v "
	    "WHERE api_keys.id = v.id AND v.stale AND EXISTS (SELECT 1 FROM kb) "
	    "RETURNING 1), "
	    "au AS (INSERT INTO audit_events (event, outcome, via, user_id, "
	    "api_key_id, source_address, user_agent) SELECT 'refresh', "
	    "CASE WHEN v.outcome = 'ok' AND NOT EXISTS (SELECT 1 FROM kb) "
	    "THEN 'key_rate_limited' ELSE v.outcome END, 'api', v.user_id, v.id, "
	    "nullif($2, ''), $3 FROM v RETURNING outcome) "
	    "SELECT au.outcome, v.id, v.user_id, "
	    "v.capabilities::text AS capabilities, v.lim, "
	    "(SELECT " AHEAD("tat") " FROM kb) AS key_ahead, "
	    "(SELECT granted FROM kb) AS granted, "
	    "(SELECT d FROM kprev) AS key_before, "
	    "(SELECT d FROM a) AS addr_before, "
	    "set_config('synchronous_commit', 'off', true) AS sc "
	    "FROM v, au",
	.nparams = 7,
	.retry = 1,
};

/*
 * The verdict of an OIDC exchange, after tt_trust_exchange, in one
 * statement with its audit row. A token that passed every check has its
 * issuer and jti recorded: the primary key of oidc_exchanged_jti
 * decides, so of several exchanges of one token, concurrent or not, on
 * any web server, exactly one inserts and is granted, the others are
 * 'replayed' (a row whose token has expired for this server, exp at or
 * before now - leeway, is taken over: that token cannot be replayed
 * here any more). A granted token is granted whatever the caller's
 * address bucket says: nobody can guess a signed token, so only refusals
 * are limited. A refused token, one whose keys could not be fetched
 * included (unverifiable: forged tokens naming an unreachable issuer
 * count too), is 'address_rate_limited' when the address has used up
 * its refused credentials, and moves the bucket on otherwise. A grant
 * commits with the configured synchronous_commit (its jti row must
 * outlive a crash of PostgreSQL, or the token could be exchanged again),
 * a refusal without waiting for its WAL flush, as stmt_refresh does.
 * Never sent twice (retry 0): a second send of a grant would refuse it
 * as replayed. There is no key, so no per-key bucket.
 *
 * $1 outcome ("ok", the failed check's name or "keys_unavailable"), $2
 * source address ("" if none), $3 user agent, $4 per-address limit, $5
 * window in microseconds, $6 policy id, $7 user id (NULL when no policy
 * matched); for "ok" only, else NULL: $8 issuer, $9 jti, $10 the
 * token's exp and $11 now - leeway, both in Unix seconds.
 */
TT_DB_STMT(stmt_exchange) = {
	.name = "refresh_exchange",
	.sql =
	    "WITH a AS (SELECT " AHEAD("greatest(tat, now())") " AS d "
	    "FROM rate_buckets WHERE bucket = 'a:' || $2), "
	    "j AS (INSERT INTO oidc_exchanged_jti AS x (issuer, jti, exp) "
	    "SELECT $8, $9, to_timestamp($10::double precision) "
	    "WHERE $1::text = 'ok' ON CONFLICT (issuer, jti) DO UPDATE "
	    "SET exp = excluded.exp WHERE x.exp <= "
	    "to_timestamp($11::double precision) RETURNING 1), "
	    "v AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM j) THEN 'ok' "
	    "WHEN coalesce((SELECT d FROM a), 0) > "
	    "$5::bigint - $5::bigint / $4::int THEN 'address_rate_limited' "
	    "WHEN $1::text = 'ok' THEN 'replayed' ELSE $1::text END AS outcome), "
	    "ab AS (INSERT INTO rate_buckets AS b (bucket, tat) "
	    "SELECT 'a:' || $2, now() + " US("$5::bigint / $4::int") " FROM v "
	    "WHERE v.outcome NOT IN ('ok', 'address_rate_limited') "
	    "ON CONFLICT (bucket) DO UPDATE "
	    "SET tat = greatest(b.tat, now()) + (excluded.tat - now()) "
	    "RETURNING 1), "
	    "au AS (INSERT INTO audit_events (event, outcome, via, user_id, "
	    "policy_id, source_address, user_agent) SELECT 'exchange', "
	    "v.outcome, 'api', $7::uuid, $6::uuid, nullif($2, ''), $3 FROM v "
	    "RETURNING outcome) "
	    "SELECT au.outcome, (SELECT d FROM a) AS addr_before, "
	    "set_config('synchronous_commit', CASE WHEN au.outcome = 'ok' "
	    "THEN current_setting('synchronous_commit') ELSE 'off' END, true) "
	    "AS sc FROM au",
	.nparams = 11,
};

void
tt_refresh_caller(const struct tt_req *req, struct tt_refresh_caller *c)
{
	tt_audit_src_req(req, &c->src);
	c->addr = c->src.addr != NULL ? c->src.addr : "";
	c->window_us = tt_config.refresh_rate_window * 1000000;
	snprintf(c->per_key, sizeof(c->per_key), "%lld",
	    (long long)tt_config.refresh_rate_per_key);
	snprintf(c->per_addr, sizeof(c->per_addr), "%lld",
	    (long long)tt_config.refresh_rate_per_address);
	snprintf(c->window, sizeof(c->window), "%lld",
	    (long long)c->window_us);
}

static int64_t
num(const struct tt_db_res *res, const char *col)
{
	const char	*v = tt_db_get(res, 0, col);

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/* The outcomes the statements write into the trail, as the enum. */
static enum tt_refresh_outcome
outcome_of(const char *s)
{
	static const struct {
		const char		*name;
		enum tt_refresh_outcome	 outcome;
	} names[] = {
		{ "ok", TT_REFRESH_OK },
		{ "unknown", TT_REFRESH_UNKNOWN },
		{ "revoked", TT_REFRESH_REVOKED },
		{ "expired", TT_REFRESH_EXPIRED },
		{ "key_rate_limited", TT_REFRESH_KEY_LIMITED },
		{ "address_rate_limited", TT_REFRESH_ADDRESS_LIMITED },
		{ "replayed", TT_REFRESH_REPLAYED },
	};
	size_t	i;

	for (i = 0; i < TT_NITEMS(names); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].outcome;
	return TT_REFRESH_REFUSED;	/* an ID token check's name */
}

enum tt_err
tt_refresh_key(struct tt_arena *a, const struct tt_refresh_caller *c,
    const char *hash, int64_t want, struct tt_refresh_key *k)
{
	struct tt_db_res	*res;
	const char		*p[7];
	char			 n[24];
	enum tt_err		 e;

	snprintf(n, sizeof(n), "%lld", (long long)want);
	p[0] = hash;
	p[1] = c->addr;
	p[2] = c->src.ua;
	p[3] = c->per_key;
	p[4] = c->per_addr;
	p[5] = c->window;
	p[6] = n;
	if ((e = tt_db_run(a, &stmt_refresh, p, &res)) != TT_OK)
		return e;
	memset(k, 0, sizeof(*k));
	k->outcome = outcome_of(tt_db_get(res, 0, "outcome"));
	k->id = tt_db_get(res, 0, "id");
	k->user_id = tt_db_get(res, 0, "user_id");
	k->caps = tt_db_get(res, 0, "capabilities");
	k->limit = num(res, "lim");
	k->granted = num(res, "granted");
	k->ahead_us = num(res, "key_ahead");
	k->key_before = num(res, "key_before");
	k->addr_before = num(res, "addr_before");
	return TT_OK;
}

enum tt_err
tt_refresh_exchange(struct tt_arena *a, const struct tt_refresh_caller *c,
    const char *known, const struct tt_trust_grant *g, time_t now,
    enum tt_refresh_outcome *outcome, int64_t *addr_before)
{
	struct tt_db_res	*res;
	const char		*p[11];
	char			 exp[24], expired[24];
	int			 ok = strcmp(known, "ok") == 0;
	enum tt_err		 e;

	snprintf(exp, sizeof(exp), "%lld", (long long)g->exp);
	snprintf(expired, sizeof(expired), "%lld",
	    (long long)((int64_t)now - tt_config.clock_leeway));
	p[0] = known;
	p[1] = c->addr;
	p[2] = c->src.ua;
	p[3] = c->per_addr;
	p[4] = c->window;
	p[5] = g->policy != NULL ? g->policy->id : NULL;
	p[6] = g->policy != NULL ? g->policy->user_id : NULL;
	p[7] = ok ? g->issuer : NULL;
	p[8] = ok ? g->jti : NULL;
	p[9] = ok ? exp : NULL;
	p[10] = ok ? expired : NULL;
	if ((e = tt_db_run(a, &stmt_exchange, p, &res)) != TT_OK)
		return e;
	*outcome = outcome_of(tt_db_get(res, 0, "outcome"));
	*addr_before = num(res, "addr_before");
	return TT_OK;
}
