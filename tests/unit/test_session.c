/*
 * test_session.c: unit tests for session.c, the whole session check,
 * against a real PostgreSQL: each refusal of the sequence in session.c's
 * header with its status and error id, in its order, and the gate of
 * the TT_ROUTE_GATED routes (a refused caller's statement never runs,
 * tt_session_finish answers the verdict). Calls tt_session_require and
 * tt_session_finish directly, with a request built here the way serve.c
 * builds one.
 *
 * Needs TT_DATABASE_URL, a migrated database: tests/run.sh unit starts
 * one. By hand: TT_DATABASE_URL=... build/tests/unit/test_session
 * (tests/unit/testdb.h starts one). Without it every test fails.
 */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "caps.h"
#include "db.h"
#include "http.h"
#include "json.h"
#include "kv.h"
#include "route.h"
#include "session.h"
#include "testdb.h"

#define RW	"[\"kv_store_read\",\"kv_store_write\"]"

/*
 * One test's world: a user who is a member of an installation, a live
 * API key with RW, and an access token for it, all new.
 */
static struct tt_arena	*A;
static const char	*user, *inst, *key;
static char		*token;

/* A request as serve.c hands it to the session check, and its answer. */
struct call {
	struct tt_req	 req;
	struct tt_resp	 resp;
	struct tt_route	 route;
	char		*env[2];
	enum tt_err	 e;
};

static void
resp_free(void *p)
{
	struct tt_resp	*resp = p;

	tt_buf_free(&resp->headers);
	tt_buf_free(&resp->body);
}

static int
world(void **state)
{
	time_t	now = time(NULL);

	(void)state;
	A = tt_arena_new();
	user = testdb_user(A);
	inst = testdb_installation(A);
	testdb_member(A, inst, user);
	key = testdb_key(A, user, RW);
	token = testdb_token(A, user, key, RW, now, now + 60, NULL);
	return 0;
}

static int
world_end(void **state)
{
	(void)state;
	tt_db_end_request();
	tt_arena_free(A);
	return 0;
}

/*
 * A request on a route needing caps with flags, for installation inst
 * (NULL: none in the path), with the Authorization header authz (NULL:
 * none).
 */
static struct call *
call_new(unsigned caps, unsigned flags, const char *in, const char *authz)
{
	struct call	*c;

	c = tt_arena_alloc(A, sizeof(*c));
	memset(c, 0, sizeof(*c));
	tt_arena_defer(A, resp_free, &c->resp);
	c->route.method = TT_GET;
	c->route.pattern = "/unit/{int:installation_id}";
	c->route.caps = caps;
	c->route.flags = TT_ROUTE_AUTH | flags;
	c->env[0] = authz != NULL ? tt_arena_printf(A,
	    "HTTP_AUTHORIZATION=%s", authz) : NULL;
	c->req.arena = A;
	c->req.envp = c->env;
	c->req.method = TT_GET;
	c->req.method_name = "GET";
	c->req.path = "/unit";
	c->req.query = "";
	c->req.route = &c->route;
	c->req.now = time(NULL);
	if (in != NULL) {
		c->req.params[0].name = "installation_id";
		c->req.params[0].value = in;
		c->req.params[0].len = strlen(in);
		c->req.nparams = 1;
	}
	return c;
}

static const char *
bearer(const char *t)
{
	return tt_arena_printf(A, "Bearer %s", t);
}

/* The check on a KV read route of installation in, as serve.c runs it. */
static struct call *
ask(unsigned flags, const char *in, const char *authz)
{
	struct call	*c;

	c = call_new(TT_CAP_KV_READ, TT_ROUTE_INSTALLATION | flags, in, authz);
	c->e = tt_session_require(&c->req, &c->resp);
	return c;
}

static const char *
text(const struct tt_buf *b)
{
	return b->n > 0 ? b->p : "";
}

/* The answer serve.c would write for a refusal: its body (arena copy). */
static const char *
answer(struct call *c)
{
	assert_int_not_equal(c->e, TT_OK);
	tt_http_error(&c->resp, c->e);
	return tt_arena_strdup(A, text(&c->resp.body));
}

