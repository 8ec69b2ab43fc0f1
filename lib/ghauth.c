/*
 * ghauth.c: the GitHub App: its key, its RS256 JWT, installation tokens
 * (cached in memory and, sealed, in the database), and REST calls made
 * as an installation over github.c's HTTP.
 */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "ghauth.h"
#include "github.h"
#include "json.h"
#include "log.h"
#include "valid.h"

#define JWT_BACKDATE_S	60	/* iat = now - 60: GitHub's clock may lag */
#define JWT_LIFE_S	540	/* exp = now + 540, under GitHub's 10 min */
#define EARLY_S		300	/* a token is replaced 5 min before expiry */
#define MAX_KEY_FILE	(64 * 1024)
#define MIN_RSA_BITS	2048
#define NONCE_LEN	12
#define TAG_LEN		16
#define MAX_TOKEN	1024
#define CACHE_SLOTS	16
#define SEAL_LABEL	"terrateam-c installation token cache v1"

/* A token this process holds: slot.inst 0 is free. */
struct slot {
	int64_t	 inst;
	time_t	 expires;
	char	 token[MAX_TOKEN + 1];
};

static int	 no_passphrase(char *, int, int, void *);
static enum tt_err load_key(char *, size_t);
static int	 token_valid(const char *);
static time_t	 parse_expiry(const char *);
static void	 aad(int64_t, unsigned char[8]);
static struct slot *slot_find(int64_t);
static struct slot *slot_store(int64_t, const char *, time_t);
static void	 slot_drop(int64_t);
static enum tt_err fetch_token(struct tt_arena *, int64_t,
		    struct tt_github_resp *, struct slot **);
static enum tt_err inst_token(struct tt_arena *, int64_t, int,
		    const char **, struct tt_github_resp *);

/*
 * Process lifetime: the App key, the token-cache key derived from it and
 * the tokens this process fetched or opened (freed and wiped by
 * tt_ghauth_cleanup).
 */
static EVP_PKEY		*app_key;
static unsigned char	 seal_key[TT_SHA256_LEN];
static struct slot	 cache[CACHE_SLOTS];

/* The cache table (sql/006); tokens only ever go in sealed, as hex. */
TT_DB_STMT(stmt_get) = {
	.name = "github_token_get",
	.sql =
	    "SELECT encode(sealed, 'hex') AS sealed, "
	    "extract(epoch FROM expires_at)::bigint AS expires "
	    "FROM github_installation_tokens WHERE installation_id = $1",
	.nparams = 1,
	.retry = 1,
};
TT_DB_STMT(stmt_put) = {
	.name = "github_token_put",
	.sql =
	    "INSERT INTO github_installation_tokens "
	    "(installation_id, sealed, expires_at, fetched_at) "
	    "VALUES ($1, decode($2, 'hex'), to_timestamp($3::bigint), now()) "
	    "ON CONFLICT (installation_id) DO UPDATE SET sealed = EXCLUDED.sealed, "
	    "expires_at = EXCLUDED.expires_at, fetched_at = EXCLUDED.fetched_at",
	.nparams = 3,
	.retry = 1,
};
TT_DB_STMT(stmt_drop) = {
	.name = "github_token_drop",
	.sql =
	    "DELETE FROM github_installation_tokens WHERE installation_id = $1",
	.nparams = 1,
	.retry = 1,
};

