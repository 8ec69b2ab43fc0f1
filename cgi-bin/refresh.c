/*
 * refresh.c: POST /api/v1/access-token/refresh: an API key, or an OIDC ID
 * token a trust policy accepts, to an access token.
 *
 * The bearer's kind is told apart without work: the tt_live_ prefix is
 * an API key (the benchmarked path: one statement, stmt_refresh); a key
 * whose checksum fails, or a JWT whose iss is ours (an access token sent
 * to the wrong place), is a 401 that touches no database; any other JWT
 * is tried as an ID token (lib/trust.c), then recorded (its jti, so that
 * it is granted once), audited and, when refused, counted against the
 * address's bucket (one statement, stmt_exchange).
 */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "arena.h"
#include "audit.h"
#include "auditq.h"
#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "json.h"
#include "jwks.h"
#include "lease.h"
#include "log.h"
#include "oidc.h"
#include "ratelimit.h"
#include "route.h"
#include "serve.h"
#include "session.h"
#include "signkey.h"
#include "token.h"
#include "trust.h"

int main(void);

/*
 * One statement, one round trip, for every refresh of a well-formed key
 * (granted or refused): the key looked up by its hash, the caller's
 * address bucket read (an address that has used up its refused
 * credentials gets 429 for the next refused one; a good key is never
 * refused for its address), the key's bucket moved on when the key is
 * good (ON CONFLICT ... WHERE refuses when it is empty), the address
 * bucket moved on when the key is refused, last_used_at written at most
 * once a minute, and the audit row. Buckets live in an UNLOGGED table and the transaction
 * commits without waiting for its WAL flush (synchronous_commit off for
 * this statement only): a crash of PostgreSQL may lose the last fraction
 * of a second of audit rows, a refresh never waits for a disk.
 *
 * The key's bucket moves on by as many tokens as it can give up to the
 * $8 asked for (lib/lease.h: one unless the process is under load and
 * the key has thousands to spare); granted says how many it took.
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
 * A refresh of a key this process holds reserved tokens for: the key
 * checked, read only. No row, or ok false (the key revoked or expired),
 * goes on to stmt_refresh, which records why.
 *
 * $1 key hash.
 */
TT_DB_STMT(stmt_refresh_lookup) = {
	.name = "refresh_lookup",
	.sql =
	    "SELECT id, user_id, capabilities::text AS capabilities, "
	    "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) "
	    "AS ok, last_used_at IS NULL OR last_used_at < now() - interval "
	    "'60 seconds' AS stale, " TT_DB_US("now()") " AS now_us "
	    "FROM api_keys WHERE key_sha256 = decode($1, 'hex')",
	.nparams = 1,
	.retry = 1,
};

/*
 * The rows lib/auditq.c queued ($1, JSON) into the trail at their own
 * times, and the last_used_at they made due: keys another transaction
 * holds are skipped (it is writing theirs), so this never waits on a
 * row lock.
 */
TT_DB_STMT(stmt_refresh_flush) = {
	.name = "refresh_flush",
	.sql =
	    "WITH qr AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(at "
	    "bigint, user_id uuid, key uuid, addr text, ua text, touch boolean)), "
	    "qa AS (INSERT INTO audit_events (at, event, outcome, via, user_id, "
	    "api_key_id, source_address, user_agent) SELECT "
	    TT_DB_FROM_US("qr.at") ", 'refresh', 'ok', 'api', qr.user_id, "
	    "qr.key, qr.addr, qr.ua FROM qr ORDER BY qr.at RETURNING 1), "
	    "qt AS (UPDATE api_keys SET last_used_at = now() WHERE id IN "
	    "(SELECT id FROM api_keys WHERE id IN (SELECT key FROM qr WHERE "
	    "touch) AND (last_used_at IS NULL OR last_used_at < now() - "
	    "interval '60 seconds') ORDER BY id FOR UPDATE SKIP LOCKED) "
	    "RETURNING 1) "
	    "SELECT (SELECT count(*) FROM qa) AS n, "
	    "set_config('synchronous_commit', 'off', true) AS sc",
	.nparams = 1,
};