/* The refusal has this status and error id; returns its message. */
static const char *
refused(struct call *c, int status, const char *id)
{
	const char	*body, *why;
	cJSON		*j;

	body = answer(c);
	assert_int_equal(c->resp.status, status);
	j = tt_json_parse(A, body, strlen(body), &why);
	assert_non_null(j);
	assert_string_equal(tt_json_string(j, "id"), id);
	assert_non_null(tt_json_string(j, "data"));
	return tt_json_string(j, "data");
}

static void
assert_contains(const char *s, const char *part)
{
	if (strstr(s, part) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* A KV record of installation in (written without a gate). */
static void
kv_put(const char *in, const char *k, const char *body)
{
	struct tt_kv_ctx	 ctx = { in, RW };
	struct tt_kv_write	 w;
	struct tt_kv_record	 rec;

	memset(&w, 0, sizeof(w));
	w.key = k;
	w.body = body;
	w.committed = 1;
	assert_int_equal(tt_kv_set(A, &ctx, &w, &rec), TT_OK);
}

static enum tt_err
kv_get(const char *in, const char *k, const char *sel,
    struct tt_kv_record *rec)
{
	struct tt_kv_ctx	ctx = { in, RW };

	return tt_kv_get(A, &ctx, k, 0, 1, sel, rec);
}

/* A handler's answer, which a refusal must replace whole. */
static void
handler_writes(struct call *c)
{
	tt_resp_header(&c->resp, "X-Handler", "ran");
	tt_resp_header(&c->resp, "Content-Type", "text/plain");
	tt_resp_json(&c->resp, 200, "{\"handler\":\"secret row\"}");
}

/* --- Passing. --- */

static void
test_valid_token_passes(void **state)
{
	struct call	*c;

	(void)state;
	c = ask(0, inst, bearer(token));
	assert_int_equal(c->e, TT_OK);
	assert_non_null(c->req.session);
	assert_string_equal(c->req.session->user_id, user);
	assert_string_equal(c->req.session->api_key_id, key);
	assert_string_equal(c->req.session->inst, inst);
	assert_false(c->req.session->gated);
	assert_int_equal(c->resp.status, 0);
	assert_int_equal(c->resp.body.n, 0);
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_NONE);
}

static void
test_scheme_is_case_insensitive(void **state)
{
	struct call	*c;

	(void)state;
	c = ask(0, inst, tt_arena_printf(A, "bearer \t%s ", token));
	assert_int_equal(c->e, TT_OK);
}

static void
test_route_without_installation_needs_no_membership(void **state)
{
	struct call	*c;

	(void)state;
	testdb_unmember(A, inst, user);
	c = call_new(TT_CAP_KV_READ, 0, NULL, bearer(token));
	c->e = tt_session_require(&c->req, &c->resp);
	assert_int_equal(c->e, TT_OK);
	assert_int_equal(c->req.session->installation_id, 0);
}

static void
test_restriction_naming_the_installation_passes(void **state)
{
	const char	*caps;
	time_t		 now = time(NULL);
	struct call	*c;

	(void)state;
	caps = tt_arena_printf(A, "[\"kv_store_read\",{\"name\":"
	    "\"installation_id\",\"id\":\"%s\"}]", inst);
	c = ask(0, inst, bearer(testdb_token(A, user, key, caps, now,
	    now + 60, NULL)));
	assert_int_equal(c->e, TT_OK);
}

/* --- Step 1: the credential. --- */

static void
test_missing_header_is_401(void **state)
{
	struct call	*c;

	(void)state;
	c = ask(0, inst, NULL);
	assert_int_equal(c->e, TT_EUNAUTH);
	assert_contains(refused(c, 401, "UNAUTHORIZED"),
	    "missing Authorization");
	assert_null(c->req.session);
	assert_contains(text(&c->resp.headers), "WWW-Authenticate: Bearer");
}

static void
test_empty_header_is_401(void **state)
{
	(void)state;
	refused(ask(0, inst, ""), 401, "UNAUTHORIZED");
}

static void
test_wrong_scheme_is_401(void **state)
{
	(void)state;
	assert_contains(refused(ask(0, inst, "Basic dXNlcjpwYXNz"), 401,
	    "UNAUTHORIZED"), "Bearer scheme");
	/* "Bearer" must be a word of its own. */
	refused(ask(0, inst, tt_arena_printf(A, "Bearerx %s", token)), 401,
	    "UNAUTHORIZED");
}

static void
test_empty_bearer_is_401(void **state)
{
	(void)state;
	assert_contains(refused(ask(0, inst, "Bearer   "), 401,
	    "UNAUTHORIZED"), "empty bearer token");
}

/* --- Step 2: the token, without the database. --- */

static void
test_api_key_where_a_token_belongs_is_401(void **state)
{
	(void)state;
	assert_contains(refused(ask(0, inst, "Bearer tt_live_"
	    "0123456789abcdefghijABCDEFGHIJ0123456789"), 401, "UNAUTHORIZED"),
	    "this is an API key, not an access token");
}

static void
test_garbage_token_is_401(void **state)
{
	(void)state;
	refused(ask(0, inst, "Bearer not-a-token"), 401, "UNAUTHORIZED");
	refused(ask(0, inst, "Bearer a.b.c"), 401, "UNAUTHORIZED");
}

static void
test_bad_signature_is_401(void **state)
{
	static const unsigned char other[32] = "another secret, not the server";
	time_t		 now = time(NULL);
	struct call	*c;

	(void)state;
	c = ask(0, inst, bearer(testdb_token(A, user, key, RW, now, now + 60,
	    other)));
	assert_int_equal(c->e, TT_EUNAUTH);
	refused(c, 401, "UNAUTHORIZED");
	assert_null(c->req.session);
}

static void
test_expired_token_is_401(void **state)
{
	time_t	now = time(NULL);

	(void)state;
	assert_contains(refused(ask(0, inst, bearer(testdb_token(A, user, key,
	    RW, now - 120, now - 60, NULL))), 401, "UNAUTHORIZED"),
	    "access token expired");
}

/* --- Steps 3 and 4: the database's answer, read in order. --- */

static void
test_revoked_key_is_401(void **state)
{
	struct call	*c;

	(void)state;
	testdb_revoke(A, key);
	c = ask(0, inst, bearer(token));
	assert_int_equal(c->e, TT_EUNAUTH);
	assert_contains(refused(c, 401, "UNAUTHORIZED"), "revoked");
}

static void
test_expired_key_is_401(void **state)
{
	const char	*p[1] = { key };

	(void)state;
	testdb_sql(A, "UPDATE api_keys SET expires_at = now() - interval "
	    "'1 second' WHERE id = $1::uuid", 1, p);
	assert_contains(refused(ask(0, inst, bearer(token)), 401,
	    "UNAUTHORIZED"), "has expired");
}

static void
test_deleted_key_is_401(void **state)
{
	const char	*p[1] = { key };

	(void)state;
	testdb_sql(A, "DELETE FROM api_keys WHERE id = $1::uuid", 1, p);
	refused(ask(0, inst, bearer(token)), 401, "UNAUTHORIZED");
}

/* 4a before 4b: a revoked key is 401 even when it also lacks the cap. */
static void
test_revoked_key_is_401_before_missing_capability(void **state)
{
	time_t	now = time(NULL);

	(void)state;
	testdb_revoke(A, key);
	refused(ask(0, inst, bearer(testdb_token(A, user, key,
	    "[\"kv_store_write\"]", now, now + 60, NULL))), 401,
	    "UNAUTHORIZED");
}

static void
test_missing_capability_is_403(void **state)
{
	time_t		 now = time(NULL);
	struct call	*c;

	(void)state;
	c = ask(0, inst, bearer(testdb_token(A, user, key,
	    "[\"kv_store_write\"]", now, now + 60, NULL)));
	assert_int_equal(c->e, TT_EFORBIDDEN);
	assert_contains(refused(c, 403, "MISSING_CAPABILITY"),
	    "kv_store_read");
}

/* 4b before 4d: a non-member lacking the capability hears about that. */
static void
test_missing_capability_is_403_before_membership(void **state)
{
	time_t	now = time(NULL);

	(void)state;
	testdb_unmember(A, inst, user);
	refused(ask(0, inst, bearer(testdb_token(A, user, key,
	    "[\"kv_store_write\"]", now, now + 60, NULL))), 403,
	    "MISSING_CAPABILITY");
}

static void
test_installation_restriction_is_403(void **state)
{
	const char	*other, *caps;
	time_t		 now = time(NULL);

	(void)state;
	other = testdb_installation(A);
	testdb_member(A, other, user);
	caps = tt_arena_printf(A, "[\"kv_store_read\",{\"name\":"
	    "\"installation_id\",\"id\":\"%s\"}]", other);
	/* A member of inst, but the token is for other only. */
	assert_contains(refused(ask(0, inst, bearer(testdb_token(A, user, key,
	    caps, now, now + 60, NULL))), 403, "NO_INSTALLATION_ACCESS"),
	    "installation_id capability");
}

static void
test_not_a_member_is_403(void **state)
{
	struct call	*c;

	(void)state;
	testdb_unmember(A, inst, user);
	c = ask(0, inst, bearer(token));
	assert_int_equal(c->e, TT_EFORBIDDEN);
	assert_contains(refused(c, 403, "NO_INSTALLATION_ACCESS"),
	    "not a member");
}

/* Whether the installation exists is not told to a non-member. */
static void
test_missing_installation_answers_as_not_a_member(void **state)
{
	const char	*other, *p[1], *exists, *gone;
	struct call	*c;

	(void)state;
	other = testdb_installation(A);
	c = ask(0, other, bearer(token));
	refused(c, 403, "NO_INSTALLATION_ACCESS");
	exists = text(&c->resp.body);
	p[0] = other;
	testdb_sql(A, "DELETE FROM installations WHERE id = $1::bigint", 1, p);
	c = ask(0, other, bearer(token));
	refused(c, 403, "NO_INSTALLATION_ACCESS");
	gone = text(&c->resp.body);
	assert_string_equal(gone, exists);
}

static void
test_installation_param_not_a_number_is_404(void **state)
{
	(void)state;
	refused(ask(0, "0", bearer(token)), 404, "NOT_FOUND");
	refused(ask(0, "x1", bearer(token)), 404, "NOT_FOUND");
}

/* --- The gate (TT_ROUTE_GATED). --- */

static void
test_gated_route_sets_the_gate(void **state)
{
	struct call	*c;

	(void)state;
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	assert_int_equal(c->e, TT_OK);
	assert_true(c->req.session->gated);
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_PENDING);
}

