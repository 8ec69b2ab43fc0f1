/* test_token.c: unit tests for token.c, the JWT wrapper over libjwt. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "json.h"
#include "token.h"

/* RFC 7515 appendix A.1: an HS256 JWS and its key (base64url JWK "k"). */
static const char rfc7515_token[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char rfc7515_k[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcg"
    "UuTwjAzZr1Z9CAow";

/*
 * The fixed-clock access token: tt_token_sign with kid "k1", a secret of
 * 32 'k' bytes and fixed_claims(); checked independently with Python's
 * hmac when it was recorded. Any change to the encoding shows here.
 */
static const char fixed_token[] = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJleHAiOjE3MDAwMDAwNjAsImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoidGVycmF0ZWFtIiwianRpIjoiMDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmYiLCJzdWIiOiI2ZjFjMGQyZS0zYjRhLTRjNWQtOGU5Zi0wYTFiMmMzZDRlNWYiLCJ0ZXJyYXRlYW0iOnsiYXBpX2tleV9pZCI6IjBlMWYyYTNiLTRjNWQtNGU2Zi04YTliLTBjMWQyZTNmNGE1YiIsImNhcGFiaWxpdGllcyI6WyJrdl9zdG9yZV9yZWFkIix7Im5hbWUiOiJpbnN0YWxsYXRpb25faWQiLCJpZCI6IjEyMzQ1In1dLCJ1c2VyX2lkIjoiNmYxYzBkMmUtM2I0YS00YzVkLThlOWYtMGExYjJjM2Q0ZTVmIn19.oraSuu6O4Q-llrzWMtnScSbK4PjthdSJpwGyCnSWdk4";

static struct tt_arena		*A;
static unsigned char		 secret[32];

static int
setup(void **state)
{
	(void)state;
	A = tt_arena_new();
	memset(secret, 'k', sizeof(secret));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tt_arena_free(A);
	return 0;
}

static void
fixed_claims(struct tt_token_claims *c)
{
	const char	*why;
	static const char caps[] =
	    "[\"kv_store_read\",{\"name\":\"installation_id\",\"id\":\"12345\"}]";

	memset(c, 0, sizeof(*c));
	c->issuer = "terrateam";
	c->user_id = "6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f";
	c->api_key_id = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
	c->jti = "00112233445566778899aabbccddeeff";
	c->iat = 1700000000;
	c->exp = 1700000060;
	c->caps = tt_json_parse(A, caps, strlen(caps), &why);
	assert_non_null(c->caps);
}

static struct tt_token_rules
rules_at(time_t now)
{
	struct tt_token_rules	r;

	r.now = now;
	r.leeway = 5;
	r.max_ttl = 60;
	r.issuer = "terrateam";
	return r;
}

static void
test_rfc7515_a1_through_libjwt(void **state)
{
	unsigned char	*key;
	size_t		 keylen;
	jwt_t		*j = NULL;
	char		 bad[sizeof(rfc7515_token)];

	(void)state;
	key = tt_crypto_b64url_decode(A, rfc7515_k, strlen(rfc7515_k), &keylen);
	assert_non_null(key);
	assert_int_equal(keylen, 64);
	assert_int_equal(jwt_decode(&j, rfc7515_token, key, (int)keylen), 0);
	assert_int_equal(jwt_get_alg(j), JWT_ALG_HS256);
	assert_string_equal(jwt_get_grant(j, "iss"), "joe");
	jwt_free(j);

	/* One changed signature character and libjwt refuses it. */
	memcpy(bad, rfc7515_token, sizeof(bad));
	bad[sizeof(bad) - 2] = bad[sizeof(bad) - 2] == 'k' ? 'j' : 'k';
	j = NULL;
	assert_int_not_equal(jwt_decode(&j, bad, key, (int)keylen), 0);
	jwt_free(j);
}

static void
test_fixed_clock_token_byte_for_byte(void **state)
{
	struct tt_token_claims	c;
	char			*tok;

	(void)state;
	fixed_claims(&c);
	assert_int_equal(tt_token_sign(A, "k1", secret, sizeof(secret), &c,
	    &tok), TT_OK);
	assert_string_equal(tok, fixed_token);
}

static void
test_sign_refuses_short_secret(void **state)
{
	struct tt_token_claims	c;
	char			*tok;

	(void)state;
	fixed_claims(&c);
	assert_int_equal(tt_token_sign(A, "k1", secret, 31, &c, &tok),
	    TT_EINTERNAL);
}

static void
test_verify_roundtrip(void **state)
{
	struct tt_token_claims	c, out;
	struct tt_token_rules	r = rules_at(1700000030);
	const char		*why, *kid;

	(void)state;
	fixed_claims(&c);
	assert_int_equal(tt_token_header(A, fixed_token, &kid, &why), TT_OK);
	assert_string_equal(kid, "k1");
	assert_int_equal(tt_token_verify(A, fixed_token, secret,
	    sizeof(secret), &r, &out, &why), TT_OK);
	assert_string_equal(out.user_id, c.user_id);
	assert_string_equal(out.api_key_id, c.api_key_id);
	assert_int_equal(out.exp, 1700000060);
	assert_int_equal(cJSON_GetArraySize(out.caps), 2);
}

static void
test_verify_expiry_boundaries(void **state)
{
	struct tt_token_claims	out;
	struct tt_token_rules	r;
	const char		*why;

	(void)state;
	/* exp = 1700000060, leeway 5: rejected from now = exp + 5 on. */
	r = rules_at(1700000064);
	assert_int_equal(tt_token_verify(A, fixed_token, secret,
	    sizeof(secret), &r, &out, &why), TT_OK);
	r = rules_at(1700000065);
	assert_int_equal(tt_token_verify(A, fixed_token, secret,
	    sizeof(secret), &r, &out, &why), TT_EUNAUTH);
	assert_string_equal(why, "token expired");
	/* iat more than leeway in the future. */
	r = rules_at(1700000000 - 6);
	assert_int_equal(tt_token_verify(A, fixed_token, secret,
	    sizeof(secret), &r, &out, &why), TT_EUNAUTH);
	r = rules_at(1700000000 - 5);
	assert_int_equal(tt_token_verify(A, fixed_token, secret,
	    sizeof(secret), &r, &out, &why), TT_OK);
}

static void
test_verify_wrong_secret_and_issuer(void **state)
{
	struct tt_token_claims	out;
	struct tt_token_rules	r = rules_at(1700000030);
	unsigned char		other[32];
	const char		*why;

	(void)state;
	memset(other, 'x', sizeof(other));
	assert_int_equal(tt_token_verify(A, fixed_token, other,
	    sizeof(other), &r, &out, &why), TT_EUNAUTH);
	/* A NULL or short key never verifies anything. */
	assert_int_equal(tt_token_verify(A, fixed_token, NULL, 0, &r, &out,
	    &why), TT_EUNAUTH);
	assert_int_equal(tt_token_verify(A, fixed_token, secret, 16, &r, &out,
	    &why), TT_EUNAUTH);
	r.issuer = "someone-else";
	assert_int_equal(tt_token_verify(A, fixed_token, secret,
	    sizeof(secret), &r, &out, &why), TT_EUNAUTH);
	r = rules_at(1700000030);
	r.max_ttl = 59;
	assert_int_equal(tt_token_verify(A, fixed_token, secret,
	    sizeof(secret), &r, &out, &why), TT_EUNAUTH);
}

/* Replaces the header segment of the fixed token. */
static char *
with_header(const char *json)
{
	const char	*dot = strchr(fixed_token, '.');
	char		*h;

	h = tt_crypto_b64url_encode(A, (const unsigned char *)json,
	    strlen(json));
	return tt_arena_printf(A, "%s%s", h, dot);
}

static void
test_header_rejections(void **state)
{
	const char	*why, *kid;
	char		*big;

	(void)state;
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"none\",\"kid\":\"k1\"}"), &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS512\",\"kid\":\"k1\"}"), &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"hs256\",\"kid\":\"k1\"}"), &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"RS256\",\"kid\":\"k1\"}"), &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\"}"), &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"JWS\"}"), &kid, &why),
	    TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"alg\":\"none\",\"kid\":\"k1\"}"), &kid, &why),
	    TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"k1\"}"), &kid, &why), TT_OK);
	assert_int_equal(tt_token_header(A, "a.b", &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, "a.b.c.d", &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, "a b.c.d", &kid, &why), TT_EUNAUTH);

	/* 4097 bytes: refused before any decoding. */
	big = tt_arena_alloc(A, 4098);
	memset(big, 'A', 4097);
	big[10] = '.';
	big[20] = '.';
	assert_int_equal(tt_token_header(A, big, &kid, &why), TT_EUNAUTH);
	assert_string_equal(why, "token too long");
}