/*
 * Writes the queued rows. They stay queued while the database cannot be
 * reached (tried again later, backing off to FLUSH_BACKOFF_MAX_MS);
 * rows it refuses are logged one by one and dropped, so that one bad
 * row cannot stop the next ones.
 */
#define FLUSH_BACKOFF_MAX_MS	5000

static int64_t	flush_wait_ms;		/* 0: no failure pending */
static int64_t	flush_next_us;		/* monotonic: no attempt before */

static enum tt_err
flush_queue(struct tt_arena *a)
{
	struct tt_db_res	*res;
	const char		*p[1];
	int			 n = tt_auditq_count();
	enum tt_err		 e;

	if (n == 0)
		return TT_OK;
	if (flush_wait_ms != 0 && tt_clock_mono_us() < flush_next_us)
		return TT_EUNAVAIL;
	p[0] = tt_auditq_json(a);
	e = tt_db_run(a, &stmt_refresh_flush, p, &res);
	if (e == TT_OK) {
		tt_auditq_written(n);
		flush_wait_ms = 0;
		return TT_OK;
	}
	if (e != TT_EUNAVAIL && e != TT_ETIMEOUT) {
		tt_auditq_drop("the database refused them");
		flush_wait_ms = 0;
		return e;
	}
	flush_wait_ms = flush_wait_ms == 0 ? TT_SERVE_IDLE_MS :
	    flush_wait_ms * 2 > FLUSH_BACKOFF_MAX_MS ? FLUSH_BACKOFF_MAX_MS :
	    flush_wait_ms * 2;
	flush_next_us = tt_clock_mono_us() + flush_wait_ms * 1000;
	tt_log_warnx("%d queued audit rows not written yet (next try in "
	    "%lld ms)", n, (long long)flush_wait_ms);
	return e;
}

/* The idle run of flush_queue (lib/serve.h); at exit, the last one. */
static void
flush_idle(int last)
{
	struct tt_arena	*a = tt_arena_new();

	if (last)
		flush_wait_ms = 0;
	if (flush_queue(a) != TT_OK && tt_auditq_count() > 0) {
		if (last)
			tt_auditq_drop("the process is exiting and the "
			    "database cannot be reached");
		else
			tt_serve_idle(flush_idle);
	}
	tt_db_end_request();
	tt_arena_free(a);
}

/*
 * After each request, before its answer: queued rows are written now
 * when the queue is full or old, or when no other request comes for this
 * process within LINGER_MS (so the last answer of a burst follows its
 * rows into the trail: a client that waited for its answers sees them),
 * else with a later request or when the process idles.
 */
#define LINGER_MS	2

static void
settle_queue(struct tt_arena *a)
{
	if (tt_auditq_count() > 0 &&
	    (tt_auditq_due() || !tt_serve_busy(LINGER_MS)))
		(void)flush_queue(a);
	tt_serve_idle(tt_auditq_count() > 0 ? flush_idle : NULL);
}

/* The 401 of each refused outcome. */
static enum tt_err
refused(struct tt_resp *resp, const char *outcome)
{
	if (strcmp(outcome, "revoked") == 0)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL,
		    "this API key has been revoked");
	if (strcmp(outcome, "expired") == 0)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL,
		    "this API key has expired");
	return tt_resp_fail(resp, TT_EUNAUTH, NULL, "unknown API key");
}