/* 4b and 4c are answered before any statement: no gate for them. */
static void
test_gated_route_missing_capability_is_403_at_once(void **state)
{
	time_t		 now = time(NULL);
	struct call	*c;

	(void)state;
	c = ask(TT_ROUTE_GATED, inst, bearer(testdb_token(A, user, key,
	    "[\"kv_store_write\"]", now, now + 60, NULL)));
	assert_int_equal(c->e, TT_EFORBIDDEN);
	assert_false(c->req.session->gated);
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_NONE);
	refused(c, 403, "MISSING_CAPABILITY");
}

static void
test_gate_passes_a_member_and_keeps_the_answer(void **state)
{
	struct tt_kv_record	 rec;
	struct call		*c;

	(void)state;
	kv_put(inst, "gated", "{\"data\":{\"v\":1}}");
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	assert_int_equal(c->e, TT_OK);
	assert_int_equal(kv_get(inst, "gated", NULL, &rec), TT_OK);
	assert_string_equal(rec.data, "{\"v\": 1}");
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_PASSED);
	handler_writes(c);
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_OK), TT_OK);
	assert_int_equal(c->resp.status, 200);
	assert_string_equal(text(&c->resp.body),
	    "{\"handler\":\"secret row\"}");
	assert_contains(text(&c->resp.headers), "X-Handler: ran");
}

