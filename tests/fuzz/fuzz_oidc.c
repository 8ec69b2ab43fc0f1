/* fuzz_oidc.c: libFuzzer target for OIDC ID tokens and JWKS documents. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "json.h"
#include "jwk.h"
#include "oidc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * The input is a JWKS document, a newline, then an ID token (either part
 * may be anything). The token goes through the parser, the time rules
 * and a policy match; its signature is checked against the document. A
 * zero signature must never verify, whatever the document holds, and an
 * accepted signature must have come from RS256 or ES256. A parsed token
 * always has a jti of 1..TT_OIDC_MAX_JTI bytes, and a matched one a
 * lifetime (exp - iat) within the policy's bound.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char	 zero[512];
	struct tt_oidc_token		 t;
	struct tt_oidc_policy		 p;
	const uint8_t			*nl;
	const char			*why, *set, *tok;
	size_t				 setlen;

	if (arena == NULL)
		arena = tt_arena_new();
	nl = memchr(data, '\n', size);
	setlen = nl != NULL ? (size_t)(nl - data) : size;
	set = tt_arena_strndup(arena, (const char *)data, setlen);
	tok = nl != NULL ? tt_arena_strndup(arena, (const char *)nl + 1,
	    size - setlen - 1) : "";
	setlen = strlen(set);

	(void)tt_jwk_set_valid(arena, set, setlen, &why);
	if (tt_jwk_verify(arena, set, setlen, "k", "RS256", "m", 1, zero,
	    256, &why) == TT_OK ||
	    tt_jwk_verify(arena, set, setlen, "k", "ES256", "m", 1, zero,
	    64, &why) == TT_OK)
		abort();
	(void)tt_oidc_glob(set, tok);

	if (tt_oidc_parse(arena, tok, &t, &why) == TT_OK) {
		if (t.iss == NULL || t.sub == NULL || t.kid == NULL ||
		    t.alg == NULL || t.aud == NULL || t.signed_len >= strlen(tok))
			abort();
		if (t.jti == NULL || t.jti[0] == '\0' ||
		    strlen(t.jti) > TT_OIDC_MAX_JTI)
			abort();
		(void)tt_oidc_times(&t, 1700000000, 5);
		memset(&p, 0, sizeof(p));
		p.issuer = t.iss;
		p.audience = "terrateam";
		p.subject = "repo:*:ref:refs/heads/*";
		p.conditions = tt_json_parse(arena, "{\"environment\":\"prod*\"}",
		    23, &why);
		p.max_token_age = TT_OIDC_DEFAULT_TOKEN_AGE;
		if (tt_oidc_match(&p, &t) == TT_OIDC_OK &&
		    t.exp - t.iat > p.max_token_age)
			abort();
		if (tt_jwk_verify(arena, set, setlen, t.kid, t.alg, tok,
		    t.signed_len, t.sig, t.siglen, &why) == TT_OK &&
		    strcmp(t.alg, "RS256") != 0 && strcmp(t.alg, "ES256") != 0)
			abort();
	}
	tt_arena_reset(arena);
	return 0;
}