/* An encrypted key file fails to load instead of prompting on a tty. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Reads the PEM key file into app_key and derives seal_key from it. */
static enum tt_err
load_key(char *why, size_t whylen)
{
	const char	*file = tt_config.github_app_private_key_file;
	struct stat	 st;
	unsigned char	*pem = NULL, *der = NULL;
	BIO		*bio = NULL;
	EVP_PKEY	*k = NULL;
	ssize_t		 r;
	size_t		 n = 0;
	int		 fd, dlen, bits;
	enum tt_err	 rc = TT_EUNAVAIL;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "cannot open TT_GITHUB_APP_PRIVATE_KEY_FILE "
		    "%s: %s", file, strerror(errno));
		return TT_EUNAVAIL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_KEY_FILE) {
		snprintf(why, whylen, "TT_GITHUB_APP_PRIVATE_KEY_FILE %s is not "
		    "a regular file of at most %d bytes", file, MAX_KEY_FILE);
		goto out;
	}
	pem = tt_xmalloc(MAX_KEY_FILE);
	while (n < MAX_KEY_FILE &&
	    (r = read(fd, pem + n, MAX_KEY_FILE - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(why, whylen, "cannot read "
			    "TT_GITHUB_APP_PRIVATE_KEY_FILE %s: %s", file,
			    strerror(errno));
			goto out;
		}
		n += (size_t)r;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)n)) == NULL)
		tt_oom(n);
	k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	ERR_clear_error();
	if (k == NULL) {
		snprintf(why, whylen, "TT_GITHUB_APP_PRIVATE_KEY_FILE %s holds "
		    "no unencrypted PEM private key", file);
		goto out;
	}
	if (!EVP_PKEY_is_a(k, "RSA")) {
		snprintf(why, whylen, "TT_GITHUB_APP_PRIVATE_KEY_FILE %s holds "
		    "a %s key; GitHub Apps sign with RSA", file,
		    EVP_PKEY_get0_type_name(k));
		goto out;
	}
	if ((bits = EVP_PKEY_get_bits(k)) < MIN_RSA_BITS) {
		snprintf(why, whylen, "TT_GITHUB_APP_PRIVATE_KEY_FILE %s holds "
		    "a %d-bit RSA key; at least %d bits are needed", file, bits,
		    MIN_RSA_BITS);
		goto out;
	}

	/* The cache key: the same on every server that has this App key. */
	if ((dlen = i2d_PrivateKey(k, &der)) <= 0) {
		snprintf(why, whylen, "cannot encode the App key");
		rc = TT_EINTERNAL;
		goto out;
	}
	tt_crypto_hmac_sha256(der, (size_t)dlen, SEAL_LABEL,
	    sizeof(SEAL_LABEL) - 1, seal_key);
	OPENSSL_clear_free(der, (size_t)dlen);
	app_key = k;
	k = NULL;
	rc = TT_OK;
out:
	EVP_PKEY_free(k);
	BIO_free(bio);
	if (pem != NULL) {
		OPENSSL_cleanse(pem, MAX_KEY_FILE);
		free(pem);
	}
	close(fd);
	return rc;
}

enum tt_err
tt_ghauth_configured(char *why, size_t whylen)
{
	const char	*id = tt_config.github_app_id;
	int64_t		 v;

	if (app_key != NULL)
		return TT_OK;
	if (id == NULL) {
		snprintf(why, whylen, "TT_GITHUB_APP_ID is not set");
		return TT_EUNAVAIL;
	}
	/* It becomes the JWT's iss as is: digits only, so nothing to escape. */
	if (id[0] == '0' || tt_valid_int64(id, 1, INT64_MAX, &v) != 0) {
		snprintf(why, whylen, "TT_GITHUB_APP_ID \"%.32s\" is not a "
		    "GitHub App id (a positive integer)", id);
		return TT_EUNAVAIL;
	}
	if (tt_config.github_app_private_key_file == NULL) {
		snprintf(why, whylen, "TT_GITHUB_APP_PRIVATE_KEY_FILE is not "
		    "set");
		return TT_EUNAVAIL;
	}
	return load_key(why, whylen);
}

int
tt_ghauth_wanted(void)
{
	return tt_config.github_app_id != NULL ||
	    tt_config.github_app_private_key_file != NULL;
}

enum tt_err
tt_ghauth_app_jwt(struct tt_arena *a, time_t now, const char **jwt)
{
	static const char hdr[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	EVP_MD_CTX	*ctx;
	unsigned char	*sig;
	const char	*claims, *input;
	char		 why[256];
	size_t		 siglen;
	int		 ok;

	*jwt = NULL;
	if (tt_ghauth_configured(why, sizeof(why)) != TT_OK) {
		tt_log_warnx("github: no App JWT: %s", why);
		return TT_EUNAVAIL;
	}
	claims = tt_arena_printf(a, "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%s\"}",
	    (long long)now - JWT_BACKDATE_S, (long long)now + JWT_LIFE_S,
	    tt_config.github_app_id);
	input = tt_arena_printf(a, "%s.%s",
	    tt_crypto_b64url_encode(a, (const unsigned char *)hdr,
	    sizeof(hdr) - 1),
	    tt_crypto_b64url_encode(a, (const unsigned char *)claims,
	    strlen(claims)));

	siglen = (size_t)EVP_PKEY_get_size(app_key);
	sig = tt_arena_alloc(a, siglen);
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		tt_oom(0);
	ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, app_key) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
	    strlen(input)) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		ERR_clear_error();
		tt_log_errx("github: could not sign the App JWT");
		return TT_EINTERNAL;
	}
	*jwt = tt_arena_printf(a, "%s.%s", input,
	    tt_crypto_b64url_encode(a, sig, siglen));
	return TT_OK;
}