/* A handler's own error stands when the gate passed (no such key). */
static void
test_gate_passed_keeps_the_handlers_error(void **state)
{
	struct tt_kv_record	 rec;
	struct call		*c;

	(void)state;
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	assert_int_equal(kv_get(inst, "no such key", NULL, &rec),
	    TT_ENOTFOUND);
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_PASSED);
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_ENOTFOUND),
	    TT_ENOTFOUND);
}

static void
test_gate_refuses_a_removed_member(void **state)
{
	struct tt_kv_record	 rec;
	struct call		*c;

	(void)state;
	kv_put(inst, "gated", "{\"data\":{\"v\":1}}");
	testdb_unmember(A, inst, user);
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	assert_int_equal(c->e, TT_OK);		/* the gate decides */
	assert_int_equal(kv_get(inst, "gated", NULL, &rec), TT_EREFUSED);
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_REFUSED);
	handler_writes(c);
	c->e = tt_session_finish(&c->req, &c->resp, TT_EREFUSED);
	assert_int_equal(c->e, TT_EFORBIDDEN);
	/* The handler's answer is gone, whole. */
	assert_int_equal(c->resp.status, 0);
	assert_int_equal(c->resp.body.n, 0);
	assert_int_equal(c->resp.headers.n, 0);
	assert_false(c->resp.has_content_type);
	assert_contains(refused(c, 403, "NO_INSTALLATION_ACCESS"),
	    "not a member");
}

