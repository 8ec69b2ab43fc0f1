/* caps.c: capability lists, validated and compared exactly. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "valid.h"

static const struct {
	unsigned	 bit;
	const char	*name;
} names[] = {
	{ TT_CAP_KV_READ, "kv_store_read" },
	{ TT_CAP_KV_WRITE, "kv_store_write" },
	{ TT_CAP_ACCESS_TOKEN_CREATE, "access_token_create" },
	{ TT_CAP_KV_SYSTEM_READ, "kv_store_system_read" },
	{ TT_CAP_KV_SYSTEM_WRITE, "kv_store_system_write" },
};

const char *
tt_caps_name(unsigned bit)
{
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].bit == bit)
			return names[i].name;
	return NULL;
}

static int
known_string(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, s) == 0)
			return 1;
	return 0;
}

/* The installation id of an installation_id object, or -1. */
static int64_t
installation_of(const cJSON *c)
{
	const cJSON	*name, *id;
	int64_t		 v;

	if (!cJSON_IsObject(c))
		return -1;
	name = cJSON_GetObjectItemCaseSensitive(c, "name");
	id = cJSON_GetObjectItemCaseSensitive(c, "id");
	if (!cJSON_IsString(name) || strcmp(name->valuestring,
	    "installation_id") != 0 || !cJSON_IsString(id) ||
	    id->valuestring[0] == '0' || tt_valid_int64(id->valuestring, 1, INT64_MAX, &v) != 0)
		return -1;
	return v;
}

static int
same(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsObject(a) && cJSON_IsObject(b))
		return installation_of(a) > 0 &&
		    installation_of(a) == installation_of(b);
	return 0;
}

static int
contains(const cJSON *arr, const cJSON *item)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, arr)
		if (same(c, item))
			return 1;
	return 0;
}

int
tt_caps_valid(const cJSON *arr, const char **why)
{
	const cJSON	*c, *d;

	if (!cJSON_IsArray(arr)) {
		*why = "capabilities must be an array";
		return 0;
	}
	cJSON_ArrayForEach(c, arr) {
		if (cJSON_IsString(c)) {
			if (!known_string(c->valuestring)) {
				*why = "unknown capability";
				return 0;
			}
		} else if (installation_of(c) < 0 ||
		    cJSON_GetArraySize(c) != 2) {
			*why = "a capability object must be {\"name\": "
			    "\"installation_id\", \"id\": \"<digits>\"}";
			return 0;
		}
		for (d = c->next; d != NULL; d = d->next)
			if (same(c, d)) {
				*why = "duplicate capability";
				return 0;
			}
	}
	return 1;
}

int
tt_caps_has(const cJSON *arr, const char *name)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, arr)
		if (cJSON_IsString(c) && strcmp(c->valuestring, name) == 0)
			return 1;
	return 0;
}

int
tt_caps_has_installation(const cJSON *arr, int64_t id)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, arr)
		if (installation_of(c) == id)
			return 1;
	return 0;
}

int
tt_caps_restricted(const cJSON *arr)
{
	const cJSON	*c;

	cJSON_ArrayForEach(c, arr)
		if (cJSON_IsObject(c))
			return 1;
	return 0;
}

int
tt_caps_may_grant(const cJSON *want, const cJSON *have, int restricted,
    const char **why)
{
	const cJSON	*c;
	int		 ninst = 0;

	restricted |= tt_caps_restricted(have);
	cJSON_ArrayForEach(c, want) {
		if (cJSON_IsString(c) && !contains(have, c)) {
			*why = "a new key cannot hold a capability the caller "
			    "lacks";
			return 0;
		}
		if (!cJSON_IsObject(c))
			continue;
		/* A restriction narrows: any is fine for an unrestricted caller. */
		if (restricted && !contains(have, c)) {
			*why = "a new key can only be restricted to installations "
			    "the caller is restricted to";
			return 0;
		}
		ninst++;
	}
	if (restricted && ninst == 0) {
		*why = "the caller is restricted to installations: a new key "
		    "must be restricted to one or more of them (an "
		    "installation_id capability)";
		return 0;
	}
	return 1;
}

cJSON *
tt_caps_from_arg(const char *s)
{
	cJSON	*o;
	int64_t	 v;

	if (strncmp(s, "installation:", 13) == 0) {
		if (s[13] == '0' || tt_valid_int64(s + 13, 1, INT64_MAX, &v) != 0)
			return NULL;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", "installation_id");
		cJSON_AddStringToObject(o, "id", s + 13);
		return o;
	}
	return known_string(s) ? cJSON_CreateString(s) : NULL;
}
