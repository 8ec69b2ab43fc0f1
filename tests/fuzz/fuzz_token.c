/* fuzz_token.c: libFuzzer target for the bearer token wrapper. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "token.h"
#include "valid.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * Any input, as a bearer token, through the header check and the full
 * verification with a fixed key. A token the wrapper accepts must have
 * a valid header, claims of the right shape, and times inside the rules.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char	secret[32] = "0123456789abcdef0123456789abcdef";
	struct tt_token_rules		r = { 1700000030, 5, 60, "terrateam" };
	struct tt_token_claims		c;
	const char			*why, *kid;
	char				*t;

	if (arena == NULL)
		arena = tt_arena_new();
	t = tt_arena_strndup(arena, (const char *)data, size);
	if (tt_token_header(arena, t, &kid, &why) == TT_OK && kid == NULL)
		abort();
	if (tt_token_verify(arena, t, secret, sizeof(secret), &r, &c,
	    &why) == TT_OK) {
		if (tt_token_header(arena, t, &kid, &why) != TT_OK ||
		    !tt_valid_uuid(c.user_id) ||
		    !tt_valid_uuid(c.api_key_id != NULL ? c.api_key_id :
		    c.policy_id) ||
		    !cJSON_IsArray(c.caps) || c.exp - c.iat > 60 ||
		    c.exp + 5 <= 1700000030 || strlen(t) > TT_TOKEN_MAX_LEN)
			abort();
	}
	tt_arena_reset(arena);
	return 0;
}