static void
test_gate_refuses_a_revoked_key(void **state)
{
	struct tt_kv_record	 rec;
	struct call		*c;

	(void)state;
	kv_put(inst, "gated", "{\"data\":{\"v\":1}}");
	testdb_revoke(A, key);
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	assert_int_equal(c->e, TT_OK);
	assert_int_equal(kv_get(inst, "gated", NULL, &rec), TT_EREFUSED);
	handler_writes(c);
	c->e = tt_session_finish(&c->req, &c->resp, TT_EREFUSED);
	assert_int_equal(c->e, TT_EUNAUTH);
	assert_int_equal(c->resp.body.n, 0);
	assert_contains(refused(c, 401, "UNAUTHORIZED"), "revoked");
}

/* A write behind the gate (pipelined with its flush) is not written. */
static void
test_gate_refused_write_writes_nothing(void **state)
{
	struct tt_kv_ctx	 ctx = { NULL, RW };
	struct tt_kv_write	 w;
	struct tt_kv_record	 rec;
	struct call		*c;

	(void)state;
	testdb_unmember(A, inst, user);
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	ctx.installation_id = inst;
	memset(&w, 0, sizeof(w));
	w.key = "written?";
	w.body = "{\"data\":1}";
	w.committed = 1;
	assert_int_equal(tt_kv_set(A, &ctx, &w, &rec), TT_EREFUSED);
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_EREFUSED),
	    TT_EFORBIDDEN);
	tt_db_end_request();
	assert_int_equal(kv_get(inst, "written?", NULL, &rec), TT_ENOTFOUND);
}

/* A transaction (KV commit) runs a pending gate alone first. */
static void
test_gate_refuses_before_a_transaction(void **state)
{
	struct tt_kv_ctx	 ctx = { NULL, RW };
	struct call		*c;
	int64_t			*idxs;
	int			 n;

	(void)state;
	testdb_unmember(A, inst, user);
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	ctx.installation_id = inst;
	assert_int_equal(tt_kv_commit(A, &ctx, "k", -1, &idxs, &n),
	    TT_EREFUSED);
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_EREFUSED),
	    TT_EFORBIDDEN);
}

static void
test_gate_passes_before_a_transaction(void **state)
{
	struct tt_kv_ctx	 ctx = { NULL, RW };
	struct call		*c;
	int64_t			*idxs;
	int			 n;

	(void)state;
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	ctx.installation_id = inst;
	assert_int_equal(tt_kv_commit(A, &ctx, "k", -1, &idxs, &n), TT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_OK), TT_OK);
}

/* The handler ran no statement: the check runs alone and decides. */
static void
test_finish_without_statement_refuses_a_non_member(void **state)
{
	struct call	*c;

	(void)state;
	testdb_unmember(A, inst, user);
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	assert_int_equal(tt_db_gate_state(), TT_DB_GATE_PENDING);
	handler_writes(c);
	c->e = tt_session_finish(&c->req, &c->resp, TT_OK);
	assert_int_equal(c->e, TT_EFORBIDDEN);
	assert_int_equal(c->resp.body.n, 0);
	assert_int_equal(c->resp.headers.n, 0);
	refused(c, 403, "NO_INSTALLATION_ACCESS");
}

static void
test_finish_without_statement_keeps_a_members_answer(void **state)
{
	struct call	*c;

	(void)state;
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	handler_writes(c);
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_OK), TT_OK);
	assert_int_equal(c->resp.status, 200);
	assert_string_equal(text(&c->resp.body),
	    "{\"handler\":\"secret row\"}");
	/* A handler's 400 stands too. */
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_EINVAL),
	    TT_EINVAL);
}

/* Without a gate, finish leaves everything to the handler. */
static void
test_finish_on_ungated_route_returns_the_handlers_result(void **state)
{
	struct call	*c;

	(void)state;
	c = ask(0, inst, bearer(token));
	handler_writes(c);
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_ECONFLICT),
	    TT_ECONFLICT);
	assert_int_equal(c->resp.status, 200);
}