/* Our own header form (the short path) and near misses (the full one). */
static void
test_header_own_form(void **state)
{
	const char	*why, *kid;

	(void)state;
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"b1aad7d3cbca5cac\",\"typ\":\"JWT\"}"),
	    &kid, &why), TT_OK);
	assert_string_equal(kid, "b1aad7d3cbca5cac");
	/* Not hex: the full parse, same answer. */
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"K-1\",\"typ\":\"JWT\"}"),
	    &kid, &why), TT_OK);
	assert_string_equal(kid, "K-1");
	/* An empty kid, or one over 64 bytes, is still refused. */
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"\",\"typ\":\"JWT\"}"),
	    &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef0\",\"typ\":\"JWT\"}"),
	    &kid, &why), TT_EUNAUTH);
	/* A prefix of ours followed by more members: the full rules. */
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"ab\",\"typ\":\"JWT\","
	    "\"crit\":[\"x\"]}"),
	    &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"ab\",\"typ\":\"JWT\"}x"),
	    &kid, &why), TT_EUNAUTH);
	assert_int_equal(tt_token_header(A, with_header(
	    "{\"alg\":\"HS256\",\"kid\":\"ab\",\"alg\":\"none\","
	    "\"typ\":\"JWT\"}"),
	    &kid, &why), TT_EUNAUTH);
}