/* What may go into an Authorization header: visible ASCII, bounded. */
static int
token_valid(const char *t)
{
	size_t	i;

	for (i = 0; t != NULL && t[i] != '\0'; i++)
		if (i >= MAX_TOKEN || t[i] < 0x21 || t[i] > 0x7e)
			return 0;
	return t != NULL && i > 0;
}

/* GitHub's "2026-11-29T12:00:00Z" as seconds since the epoch; -1 if not. */
static time_t
parse_expiry(const char *s)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strlen(s) != 20 ||
	    (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	return timegm(&tm);
}

/* The associated data: the installation id, 8 bytes big-endian. */
static void
aad(int64_t inst, unsigned char out[8])
{
	uint64_t	v = (uint64_t)inst;
	int		i;

	for (i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

const char *
tt_ghauth_seal(struct tt_arena *a, int64_t inst, const char *token)
{
	unsigned char	 buf[NONCE_LEN + MAX_TOKEN + TAG_LEN], ad[8];
	EVP_CIPHER_CTX	*c;
	char		*hex;
	size_t		 n;
	int		 l, ok;

	if (app_key == NULL || !token_valid(token))
		return NULL;
	n = strlen(token);
	aad(inst, ad);
	tt_crypto_random(buf, NONCE_LEN);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		tt_oom(0);
	ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN,
	    NULL) == 1 &&
	    EVP_EncryptInit_ex(c, NULL, NULL, seal_key, buf) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &l, ad, sizeof(ad)) == 1 &&
	    EVP_EncryptUpdate(c, buf + NONCE_LEN, &l,
	    (const unsigned char *)token, (int)n) == 1 && (size_t)l == n &&
	    EVP_EncryptFinal_ex(c, buf + NONCE_LEN + n, &l) == 1 && l == 0 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    buf + NONCE_LEN + n) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok) {
		ERR_clear_error();
		tt_log_errx("github: could not seal an installation token");
		return NULL;
	}
	n += NONCE_LEN + TAG_LEN;
	hex = tt_arena_alloc(a, 2 * n + 1);
	tt_crypto_hex(buf, n, hex);
	return hex;
}

const char *
tt_ghauth_unseal(struct tt_arena *a, int64_t inst, const char *hex)
{
	unsigned char	 buf[NONCE_LEN + MAX_TOKEN + TAG_LEN], ad[8];
	char		 tok[MAX_TOKEN + 1];
	const char	*res = NULL;
	EVP_CIPHER_CTX	*c;
	size_t		 hlen, n;
	int		 l, ok;

	if (app_key == NULL || hex == NULL)
		return NULL;
	hlen = strlen(hex);
	if (hlen % 2 != 0 || hlen / 2 < NONCE_LEN + 1 + TAG_LEN ||
	    hlen / 2 > sizeof(buf) || tt_crypto_unhex(hex, hlen, buf) != 0)
		return NULL;
	n = hlen / 2 - NONCE_LEN - TAG_LEN;
	aad(inst, ad);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		tt_oom(0);
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN,
	    NULL) == 1 &&
	    EVP_DecryptInit_ex(c, NULL, NULL, seal_key, buf) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &l, ad, sizeof(ad)) == 1 &&
	    EVP_DecryptUpdate(c, (unsigned char *)tok, &l, buf + NONCE_LEN,
	    (int)n) == 1 && (size_t)l == n &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    buf + NONCE_LEN + n) == 1 &&
	    EVP_DecryptFinal_ex(c, (unsigned char *)tok + n, &l) == 1;
	EVP_CIPHER_CTX_free(c);
	ERR_clear_error();
	if (ok) {
		tok[n] = '\0';
		if (token_valid(tok))
			res = tt_arena_strdup(a, tok);
	}
	OPENSSL_cleanse(tok, sizeof(tok));
	OPENSSL_cleanse(buf, sizeof(buf));
	return res;
}

static struct slot *
slot_find(int64_t inst)
{
	size_t	i;

	for (i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].inst == inst)
			return &cache[i];
	return NULL;
}