/* Refused by the gate, passed by the check: a race, never a pass. */
static void
test_gate_refused_check_passed_is_503(void **state)
{
	struct tt_kv_record	 rec;
	struct call		*c;

	(void)state;
	kv_put(inst, "gated", "{\"data\":1}");
	testdb_unmember(A, inst, user);
	c = ask(TT_ROUTE_GATED, inst, bearer(token));
	assert_int_equal(kv_get(inst, "gated", NULL, &rec), TT_EREFUSED);
	testdb_member(A, inst, user);
	assert_int_equal(tt_session_finish(&c->req, &c->resp, TT_EREFUSED),
	    TT_EUNAVAIL);
}

/*
 * A statement that would fail for anyone (an invalid jsonpath select on
 * an existing key) never runs for a refused caller: the answer is the
 * verdict, the same as for a key that does not exist.
 */
static void
test_refused_callers_statement_never_runs(void **state)
{
	struct tt_kv_record	 rec;
	const char		*other, *sel, *good, *row, *none;
	struct call		*c;

	(void)state;
	other = testdb_installation(A);
	kv_put(other, "their key", "{\"data\":{\"a\":1}}");
	assert_int_equal(tt_kv_select(A, "select=x%3D%24%24%24", &sel), 0);
	assert_int_equal(tt_kv_select(A, "select=x%3D%24.a", &good), 0);
	/* Without a gate the statement fails: it reads the row. */
	assert_int_equal(kv_get(other, "their key", sel, &rec), TT_EINVAL);

	c = ask(TT_ROUTE_GATED, other, bearer(token));
	assert_int_equal(c->e, TT_OK);
	assert_int_equal(kv_get(other, "their key", sel, &rec), TT_EREFUSED);
	c->e = tt_session_finish(&c->req, &c->resp, TT_EINVAL);
	assert_int_equal(c->e, TT_EFORBIDDEN);
	refused(c, 403, "NO_INSTALLATION_ACCESS");
	row = tt_arena_strdup(A, text(&c->resp.body));
	tt_db_end_request();

	c = ask(TT_ROUTE_GATED, other, bearer(token));
	assert_int_equal(kv_get(other, "no such key", good, &rec),
	    TT_EREFUSED);
	c->e = tt_session_finish(&c->req, &c->resp, TT_ENOTFOUND);
	refused(c, 403, "NO_INSTALLATION_ACCESS");
	none = text(&c->resp.body);
	assert_string_equal(row, none);
}

int main(void);

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, world, world_end)
	const struct CMUnitTest tests[] = {
		T(test_valid_token_passes),
		T(test_scheme_is_case_insensitive),
		T(test_route_without_installation_needs_no_membership),
		T(test_restriction_naming_the_installation_passes),
		T(test_missing_header_is_401),
		T(test_empty_header_is_401),
		T(test_wrong_scheme_is_401),
		T(test_empty_bearer_is_401),
		T(test_api_key_where_a_token_belongs_is_401),
		T(test_garbage_token_is_401),
		T(test_bad_signature_is_401),
		T(test_expired_token_is_401),
		T(test_revoked_key_is_401),
		T(test_expired_key_is_401),
		T(test_deleted_key_is_401),
		T(test_revoked_key_is_401_before_missing_capability),
		T(test_missing_capability_is_403),
		T(test_missing_capability_is_403_before_membership),
		T(test_installation_restriction_is_403),
		T(test_not_a_member_is_403),
		T(test_missing_installation_answers_as_not_a_member),
		T(test_installation_param_not_a_number_is_404),
		T(test_gated_route_sets_the_gate),
		T(test_gated_route_missing_capability_is_403_at_once),
		T(test_gate_passes_a_member_and_keeps_the_answer),
		T(test_gate_passed_keeps_the_handlers_error),
		T(test_gate_refuses_a_removed_member),
		T(test_gate_refuses_a_revoked_key),
		T(test_gate_refused_write_writes_nothing),
		T(test_gate_refuses_before_a_transaction),
		T(test_gate_passes_before_a_transaction),
		T(test_finish_without_statement_refuses_a_non_member),
		T(test_finish_without_statement_keeps_a_members_answer),
		T(test_finish_on_ungated_route_returns_the_handlers_result),
		T(test_gate_refused_check_passed_is_503),
		T(test_refused_callers_statement_never_runs),
	};
#undef T

	return cmocka_run_group_tests(tests, testdb_open, testdb_close);
}
