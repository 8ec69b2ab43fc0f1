/* websession.c: browser sessions: cookie, stored hash, CSRF token. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "json.h"
#include "route.h"
#include "session.h"
#include "websession.h"

#define COOKIE_MAX	256
#define ID_BYTES	32

TT_DB_STMT(stmt_start) = {
	.name = "websession_start",
	.sql =
	    "INSERT INTO web_sessions (id_sha256, user_id, via, expires_at) "
	    "VALUES (decode($1, 'hex'), $2::uuid, $3, "
	    "now() + $4::bigint * interval '1 second')",
	.nparams = 4,
};

TT_DB_STMT(stmt_get) = {
	.name = "websession_get",
	.sql =
	    "SELECT s.user_id, coalesce(u.github_login, u.remote_user, '') AS "
	    "login, coalesce((SELECT json_agg(json_build_object('id', i.id::text, "
	    "'login', i.login) ORDER BY i.id) FROM installation_members m JOIN "
	    "installations i ON i.id = m.installation_id WHERE m.user_id = "
	    "s.user_id AND i.state = 'active'), '[]') AS installations, "
	    TT_DB_UTC("s.expires_at") " AS expires_at "
	    "FROM web_sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.id_sha256 = decode($1, 'hex') AND s.expires_at > now()",
	.nparams = 1,
	.retry = 1,
};

TT_DB_STMT(stmt_end) = {
	.name = "websession_end",
	.sql =
	    "DELETE FROM web_sessions WHERE id_sha256 = decode($1, 'hex') "
	    "OR expires_at < now() - interval '1 day'",
	.nparams = 1,
	.retry = 1,
};

/* RFC 6265 cookie-octet: no controls, space, DQUOTE, comma, ';', '\'. */
static int
cookie_octet(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' &&
	    c != '\\';
}

const char *
tt_websession_cookie(struct tt_req *req, const char *name)
{
	const char	*h, *p, *v;
	size_t		 nlen = strlen(name), n;

	if ((h = tt_req_header(req, "Cookie")) == NULL)
		return NULL;
	for (p = h; *p != '\0'; ) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			v = p + nlen + 1;
			for (n = 0; cookie_octet((unsigned char)v[n]); n++)
				;
			if (n == 0 || n > COOKIE_MAX || (v[n] != '\0' &&
			    v[n] != ';' && v[n] != ' '))
				return NULL;
			return tt_arena_strndup(req->arena, v, n);
		}
		p += strcspn(p, ";");
	}
	return NULL;
}

int
tt_websession_secure(void)
{
	return tt_config.public_url == NULL || tt_config.public_url_https;
}

void
tt_websession_set_cookie(struct tt_resp *resp, const char *name,
    const char *value, const char *path, int64_t max_age)
{
	tt_resp_header(resp, "Set-Cookie", "%s=%s; Path=%s; Max-Age=%lld; "
	    "HttpOnly; SameSite=Lax%s", name, max_age > 0 ? value : "", path,
	    (long long)max_age, tt_websession_secure() ? "; Secure" : "");
}

const char *
tt_websession_random(struct tt_arena *a)
{
	unsigned char	b[ID_BYTES];
	const char	*s;

	tt_crypto_random(b, sizeof(b));
	s = tt_crypto_b64url_encode(a, b, sizeof(b));
	OPENSSL_cleanse(b, sizeof(b));
	return s;
}

/* The SHA-256 of the id's bytes, hex: what the table stores. */
static const char *
id_hash(struct tt_arena *a, const unsigned char *id)
{
	unsigned char	 h[TT_SHA256_LEN];
	char		*hex = tt_arena_alloc(a, 2 * TT_SHA256_LEN + 1);

	tt_crypto_sha256(id, ID_BYTES, h);
	tt_crypto_hex(h, sizeof(h), hex);
	return hex;
}

/* The cookie's 32 bytes, arena-owned; NULL when absent or malformed. */
static const unsigned char *
cookie_id(struct tt_req *req)
{
	const char		*v;
	const unsigned char	*id;
	size_t			 n;

	v = tt_websession_cookie(req, TT_WEBSESSION_COOKIE);
	if (v == NULL || strlen(v) != TT_WEBSESSION_ID_B64)
		return NULL;
	id = tt_crypto_b64url_decode(req->arena, v, strlen(v), &n);
	return id != NULL && n == ID_BYTES ? id : NULL;
}