static int64_t
num(const struct tt_db_res *res, const char *col)
{
	const char	*v = tt_db_get(res, 0, col);

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/*
 * What the statements of one refresh are given, worked out once: the
 * caller (address, "" if none, and user agent, cleaned) and the limits
 * as text; window_us is the window in microseconds.
 */
struct call {
	struct tt_audit_src	 src;
	const char		*addr;
	int64_t			 window_us;
	char			 per_key[24], per_addr[24], window[24];
};

static void
call_init(struct tt_req *req, struct call *k)
{
	tt_audit_src_req(req, &k->src);
	k->addr = k->src.addr != NULL ? k->src.addr : "";
	k->window_us = tt_config.refresh_rate_window * 1000000;
	snprintf(k->per_key, sizeof(k->per_key), "%lld",
	    (long long)tt_config.refresh_rate_per_key);
	snprintf(k->per_addr, sizeof(k->per_addr), "%lld",
	    (long long)tt_config.refresh_rate_per_address);
	snprintf(k->window, sizeof(k->window), "%lld",
	    (long long)k->window_us);
}

/* The 429 of an address past its refused-credential limit. */
static enum tt_err
address_limited(struct tt_resp *resp, const struct call *k,
    int64_t ahead_us)
{
	struct tt_rate	rate;

	rate.limit = tt_config.refresh_rate_per_address;
	rate.window_us = k->window_us;
	tt_rate_headers_refused(resp, &rate, ahead_us);
	return tt_resp_fail(resp, TT_ERATE, NULL, "too many refused "
	    "credentials from this address: try again later");
}

/* Runs stmt_refresh for the key whose hash is given. */
static enum tt_err
run_refresh(struct tt_req *req, const struct call *k, const char *hash,
    int64_t want, struct tt_db_res **res)
{
	const char		*p[7];
	char			 n[24];

	snprintf(n, sizeof(n), "%lld", (long long)want);
	p[0] = hash;
	p[1] = k->addr;
	p[2] = k->src.ua;
	p[3] = k->per_key;
	p[4] = k->per_addr;
	p[5] = k->window;
	p[6] = n;
	return tt_db_run(req->arena, &stmt_refresh, p, res);
}

/* Signs the access token and writes the answer both paths share. */
static enum tt_err
answer(struct tt_req *req, struct tt_resp *resp, struct tt_token_claims *c,
    int64_t ttl)
{
	const unsigned char	*secret;
	const char		*kid;
	char			*token;
	unsigned char		 jti[16];
	size_t			 len;
	enum tt_err		 e;
	cJSON			*j;

	c->issuer = tt_config.jwt_issuer;
	tt_crypto_random(jti, sizeof(jti));
	c->jti = tt_arena_alloc(req->arena, 2 * sizeof(jti) + 1);
	tt_crypto_hex(jti, sizeof(jti), (char *)c->jti);
	c->iat = (int64_t)req->now;
	c->exp = c->iat + ttl;

	if ((e = tt_signkey_current(req->arena, req->now, &kid, &secret,
	    &len)) != TT_OK)
		return e;
	if ((e = tt_token_sign(req->arena, kid, secret, len, c, &token)) !=
	    TT_OK)
		return e;

	j = tt_json_own(req->arena, cJSON_CreateObject());
	cJSON_AddStringToObject(j, "access_token", token);
	cJSON_AddStringToObject(j, "token", token);
	cJSON_AddStringToObject(j, "token_type", "Bearer");
	cJSON_AddNumberToObject(j, "expires_in", (double)ttl);
	tt_resp_cjson(resp, 200, j);
	req->session = NULL;
	return TT_OK;
}

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

/* Records the exchange; *outcome is what was recorded. */
static enum tt_err
audit_exchange(struct tt_req *req, const struct call *k, const char *known,
    const struct tt_trust_grant *g, const char **outcome,
    int64_t *addr_before)
{
	struct tt_db_res	*res;
	const char		*p[11];
	char			 exp[24], expired[24];
	int			 ok = strcmp(known, "ok") == 0;
	enum tt_err		 e;

	snprintf(exp, sizeof(exp), "%lld", (long long)g->exp);
	snprintf(expired, sizeof(expired), "%lld",
	    (long long)((int64_t)req->now - tt_config.clock_leeway));
	p[0] = known;
	p[1] = k->addr;
	p[2] = k->src.ua;
	p[3] = k->per_addr;
	p[4] = k->window;
	p[5] = g->policy != NULL ? g->policy->id : NULL;
	p[6] = g->policy != NULL ? g->policy->user_id : NULL;
	p[7] = ok ? g->issuer : NULL;
	p[8] = ok ? g->jti : NULL;
	p[9] = ok ? exp : NULL;
	p[10] = ok ? expired : NULL;
	if ((e = tt_db_run(req->arena, &stmt_exchange, p, &res)) != TT_OK)
		return e;
	*outcome = tt_db_get(res, 0, "outcome");
	*addr_before = num(res, "addr_before");
	return TT_OK;
}

/*
 * An OIDC ID token: a 401 names the check that failed, never what a
 * policy holds. Every exchange that reached a verdict is audited.
 */
static enum tt_err
exchange_oidc(struct tt_req *req, struct tt_resp *resp, const char *token)
{
	struct tt_trust_grant	 g;
	struct tt_token_claims	 c;
	struct call		 k;
	enum tt_oidc_check	 check;
	const char		*why, *known, *outcome;
	int64_t			 before;
	enum tt_err		 e, ae;

	e = tt_trust_exchange(req->arena, token, req->now, &g, &check, &why);
	if (e == TT_OK)
		known = "ok";
	else if (e == TT_EUNAUTH)
		known = tt_oidc_check_name(check);
	else if (e == TT_EUNAVAIL && check == TT_OIDC_SIGNATURE)
		known = "keys_unavailable";
	else
		return e;
	call_init(req, &k);
	if ((ae = audit_exchange(req, &k, known, &g, &outcome, &before)) !=
	    TT_OK)
		return ae;
	if (strcmp(outcome, "address_rate_limited") == 0)
		return address_limited(resp, &k, before);
	if (strcmp(outcome, "replayed") == 0) {
		tt_log_info("oidc exchange refused: token already used");
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "%s",
		    tt_oidc_check_str(TT_OIDC_REPLAYED));
	}
	if (e == TT_EUNAUTH) {
		tt_log_info("oidc exchange refused: %s", why);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "%s",
		    tt_oidc_check_str(check));
	}
	if (e == TT_EUNAVAIL) {
		/* Not fetched again before then, by any process. */
		tt_resp_header(resp, "Retry-After", "%lld",
		    (long long)(g.retry_s > 0 ? g.retry_s : 1));
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL, "the OIDC issuer's "
		    "signing keys could not be fetched; try again later");
	}
	memset(&c, 0, sizeof(c));
	c.user_id = g.policy->user_id;
	c.policy_id = g.policy->id;
	c.oidc = g.identity;
	c.caps = g.policy->caps;
	return answer(req, resp, &c, g.ttl);
}

