/* ghoauth.c: GitHub's OAuth web flow for people, and their user token. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "ghoauth.h"
#include "github.h"
#include "json.h"
#include "url.h"

#define SECRET_MAX	256
#define PER_PAGE	100
#define MAX_PAGES	10

/*
 * The client secret: the first line of the file, read at each use (it is
 * needed once per sign-in), wiped by the caller. 0 when unusable.
 */
static size_t
read_secret(char buf[SECRET_MAX])
{
	const char	*path = tt_config.github_oauth_client_secret_file;
	ssize_t		 r;
	size_t		 n;
	int		 fd;

	if (path == NULL || path[0] == '\0' ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	r = read(fd, buf, SECRET_MAX);
	close(fd);
	if (r <= 0 || r >= SECRET_MAX)
		return 0;
	n = strcspn(buf, "\r\n");
	if (n > (size_t)r)
		n = (size_t)r;
	buf[n] = '\0';
	return n;
}

enum tt_err
tt_ghoauth_configured(void)
{
	char	buf[SECRET_MAX];
	size_t	n;

	if (tt_config.github_oauth_client_id == NULL)
		return TT_EUNAVAIL;
	memset(buf, 0, sizeof(buf));
	n = read_secret(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return n > 0 ? TT_OK : TT_EUNAVAIL;
}

const char *
tt_ghoauth_authorize_url(struct tt_arena *a, const char *redirect_uri,
    const char *state)
{
	const char	*base = tt_config.github_url;
	size_t		 n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	return tt_arena_printf(a, "%.*s/login/oauth/authorize?client_id=%s"
	    "&redirect_uri=%s&state=%s&allow_signup=false", (int)n, base,
	    tt_url_encode(a, tt_config.github_oauth_client_id),
	    tt_url_encode(a, redirect_uri), tt_url_encode(a, state));
}

enum tt_err
tt_ghoauth_exchange(struct tt_arena *a, const char *code,
    const char *redirect_uri, const char **token, const char **why)
{
	struct tt_github_resp	 r;
	char			 secret[SECRET_MAX];
	const char		*t, *err;
	char			*body;
	enum tt_err		 e;
	cJSON			*j;

	memset(secret, 0, sizeof(secret));
	if (read_secret(secret) == 0) {
		*why = "TT_GITHUB_OAUTH_CLIENT_SECRET_FILE cannot be read";
		return TT_EUNAVAIL;
	}
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "client_id",
	    tt_config.github_oauth_client_id);
	cJSON_AddStringToObject(j, "client_secret", secret);
	cJSON_AddStringToObject(j, "code", code);
	cJSON_AddStringToObject(j, "redirect_uri", redirect_uri);
	OPENSSL_cleanse(secret, sizeof(secret));
	if ((body = cJSON_PrintUnformatted(j)) == NULL)
		tt_oom(0);
	cJSON_Delete(j);
	e = tt_github_web_post(a, "/login/oauth/access_token", body, &r);
	OPENSSL_cleanse(body, strlen(body));
	free(body);
	if (e != TT_OK) {
		*why = r.error;
		return TT_EUNAVAIL;
	}
	t = tt_json_string(r.json, "access_token");
	if (r.status != 200 || t == NULL || t[0] == '\0') {
		err = tt_json_string(r.json, "error");
		*why = err != NULL ? tt_arena_printf(a, "GitHub refused the "
		    "code: %.64s", err) : tt_arena_printf(a, "GitHub answered "
		    "%ld without a token", r.status);
		return TT_EINVAL;
	}
	*token = t;
	return TT_OK;
}

/* A GET with the user token; TT_OK only for a 200 with a JSON body. */
static enum tt_err
user_get(struct tt_arena *a, const char *token, const char *path,
    struct tt_github_resp *r, const char **why)
{
	enum tt_err	e;

	e = tt_github_http(a, "GET", path, tt_arena_printf(a, "Bearer %s",
	    token), NULL, 1, r);
	if (e != TT_OK) {
		*why = r->error;
		return TT_EUNAVAIL;
	}
	if (r->status != 200 || r->json == NULL) {
		*why = tt_arena_printf(a, "GitHub answered %ld to GET %s",
		    r->status, path);
		return r->status == 401 ? TT_EINVAL : TT_EUNAVAIL;
	}
	return TT_OK;
}

enum tt_err
tt_ghoauth_user(struct tt_arena *a, const char *token, int64_t *id,
    const char **login, const char **why)
{
	struct tt_github_resp	r;
	enum tt_err		e;

	if ((e = user_get(a, token, "/user", &r, why)) != TT_OK)
		return e;
	*login = tt_json_string(r.json, "login");
	if (tt_json_int64(r.json, "id", 1, INT64_MAX / 2, id) != 0 ||
	    *login == NULL || !tt_github_name_valid(*login)) {
		*why = "GitHub's /user has no usable id and login";
		return TT_EUNAVAIL;
	}
	return TT_OK;
}

enum tt_err
tt_ghoauth_installations(struct tt_arena *a, const char *token,
    struct tt_ghoauth_inst **insts, size_t *n, const char **why)
{
	struct tt_github_resp	 r;
	struct tt_ghoauth_inst	*v = NULL;
	const cJSON		*arr, *i, *acct;
	const char		*login;
	struct tt_ghoauth_inst	*nv;
	size_t			 cap = 0, got;
	int64_t			 id, total;
	int			 page;
	enum tt_err		 e;

	*n = 0;
	for (page = 1; page <= MAX_PAGES; page++) {
		if ((e = user_get(a, token, tt_arena_printf(a,
		    "/user/installations?per_page=%d&page=%d", PER_PAGE, page),
		    &r, why)) != TT_OK)
			return e;
		arr = cJSON_GetObjectItemCaseSensitive(r.json,
		    "installations");
		if (!cJSON_IsArray(arr)) {
			*why = "GitHub's /user/installations has no list";
			return TT_EUNAVAIL;
		}
		got = 0;
		cJSON_ArrayForEach(i, arr) {
			got++;
			acct = cJSON_GetObjectItemCaseSensitive(i, "account");
			login = tt_json_string(acct, "login");
			if (tt_json_int64(i, "id", 1, INT64_MAX / 2, &id) != 0 ||
			    login == NULL || !tt_github_name_valid(login))
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				nv = tt_arena_alloc(a,
				    cap * sizeof(*nv));
				if (*n > 0)
					memcpy(nv, v, *n * sizeof(*nv));
				v = nv;
			}
			v[*n].id = id;
			v[*n].login = login;
			(*n)++;
		}
		if (got < PER_PAGE || (tt_json_int64(r.json, "total_count",
		    0, INT64_MAX / 2, &total) == 0 && (int64_t)page * PER_PAGE >= total))
			break;
	}
	*insts = v;
	return TT_OK;
}
