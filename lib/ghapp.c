/* ghapp.c: the GitHub App: its RS256 JWT and installation tokens. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "github.h"
#include "json.h"
#include "log.h"

#define EARLY		300	/* a token is renewed 5 min before expiry */
#define NONCE		12
#define TAG		16
#define MAX_TOKEN	512

static EVP_PKEY		*app_key;
static unsigned char	 seal_key[TT_SHA256_LEN];

/* The process's last token, by installation (one is the common case). */
static struct {
	int64_t	 inst;
	char	 token[MAX_TOKEN];
	time_t	 expires;
} mem;

enum tt_err
tt_github_configured(char *why, size_t whylen)
{
	FILE		*f;
	unsigned char	*der = NULL;
	int		 n;

	if (app_key != NULL)
		return TT_OK;
	if (tt_config.github_app_id == NULL ||
	    tt_config.github_app_private_key_file == NULL) {
		snprintf(why, whylen, "TT_GITHUB_APP_ID and "
		    "TT_GITHUB_APP_PRIVATE_KEY_FILE are not both set");
		return TT_EUNAVAIL;
	}
	if ((f = fopen(tt_config.github_app_private_key_file, "r")) == NULL) {
		snprintf(why, whylen, "cannot read "
		    "TT_GITHUB_APP_PRIVATE_KEY_FILE");
		return TT_EUNAVAIL;
	}
	app_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (app_key == NULL || EVP_PKEY_get_base_id(app_key) != EVP_PKEY_RSA) {
		EVP_PKEY_free(app_key);
		app_key = NULL;
		snprintf(why, whylen, "TT_GITHUB_APP_PRIVATE_KEY_FILE holds no "
		    "RSA private key in PEM");
		return TT_EUNAVAIL;
	}
	/* The token cache's key derives from the App key (ghapp.c). */
	if ((n = i2d_PrivateKey(app_key, &der)) <= 0)
		tt_oom(0);
	tt_crypto_hmac_sha256(der, (size_t)n,
	    "terrateam-c installation token cache v1", 39, seal_key);
	OPENSSL_clear_free(der, (size_t)n);
	return TT_OK;
}

void
tt_github_auth_cleanup(void)
{
	EVP_PKEY_free(app_key);
	app_key = NULL;
	OPENSSL_cleanse(seal_key, sizeof(seal_key));
	OPENSSL_cleanse(&mem, sizeof(mem));
}

static const char *
b64(struct tt_arena *a, const void *p, size_t n)
{
	return tt_crypto_b64url_encode(a, p, n);
}

enum tt_err
tt_github_app_jwt(struct tt_arena *a, time_t now, const char **jwt)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 sig[1024];
	size_t		 siglen = sizeof(sig);
	const char	*hdr, *claims, *input;
	char		 why[128];
	cJSON		*c;

	if (tt_github_configured(why, sizeof(why)) != TT_OK)
		return TT_EUNAVAIL;
	hdr = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	c = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddNumberToObject(c, "iat", (double)(now - 60));
	cJSON_AddNumberToObject(c, "exp", (double)(now + 540));
	cJSON_AddStringToObject(c, "iss", tt_config.github_app_id);
	claims = tt_json_print(a, c);
	input = tt_arena_printf(a, "%s.%s", b64(a, hdr, strlen(hdr)),
	    b64(a, claims, strlen(claims)));
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		tt_oom(0);
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, app_key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1) {
		EVP_MD_CTX_free(ctx);
		tt_log_errx("could not sign the GitHub App JWT");
		return TT_EINTERNAL;
	}
	EVP_MD_CTX_free(ctx);
	*jwt = tt_arena_printf(a, "%s.%s", input, b64(a, sig, siglen));
	return TT_OK;
}

/* AES-256-GCM: nonce || ciphertext || tag, the installation id as AAD. */
static int
seal(int64_t inst, const char *token, unsigned char *out, size_t *outlen)
{
	EVP_CIPHER_CTX	*c;
	size_t		 n = strlen(token);
	int		 l, ok;

	tt_crypto_random(out, NONCE);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		tt_oom(0);
	ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, seal_key, out) &&
	    EVP_EncryptUpdate(c, NULL, &l, (unsigned char *)&inst,
	    sizeof(inst)) &&
	    EVP_EncryptUpdate(c, out + NONCE, &l, (const unsigned char *)token,
	    (int)n) &&
	    EVP_EncryptFinal_ex(c, out + NONCE + n, &l) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, out + NONCE + n);
	EVP_CIPHER_CTX_free(c);
	*outlen = NONCE + n + TAG;
	return ok ? 0 : -1;
}