/* A token over raw header and payload text, signed with secret. */
static char *
raw_token(const char *header, const char *payload)
{
	unsigned char	 mac[32];
	char		*hp;

	hp = tt_arena_printf(A, "%s.%s",
	    tt_crypto_b64url_encode(A, (const unsigned char *)header,
	    strlen(header)), tt_crypto_b64url_encode(A,
	    (const unsigned char *)payload, strlen(payload)));
	tt_crypto_hmac_sha256(secret, sizeof(secret), hp, strlen(hp), mac);
	return tt_arena_printf(A, "%s.%s", hp,
	    tt_crypto_b64url_encode(A, mac, sizeof(mac)));
}

#define HDR	"{\"alg\":\"HS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}"
#define TT	"\"iss\":\"terrateam\",\"sub\":\"6f1c0d2e-3b4a-4c5d-8e9f-" \
		"0a1b2c3d4e5f\",\"terrateam\":{\"api_key_id\":\"0e1f2a3b-4c5d-" \
		"4e6f-8a9b-0c1d2e3f4a5b\",\"capabilities\":[],\"user_id\":" \
		"\"6f1c0d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f\"}"

static enum tt_err
verify_payload(const char *payload)
{
	struct tt_token_claims	out;
	struct tt_token_rules	r = rules_at(1700000030);
	const char		*why;

	return tt_token_verify(A, raw_token(HDR, payload), secret,
	    sizeof(secret), &r, &out, &why);
}

static void
test_claim_types(void **state)
{
	(void)state;
	/* The well-formed baseline passes, so each rejection means something. */
	assert_int_equal(verify_payload("{\"exp\":1700000060,\"iat\":"
	    "1700000000," TT "}"), TT_OK);
	assert_int_equal(verify_payload("{\"exp\": 1700000060 ,\"iat\":"
	    "1700000000," TT "}"), TT_OK);
	/* exp: missing, string, float, exponent, negative, duplicate. */
	assert_int_equal(verify_payload("{\"iat\":1700000000," TT "}"),
	    TT_EUNAUTH);
	assert_int_equal(verify_payload("{\"exp\":\"1700000060\",\"iat\":"
	    "1700000000," TT "}"), TT_EUNAUTH);
	assert_int_equal(verify_payload("{\"exp\":1700000060.0,\"iat\":"
	    "1700000000," TT "}"), TT_EUNAUTH);
	assert_int_equal(verify_payload("{\"exp\":1700000060.5,\"iat\":"
	    "1700000000," TT "}"), TT_EUNAUTH);
	assert_int_equal(verify_payload("{\"exp\":1.70000006e9,\"iat\":"
	    "1700000000," TT "}"), TT_EUNAUTH);
	assert_int_equal(verify_payload("{\"exp\":-1,\"iat\":"
	    "1700000000," TT "}"), TT_EUNAUTH);
	assert_int_equal(verify_payload("{\"exp\":1700000060,\"exp\":"
	    "1800000000,\"iat\":1700000000," TT "}"), TT_EUNAUTH);
	/* An escaped member name is refused rather than interpreted. */
	assert_int_equal(verify_payload("{\"\\u0065xp\":1700000060,\"iat\":"
	    "1700000000," TT "}"), TT_EUNAUTH);
	/* iat missing; nbf in the future; nbf within leeway. */
	assert_int_equal(verify_payload("{\"exp\":1700000060," TT "}"),
	    TT_EUNAUTH);
	assert_int_equal(verify_payload("{\"exp\":1700000060,\"iat\":"
	    "1700000000,\"nbf\":1700000036," TT "}"), TT_EUNAUTH);
	assert_int_equal(verify_payload("{\"exp\":1700000060,\"iat\":"
	    "1700000000,\"nbf\":1700000035," TT "}"), TT_OK);
	/* A nested "exp" is not the claim. */
	assert_int_equal(verify_payload("{\"x\":{\"exp\":1},\"iat\":"
	    "1700000000," TT "}"), TT_EUNAUTH);
}

