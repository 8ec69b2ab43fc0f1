/* caps.h: capabilities as Terrateam encodes them, and their checks. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_CAPS_H
#define TT_CAPS_H

#include <stdint.h>

struct cJSON;

/* Route requirements: one bit per string capability. */
enum tt_cap {
	TT_CAP_KV_READ = 1 << 0,		/* "kv_store_read" */
	TT_CAP_KV_WRITE = 1 << 1,		/* "kv_store_write" */
	TT_CAP_ACCESS_TOKEN_CREATE = 1 << 2,	/* "access_token_create" */
	TT_CAP_KV_SYSTEM_READ = 1 << 3,		/* "kv_store_system_read" */
	TT_CAP_KV_SYSTEM_WRITE = 1 << 4,	/* "kv_store_system_write" */
	/* The {"name":"installation_id","id":X} object for the path's X. */
	TT_CAP_INSTALLATION = 1 << 5,
};

/* The string name of one TT_CAP_* bit ("kv_store_read"); NULL if none. */
const char	*tt_caps_name(unsigned bit);

/*
 * 1 if the array is a valid capability list: known strings and
 * installation_id objects whose "id" is a decimal string, no duplicates
 * and no other members. On failure *why says what is wrong.
 */
int		 tt_caps_valid(const struct cJSON *, const char **why);
/* 1 if the array holds the string capability or the object exactly. */
int		 tt_caps_has(const struct cJSON *, const char *name);
int		 tt_caps_has_installation(const struct cJSON *, int64_t id);
/* 1 if the array holds any installation_id object (it is restricted). */
int		 tt_caps_restricted(const struct cJSON *);
/*
 * Whether a caller holding `have` may give a new key `want` (API.md 1.3):
 * every string capability of want is in have; installation_id entries
 * are restrictions, so a caller restricted to installations S (have holds
 * some, or restricted is set: a browser session, restricted to the
 * user's installations even when it has none) may only give a key
 * restricted to a non-empty subset of S, and an unrestricted caller any.
 * 1 if it may; else 0 with *why.
 */
int		 tt_caps_may_grant(const struct cJSON *want,
		    const struct cJSON *have, int restricted, const char **why);
/*
 * Parses "kv_store_read" or "installation:12345" (the ttctl spelling)
 * into a new cJSON item; NULL if unknown. Caller owns it.
 */
struct cJSON	*tt_caps_from_arg(const char *);

#endif