static int
unseal(int64_t inst, const unsigned char *in, size_t len, char *token)
{
	EVP_CIPHER_CTX	*c;
	size_t		 n;
	int		 l, ok;

	if (len < NONCE + TAG + 1 || len - NONCE - TAG >= MAX_TOKEN)
		return -1;
	n = len - NONCE - TAG;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		tt_oom(0);
	ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, seal_key, in) &&
	    EVP_DecryptUpdate(c, NULL, &l, (unsigned char *)&inst,
	    sizeof(inst)) &&
	    EVP_DecryptUpdate(c, (unsigned char *)token, &l, in + NONCE,
	    (int)n) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG,
	    (void *)(in + NONCE + n)) &&
	    EVP_DecryptFinal_ex(c, (unsigned char *)token + n, &l) == 1;
	EVP_CIPHER_CTX_free(c);
	token[ok ? n : 0] = '\0';
	return ok ? 0 : -1;
}

static struct tt_db_stmt stmt_get = {
	"gh_token_get",
	"SELECT encode(sealed, 'hex') AS sealed, extract(epoch FROM "
	"expires_at)::bigint AS exp FROM github_installation_tokens WHERE "
	"installation_id = $1::bigint AND expires_at > now() + "
	"make_interval(secs => $2)",
	2, 1, 0, 0
};

static struct tt_db_stmt stmt_put = {
	"gh_token_put",
	"INSERT INTO github_installation_tokens (installation_id, sealed, "
	"expires_at) VALUES ($1::bigint, decode($2, 'hex'), $3::timestamptz) "
	"ON CONFLICT (installation_id) DO UPDATE SET sealed = "
	"EXCLUDED.sealed, expires_at = EXCLUDED.expires_at, fetched_at = now()",
	3, 1, 0, 0
};

static struct tt_db_stmt stmt_drop = {
	"gh_token_drop",
	"DELETE FROM github_installation_tokens WHERE installation_id = "
	"$1::bigint",
	1, 1, 0, 0
};

/* "2026-11-29T12:00:00Z" to seconds; -1 if it is not that. */
static time_t
iso_time(const char *s)
{
	struct tm	tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) ==
	    NULL || *end != '\0')
		return -1;
	return timegm(&tm);
}

enum tt_err
tt_github_inst_token(struct tt_arena *a, int64_t inst, int fresh,
    const char **token, struct tt_github_resp *out)
{
	unsigned char		 raw[NONCE + MAX_TOKEN + TAG];
	char			 hex[2 * sizeof(raw) + 1], why[128];
	const char		*p[3], *jwt, *tok, *exp_s;
	struct tt_db_res	*r;
	time_t			 now = time(NULL), exp;
	size_t			 n;
	enum tt_err		 e;

	memset(out, 0, sizeof(*out));
	if (tt_github_configured(why, sizeof(why)) != TT_OK) {
		out->error = "GitHub App not configured";
		return TT_EUNAVAIL;
	}
	p[0] = tt_arena_printf(a, "%lld", (long long)inst);
	if (fresh) {
		mem.inst = 0;
		(void)tt_db_run(a, &stmt_drop, p, &r);
	} else if (mem.inst == inst && mem.expires - EARLY > now) {
		*token = tt_arena_strdup(a, mem.token);
		return TT_OK;
	} else {
		/* Another process may have fetched one already. */
		p[1] = tt_arena_printf(a, "%d", EARLY);
		if (tt_db_run(a, &stmt_get, p, &r) == TT_OK &&
		    tt_db_nrows(r) == 1) {
			const char *h = tt_db_get(r, 0, "sealed");
			n = strlen(h) / 2;
			if (n <= sizeof(raw) && tt_crypto_unhex(h, 2 * n,
			    raw) == 0 && unseal(inst, raw, n, mem.token) ==
			    0) {
				mem.inst = inst;
				mem.expires = (time_t)strtoll(tt_db_get(r, 0,
				    "exp"), NULL, 10);
				*token = tt_arena_strdup(a, mem.token);
				return TT_OK;
			}
		}
	}
	if ((e = tt_github_app_jwt(a, now, &jwt)) != TT_OK)
		return e;
	if ((e = tt_github_http(a, "POST", tt_arena_printf(a,
	    "/app/installations/%lld/access_tokens", (long long)inst),
	    tt_arena_printf(a, "Bearer %s", jwt), NULL, 1, out)) != TT_OK)
		return e;
	tok = tt_json_string(out->json, "token");
	exp_s = tt_json_string(out->json, "expires_at");
	if (out->status != 201 || tok == NULL || strlen(tok) >= MAX_TOKEN ||
	    (exp = iso_time(exp_s)) < 0) {
		out->error = tt_arena_printf(a, "installation token refused "
		    "(status %ld)", out->status);
		return TT_EUNAVAIL;
	}
	snprintf(mem.token, sizeof(mem.token), "%s", tok);
	mem.inst = inst;
	mem.expires = exp;
	if (seal(inst, tok, raw, &n) == 0) {
		tt_crypto_hex(raw, n, hex);
		p[1] = hex;
		p[2] = exp_s;
		(void)tt_db_run(a, &stmt_put, p, &r);
	}
	*token = tt_arena_strdup(a, mem.token);
	return TT_OK;
}