static void
test_header_crit_and_short_signature(void **state)
{
	struct tt_token_claims	 out;
	struct tt_token_rules	 r = rules_at(1700000030);
	const char		*why;
	char			*t;

	(void)state;
	t = raw_token("{\"alg\":\"HS256\",\"kid\":\"k1\",\"crit\":[\"x\"]}",
	    "{\"exp\":1700000060,\"iat\":1700000000," TT "}");
	assert_int_equal(tt_token_verify(A, t, secret, sizeof(secret), &r,
	    &out, &why), TT_EUNAUTH);
	/* Drop the last signature character: 31 bytes never compare. */
	t = tt_arena_strdup(A, fixed_token);
	t[strlen(t) - 2] = '\0';
	assert_int_equal(tt_token_verify(A, t, secret, sizeof(secret), &r,
	    &out, &why), TT_EUNAUTH);
}

/* libjwt, an independent implementation, agrees with ours both ways. */
static void
test_cross_check_with_libjwt(void **state)
{
	struct tt_token_claims	 out;
	struct tt_token_rules	 r = rules_at(1700000030);
	const char		*why;
	jwt_t			*j = NULL;
	char			*ext;

	(void)state;
	assert_int_equal(jwt_decode(&j, fixed_token, secret, sizeof(secret)),
	    0);
	assert_int_equal(jwt_get_alg(j), JWT_ALG_HS256);
	assert_string_equal(jwt_get_grant(j, "iss"), "terrateam");
	assert_int_equal(jwt_get_grant_int(j, "exp"), 1700000060);
	jwt_free(j);

	assert_int_equal(jwt_new(&j), 0);
	assert_int_equal(jwt_set_alg(j, JWT_ALG_HS256, secret,
	    sizeof(secret)), 0);
	assert_int_equal(jwt_add_header(j, "kid", "k1"), 0);
	assert_int_equal(jwt_add_grants_json(j, "{" TT "}"), 0);
	assert_int_equal(jwt_add_grant_int(j, "exp", 1700000060), 0);
	assert_int_equal(jwt_add_grant_int(j, "iat", 1700000000), 0);
	ext = jwt_encode_str(j);
	assert_non_null(ext);
	assert_int_equal(tt_token_verify(A, ext, secret, sizeof(secret), &r,
	    &out, &why), TT_OK);
	free(ext);
	jwt_free(j);
}

static void
test_looks_like(void **state)
{
	(void)state;
	assert_true(tt_token_looks_like(fixed_token));
	assert_false(tt_token_looks_like("tt_live_abc"));
	assert_false(tt_token_looks_like("a.b"));
	assert_false(tt_token_looks_like(NULL));
}

int main(void);

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7515_a1_through_libjwt),
		cmocka_unit_test(test_fixed_clock_token_byte_for_byte),
		cmocka_unit_test(test_sign_refuses_short_secret),
		cmocka_unit_test(test_verify_roundtrip),
		cmocka_unit_test(test_verify_expiry_boundaries),
		cmocka_unit_test(test_verify_wrong_secret_and_issuer),
		cmocka_unit_test(test_header_rejections),
		cmocka_unit_test(test_header_own_form),
		cmocka_unit_test(test_claim_types),
		cmocka_unit_test(test_header_crit_and_short_signature),
		cmocka_unit_test(test_cross_check_with_libjwt),
		cmocka_unit_test(test_looks_like),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
