/* websession.h: browser sessions for the API Access page (cookie, CSRF). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_WEBSESSION_H
#define TT_WEBSESSION_H

#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_req;
struct tt_resp;

#define TT_WEBSESSION_COOKIE	"tt_session"
#define TT_WEBSESSION_STATE	"tt_oauth_state"
#define TT_WEBSESSION_CSRF	"X-CSRF-Token"
#define TT_WEBSESSION_ID_B64	43	/* base64url of 32 random bytes */

/*
 * The value of cookie name in the request's Cookie header (the first
 * one), arena-owned; NULL when absent or not 1..256 cookie-octets.
 */
const char	*tt_websession_cookie(struct tt_req *, const char *name);

/*
 * Adds a Set-Cookie header: name=value; Path=path; Max-Age=max_age
 * (0 deletes it); HttpOnly; SameSite=Lax; and Secure as
 * tt_websession_secure says.
 */
void		 tt_websession_set_cookie(struct tt_resp *, const char *name,
		    const char *value, const char *path, int64_t max_age);

/*
 * 1 when cookies carry Secure: unless TT_PUBLIC_URL is an http:// URL
 * (loopback only, for local use). Without TT_PUBLIC_URL they are always
 * Secure: neither the request's Host nor its HTTPS variable decides (a
 * proxy that ends TLS in front of the web server turns HTTPS off while
 * the browser speaks https).
 */
int		 tt_websession_secure(void);

/* 32 random bytes as base64url (43 characters), arena-owned. */
const char	*tt_websession_random(struct tt_arena *);

/*
 * Starts a session for user_id (via "github" or "remote_user"): stores
 * the SHA-256 of a new random id with its expiry (TT_WEB_SESSION_TTL)
 * and sets the cookie.
 */
enum tt_err	 tt_websession_start(struct tt_req *, struct tt_resp *,
		    const char *user_id, const char *via);

/*
 * The request's browser session: the cookie names a stored, unexpired
 * session; on any method but GET and HEAD the X-CSRF-Token header must
 * carry its CSRF token. Sets req->session (web = 1) with the user, the
 * user's active installations and the capabilities a page may grant:
 * kv_store_read, kv_store_write and installation_id for each
 * installation. TT_EUNAUTH (401) or TT_EFORBIDDEN (403, CSRF) with resp
 * filled, or a database error.
 */
enum tt_err	 tt_websession_require(struct tt_req *, struct tt_resp *);

/* The session's CSRF token: hex HMAC-SHA256 keyed by the cookie's id. */
const char	*tt_websession_csrf(struct tt_req *);

/* Signs out: deletes the stored session and expires the cookie. */
enum tt_err	 tt_websession_end(struct tt_req *, struct tt_resp *);

#endif
