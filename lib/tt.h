/* tt.h: basics shared by every module: the error enum and small macros. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_H
#define TT_H

#include <stddef.h>

#define TT_NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every fallible function returns one of these. The HTTP status, the error
 * id and the default message of each live in one table in http.c; a unit
 * test proves every code has a row.
 */
enum tt_err {
	TT_OK = 0,
	TT_EINVAL,		/* 400 INVALID_PARAM */
	TT_EJSON,		/* 400 INVALID_JSON */
	TT_EUNAUTH,		/* 401 UNAUTHORIZED */
	TT_EFORBIDDEN,		/* 403 MISSING_CAPABILITY */
	TT_ENOTFOUND,		/* 404 NOT_FOUND */
	TT_EMETHOD,		/* 405 METHOD_NOT_ALLOWED */
	TT_ECONFLICT,		/* 409 VERSION_MISMATCH */
	TT_ELENGTH,		/* 411 LENGTH_REQUIRED */
	TT_ETOOBIG,		/* 413 PAYLOAD_TOO_LARGE */
	TT_EMEDIA,		/* 415 UNSUPPORTED_MEDIA_TYPE */
	TT_ERATE,		/* 429 RATE_LIMITED */
	TT_EUNAVAIL,		/* 503 UNAVAILABLE (database down) */
	TT_ETIMEOUT,		/* 503 UNAVAILABLE (statement timeout) */
	TT_EREFUSED,		/* the session's gate refused (db.h); never answered */
	TT_EINTERNAL,		/* 500 INTERNAL */
	TT_E__MAX
};

/* Short lower-case name of an error code, for log lines. */
const char	*tt_err_str(enum tt_err);

#endif