/* Keeps a token, in inst's slot, a free one, or the soonest to expire. */
static struct slot *
slot_store(int64_t inst, const char *token, time_t expires)
{
	struct slot	*s;
	size_t		 i;

	if ((s = slot_find(inst)) == NULL && (s = slot_find(0)) == NULL)
		for (s = &cache[0], i = 1; i < CACHE_SLOTS; i++)
			if (cache[i].expires < s->expires)
				s = &cache[i];
	OPENSSL_cleanse(s, sizeof(*s));
	s->inst = inst;
	s->expires = expires;
	memcpy(s->token, token, strlen(token) + 1);	/* token_valid: fits */
	return s;
}

static void
slot_drop(int64_t inst)
{
	struct slot	*s;

	if ((s = slot_find(inst)) != NULL)
		OPENSSL_cleanse(s, sizeof(*s));
}

/*
 * POST /app/installations/{inst}/access_tokens with the App JWT; keeps
 * the answer in memory and, sealed, in the table. The answer's body is
 * wiped: nothing downstream may print the token.
 */
static enum tt_err
fetch_token(struct tt_arena *a, int64_t inst, struct tt_github_resp *out,
    struct slot **sp)
{
	const char	*jwt, *tok, *exp_s, *sealed, *p[3];
	struct tt_db_res *r;
	cJSON		*item;
	time_t		 exp;
	enum tt_err	 e;

	if ((e = tt_ghauth_app_jwt(a, time(NULL), &jwt)) != TT_OK) {
		out->error = "GitHub App not configured";
		return e;
	}
	if ((e = tt_github_http(a, "POST", tt_arena_printf(a,
	    "/app/installations/%lld/access_tokens", (long long)inst),
	    tt_arena_printf(a, "Bearer %s", jwt), NULL, 1, out)) != TT_OK)
		return e;
	tok = tt_json_string(out->json, "token");
	exp_s = tt_json_string(out->json, "expires_at");
	if ((out->status != 201 && out->status != 200) || !token_valid(tok) ||
	    (exp = parse_expiry(exp_s)) == -1) {
		out->error = tt_arena_printf(a, "installation token refused "
		    "(status %ld)", out->status);
		tt_log_warnx("github: installation %lld: no installation "
		    "token: status %ld%s", (long long)inst, out->status,
		    out->status == 201 || out->status == 200 ?
		    ", unexpected answer" : "");
		return TT_EUNAVAIL;
	}
	*sp = slot_store(inst, tok, exp);
	item = cJSON_GetObjectItemCaseSensitive(out->json, "token");
	if (cJSON_IsString(item))
		OPENSSL_cleanse(item->valuestring, strlen(item->valuestring));
	OPENSSL_cleanse((char *)out->body, out->body_len);
	memset(out, 0, sizeof(*out));

	/* Shared with every process; a failure here only costs a fetch. */
	if ((sealed = tt_ghauth_seal(a, inst, (*sp)->token)) != NULL) {
		p[0] = tt_arena_printf(a, "%lld", (long long)inst);
		p[1] = sealed;
		p[2] = tt_arena_printf(a, "%lld", (long long)exp);
		(void)tt_db_run(a, &stmt_put, p, &r);
	}
	tt_log_info("github: installation %lld: new installation token, "
	    "expires %s", (long long)inst, exp_s);
	return TT_OK;
}

/*
 * Installation inst's token (arena-owned), from this process's memory,
 * the shared table or GitHub; fresh drops the cached one (memory and row)
 * and fetches a new one. out describes the token request when that fails.
 */
static enum tt_err
inst_token(struct tt_arena *a, int64_t inst, int fresh, const char **token,
    struct tt_github_resp *out)
{
	struct tt_db_res	*r;
	struct slot		*s;
	const char		*p[1], *tok;
	char			 why[256];
	time_t			 now = time(NULL);
	int64_t			 exp;
	enum tt_err		 e;

	memset(out, 0, sizeof(*out));
	*token = NULL;
	if (tt_ghauth_configured(why, sizeof(why)) != TT_OK) {
		tt_log_warnx("github: installation %lld: %s", (long long)inst,
		    why);
		out->error = "GitHub App not configured";
		return TT_EUNAVAIL;
	}
	p[0] = tt_arena_printf(a, "%lld", (long long)inst);