/* The access token of the key whose row res holds (id, user, caps). */
static enum tt_err
answer_key(struct tt_req *req, struct tt_resp *resp,
    const struct tt_db_res *res)
{
	struct tt_token_claims	 c;
	const char		*capstext, *why;

	capstext = tt_db_get(res, 0, "capabilities");
	memset(&c, 0, sizeof(c));
	c.caps = tt_json_parse(req->arena, capstext, strlen(capstext), &why);
	if (c.caps == NULL)
		return TT_EINTERNAL;
	c.user_id = tt_db_get(res, 0, "user_id");
	c.api_key_id = tt_db_get(res, 0, "id");
	return answer(req, resp, &c, tt_config.access_token_ttl);
}

/*
 * A refresh spent from a token this process reserved earlier: *done is
 * 1 when answered here (the key is still good and a token was left),
 * else 0 and nothing was answered.
 */
static enum tt_err
from_lease(struct tt_req *req, struct tt_resp *resp, const struct call *k,
    const char *hash, int *done)
{
	struct tt_db_res	*res;
	struct tt_rate		 rate;
	const char		*p[1];
	int64_t			 ahead;
	enum tt_err		 e;

	*done = 0;
	p[0] = hash;
	if ((e = tt_db_run(req->arena, &stmt_refresh_lookup, p, &res)) !=
	    TT_OK)
		return e;
	if (tt_db_nrows(res) != 1 || strcmp(tt_db_get(res, 0, "ok"), "t") != 0) {
		tt_lease_drop(hash);
		return TT_OK;
	}
	if (tt_auditq_count() == TT_AUDITQ_MAX &&
	    flush_queue(req->arena) != TT_OK)
		return TT_OK;
	if (!tt_lease_take(hash, &rate.limit, &ahead))
		return TT_OK;
	if (!tt_auditq_add(tt_db_get(res, 0, "now_us"),
	    tt_db_get(res, 0, "user_id"), tt_db_get(res, 0, "id"),
	    k->src.addr, k->src.ua,
	    strcmp(tt_db_get(res, 0, "stale"), "t") == 0))
		return TT_EINTERNAL;
	*done = 1;
	rate.window_us = k->window_us;
	tt_rate_headers_ok(resp, &rate, ahead);
	return answer_key(req, resp, res);
}