enum tt_err
tt_websession_start(struct tt_req *req, struct tt_resp *resp,
    const char *user_id, const char *via)
{
	const char		*v, *p[4];
	const unsigned char	*id;
	struct tt_db_res	*res;
	size_t			 n;
	enum tt_err		 e;

	v = tt_websession_random(req->arena);
	id = tt_crypto_b64url_decode(req->arena, v, strlen(v), &n);
	p[0] = id_hash(req->arena, id);
	p[1] = user_id;
	p[2] = via;
	p[3] = tt_arena_printf(req->arena, "%lld",
	    (long long)tt_config.web_session_ttl);
	if ((e = tt_db_run(req->arena, &stmt_start, p, &res)) != TT_OK)
		return e;
	tt_websession_set_cookie(resp, TT_WEBSESSION_COOKIE, v, "/",
	    tt_config.web_session_ttl);
	return TT_OK;
}

const char *
tt_websession_csrf(struct tt_req *req)
{
	unsigned char	 mac[TT_SHA256_LEN];
	char		*hex;

	if (req->session == NULL || !req->session->web)
		return NULL;
	tt_crypto_hmac_sha256(req->session->web_id, ID_BYTES, "tt-csrf-v1",
	    10, mac);
	hex = tt_arena_alloc(req->arena, 2 * TT_SHA256_LEN + 1);
	tt_crypto_hex(mac, sizeof(mac), hex);
	return hex;
}

/* kv_store_read, kv_store_write and one installation_id per installation. */
static cJSON *
web_caps(struct tt_arena *a, const cJSON *insts)
{
	const cJSON	*i;
	cJSON		*caps, *o;

	caps = tt_json_own(a, cJSON_CreateArray());
	cJSON_AddItemToArray(caps, cJSON_CreateString("kv_store_read"));
	cJSON_AddItemToArray(caps, cJSON_CreateString("kv_store_write"));
	cJSON_ArrayForEach(i, insts) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", "installation_id");
		cJSON_AddStringToObject(o, "id", tt_json_string(i, "id"));
		cJSON_AddItemToArray(caps, o);
	}
	return caps;
}

enum tt_err
tt_websession_require(struct tt_req *req, struct tt_resp *resp)
{
	const unsigned char	*id;
	const char		*p[1], *insts, *why, *tok, *want;
	struct tt_session	*s;
	struct tt_db_res	*res;
	enum tt_err		 e;

	if ((id = cookie_id(req)) == NULL)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "not signed in: "
		    "no session cookie (or an Authorization: Bearer access "
		    "token)");
	p[0] = id_hash(req->arena, id);
	if ((e = tt_db_run(req->arena, &stmt_get, p, &res)) != TT_OK)
		return e;
	if (tt_db_nrows(res) != 1)
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "the session has "
		    "expired or was signed out: sign in again");
	s = tt_arena_alloc(req->arena, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->web = 1;
	s->web_id = id;
	s->user_id = tt_db_get(res, 0, "user_id");
	s->login = tt_db_get(res, 0, "login");
	insts = tt_db_get(res, 0, "installations");
	s->installations = tt_json_parse(req->arena, insts, strlen(insts),
	    &why);
	s->caps = web_caps(req->arena, s->installations);
	req->session = s;

	if (req->method == TT_GET || req->method == TT_HEAD)
		return TT_OK;
	tok = tt_req_header(req, TT_WEBSESSION_CSRF);
	want = tt_websession_csrf(req);
	if (tok == NULL || strlen(tok) != strlen(want) ||
	    !tt_crypto_equal(tok, want, strlen(want))) {
		req->session = NULL;
		return tt_resp_fail(resp, TT_EFORBIDDEN, "CSRF",
		    "a signed-in page must send its X-CSRF-Token header");
	}
	return TT_OK;
}

enum tt_err
tt_websession_end(struct tt_req *req, struct tt_resp *resp)
{
	const char		*p[1];
	struct tt_db_res	*res;
	enum tt_err		 e;

	if (req->session == NULL || !req->session->web)
		return TT_EUNAUTH;
	p[0] = id_hash(req->arena, req->session->web_id);
	if ((e = tt_db_run(req->arena, &stmt_end, p, &res)) != TT_OK)
		return e;
	tt_websession_set_cookie(resp, TT_WEBSESSION_COOKIE, "", "/", 0);
	return TT_OK;
}