	if (fresh) {
		/* GitHub refused it: nobody may use it again. */
		slot_drop(inst);
		(void)tt_db_run(a, &stmt_drop, p, &r);
	} else if ((s = slot_find(inst)) != NULL && s->expires - EARLY_S > now) {
		*token = tt_arena_strdup(a, s->token);
		return TT_OK;
	} else if (tt_db_run(a, &stmt_get, p, &r) == TT_OK &&
	    tt_db_nrows(r) == 1 &&
	    tt_valid_int64(tt_db_get(r, 0, "expires"), 0, INT64_MAX,
	    &exp) == 0 && exp - EARLY_S > now) {
		/* Another process fetched one; a row that fails to open is
		 * replaced by the fetch below. */
		if ((tok = tt_ghauth_unseal(a, inst,
		    tt_db_get(r, 0, "sealed"))) != NULL) {
			(void)slot_store(inst, tok, (time_t)exp);
			*token = tok;
			return TT_OK;
		}
		tt_log_warnx("github: installation %lld: the cached token "
		    "does not open with this App key; replacing it",
		    (long long)inst);
	}
	if ((e = fetch_token(a, inst, out, &s)) != TT_OK)
		return e;
	*token = tt_arena_strdup(a, s->token);
	return TT_OK;
}

enum tt_err
tt_ghauth_call(struct tt_arena *a, int64_t inst, const char *method,
    const char *path, const cJSON *body, struct tt_github_resp *out)
{
	const char	*token, *text = NULL;
	int		 retry;
	enum tt_err	 e;

	memset(out, 0, sizeof(*out));
	if (!tt_github_method_valid(method) || !tt_github_path_valid(path)) {
		out->error = tt_github_method_valid(method) ? "invalid path" :
		    "invalid method";
		return TT_EINVAL;
	}
	if (inst <= 0) {
		out->error = "invalid installation id";
		return TT_EINVAL;
	}
	if (body != NULL)
		text = tt_json_print(a, body);
	/* Only reads are repeated here; writes go back to their caller. */
	retry = strcmp(method, "GET") == 0;

	if ((e = inst_token(a, inst, 0, &token, out)) != TT_OK)
		return e;
	e = tt_github_http(a, method, path, tt_arena_printf(a, "Bearer %s",
	    token), text, retry, out);
	if (e != TT_OK || out->status != 401)
		return e;

	/* Revoked or expired early: one new token, one more try. */
	tt_log_info("github %s %.*s: 401 for installation %lld; fetching a "
	    "new installation token", method, (int)strcspn(path, "?"), path,
	    (long long)inst);
	if ((e = inst_token(a, inst, 1, &token, out)) != TT_OK)
		return e;
	return tt_github_http(a, method, path, tt_arena_printf(a, "Bearer %s",
	    token), text, retry, out);
}

enum tt_err
tt_ghauth_runner_token(struct tt_arena *a, int64_t inst, const char *repo,
    const char **token)
{
	struct tt_github_resp	 out;
	const char		*jwt, *tok;
	enum tt_err		 e;
	cJSON			*body, *perm;

	*token = NULL;
	if (!tt_github_name_valid(repo))
		return TT_EINVAL;
	if ((e = tt_ghauth_app_jwt(a, time(NULL), &jwt)) != TT_OK)
		return e;
	body = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddItemToArray(cJSON_AddArrayToObject(body, "repositories"),
	    cJSON_CreateString(repo));
	perm = cJSON_AddObjectToObject(body, "permissions");
	cJSON_AddStringToObject(perm, "contents", "read");
	cJSON_AddStringToObject(perm, "pull_requests", "write");
	cJSON_AddStringToObject(perm, "issues", "write");
	memset(&out, 0, sizeof(out));
	if ((e = tt_github_http(a, "POST", tt_arena_printf(a,
	    "/app/installations/%lld/access_tokens", (long long)inst),
	    tt_arena_printf(a, "Bearer %s", jwt), tt_json_print(a, body), 1,
	    &out)) != TT_OK)
		return e;
	tok = tt_json_string(out.json, "token");
	if ((out.status != 201 && out.status != 200) || !token_valid(tok)) {
		tt_log_warnx("github: installation %lld: no token for the "
		    "runner: status %ld", (long long)inst, out.status);
		return TT_EUNAVAIL;
	}
	*token = tt_arena_strdup(a, tok);
	OPENSSL_cleanse((char *)out.body, out.body_len);
	return TT_OK;
}

void
tt_ghauth_cleanup(void)
{
	EVP_PKEY_free(app_key);
	app_key = NULL;
	OPENSSL_cleanse(seal_key, sizeof(seal_key));
	OPENSSL_cleanse(cache, sizeof(cache));
}