static enum tt_err
refresh(struct tt_req *req, struct tt_resp *resp)
{
	struct tt_db_res	*res;
	struct tt_rate		 rate;
	struct call		 k;
	const char		*key, *iss, *outcome;
	char			 hash[65];
	int			 busy, done = 0;
	enum tt_err		 e;

	if ((key = tt_session_bearer(req, resp)) == NULL)
		return TT_EUNAUTH;
	if (strncmp(key, TT_APIKEY_PREFIX, strlen(TT_APIKEY_PREFIX)) != 0 &&
	    tt_token_looks_like(key)) {
		if (tt_oidc_issuer_of(req->arena, key, tt_config.jwt_issuer,
		    &iss))
			return exchange_oidc(req, resp, key);
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "this is an access "
		    "token, not an API key: send the API key (tt_live_...) "
		    "here, and the access token to the other endpoints");
	}
	/* The checksum tells typos and guesses from keys: no database. */
	if (!tt_apikey_check(key))
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "malformed API key: "
		    "expected tt_live_ followed by 42 letters and digits");
	call_init(req, &k);
	tt_apikey_hash_hex(key, hash);
	busy = tt_serve_busy(0);
	if (tt_lease_has(hash) && ((e = from_lease(req, resp, &k, hash,
	    &done)) != TT_OK || done))
		return e;

	if ((e = run_refresh(req, &k, hash, tt_lease_want(hash, busy),
	    &res)) != TT_OK)
		return e;
	outcome = tt_db_get(res, 0, "outcome");
	if (strcmp(outcome, "address_rate_limited") == 0)
		return address_limited(resp, &k, num(res, "addr_before"));
	if (strcmp(outcome, "ok") != 0 &&
	    strcmp(outcome, "key_rate_limited") != 0) {
		tt_lease_drop(hash);
		return refused(resp, outcome);
	}

	rate.limit = num(res, "lim");
	rate.window_us = k.window_us;
	if (strcmp(outcome, "key_rate_limited") == 0) {
		tt_rate_headers_refused(resp, &rate, num(res, "key_before"));
		return tt_resp_fail(resp, TT_ERATE, NULL, "this API key has "
		    "made %lld refreshes in %lld s: try again later",
		    (long long)rate.limit,
		    (long long)tt_config.refresh_rate_window);
	}
	tt_rate_headers_ok(resp, &rate, num(res, "key_ahead"));
	tt_lease_store(hash, num(res, "granted"), num(res, "key_ahead"),
	    rate.limit, rate.window_us);
	return answer_key(req, resp, res);
}

static enum tt_err
handle_refresh(struct tt_req *req, struct tt_resp *resp)
{
	enum tt_err	e;

	e = refresh(req, resp);
	settle_queue(req->arena);
	return e;
}

static const struct tt_route routes[] = {
	{ TT_POST, "/api/v1/access-token/refresh", 0, 0, 0, handle_refresh },
};

int
main(void)
{
	int	rc;

	rc = tt_serve("refresh", routes, TT_NITEMS(routes));
	tt_jwks_cleanup();
	return rc;
}
