/* ttctl_oidc.c: ttctl oidc trust add|list|remove (keyless CI login). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "caps.h"
#include "json.h"
#include "trust.h"
#include "ttctl.h"
#include "valid.h"

#define ADD_USAGE \
	"usage: ttctl oidc trust add --name N --issuer URL --audience A " \
	"--subject PATTERN --user UUID --cap C [--cap C...] " \
	"[--claim NAME=PATTERN...] [--max-ttl SECONDS] " \
	"[--max-token-age SECONDS]"

static void
print_policy(struct ttctl *ctl, const struct tt_trust_row *t)
{
	if (ctl->json) {
		ttctl_print_json(cJSON_Duplicate(tt_trust_json(ctl->arena, t),
		    1));
		return;
	}
	printf("%s  %s\n  issuer %s  audience %s\n  subject %s  conditions "
	    "%s\n  user %s  capabilities %s  max ttl %llds  max token age "
	    "%llds  created %s\n", t->p.id, t->name, t->p.issuer,
	    t->p.audience, t->p.subject,
	    tt_json_print(ctl->arena, t->p.conditions), t->p.user_id,
	    tt_json_print(ctl->arena, t->p.caps), (long long)t->p.max_ttl,
	    (long long)t->p.max_token_age, t->created_at);
}

/* Every "--flag value" pair of one flag, turned into arrays or objects. */
static int
collect(struct ttctl *ctl, int argc, char **argv, cJSON *caps, cJSON *conds)
{
	const char	*eq;
	cJSON		*c;
	int		 i;

	for (i = 0; i < argc - 1; i++) {
		if (strcmp(argv[i], "--cap") == 0) {
			if ((c = tt_caps_from_arg(argv[i + 1])) == NULL)
				return ttctl_fail(TTCTL_USAGE, "unknown "
				    "capability \"%s\"", argv[i + 1]);
			cJSON_AddItemToArray(caps, c);
		} else if (strcmp(argv[i], "--claim") == 0) {
			eq = strchr(argv[i + 1], '=');
			if (eq == NULL || eq == argv[i + 1])
				return ttctl_fail(TTCTL_USAGE, "--claim takes "
				    "NAME=PATTERN");
			if (cJSON_GetObjectItemCaseSensitive(conds,
			    tt_arena_strndup(ctl->arena, argv[i + 1],
			    (size_t)(eq - argv[i + 1]))) != NULL)
				return ttctl_fail(TTCTL_USAGE, "--claim %.*s "
				    "given twice", (int)(eq - argv[i + 1]),
				    argv[i + 1]);
			cJSON_AddStringToObject(conds, tt_arena_strndup(
			    ctl->arena, argv[i + 1], (size_t)(eq - argv[i + 1])),
			    eq + 1);
		}
	}
	return TTCTL_OK;
}

static int
trust_add(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_oidc_policy	 p;
	struct tt_trust_row	 out;
	const char		*name, *ttl, *age, *why;
	cJSON			*caps, *conds;
	enum tt_err		 e;
	int			 rc;

	memset(&p, 0, sizeof(p));
	name = ttctl_opt(argc, argv, "--name");
	p.issuer = ttctl_opt(argc, argv, "--issuer");
	p.audience = ttctl_opt(argc, argv, "--audience");
	p.subject = ttctl_opt(argc, argv, "--subject");
	p.user_id = ttctl_opt(argc, argv, "--user");
	ttl = ttctl_opt(argc, argv, "--max-ttl");
	age = ttctl_opt(argc, argv, "--max-token-age");
	if (name == NULL || p.issuer == NULL || p.audience == NULL ||
	    p.subject == NULL || p.user_id == NULL)
		return ttctl_fail(TTCTL_USAGE, ADD_USAGE);
	p.max_ttl = 60;
	if (ttl != NULL && tt_valid_int64(ttl, 1, 3600, &p.max_ttl) != 0)
		return ttctl_fail(TTCTL_USAGE, "--max-ttl takes seconds, 1 to "
		    "3600");
	/* The longest exp - iat of an ID token the policy accepts. */
	p.max_token_age = TT_OIDC_DEFAULT_TOKEN_AGE;
	if (age != NULL && tt_valid_int64(age, 1, TT_OIDC_MAX_TOKEN_AGE,
	    &p.max_token_age) != 0)
		return ttctl_fail(TTCTL_USAGE, "--max-token-age takes seconds, "
		    "1 to %d", TT_OIDC_MAX_TOKEN_AGE);
	caps = tt_json_own(ctl->arena, cJSON_CreateArray());
	conds = tt_json_own(ctl->arena, cJSON_CreateObject());
	if ((rc = collect(ctl, argc, argv, caps, conds)) != TTCTL_OK)
		return rc;
	p.caps = caps;
	p.conditions = conds;
	e = tt_trust_add(ctl->arena, name, &p, &tt_audit_src_ttctl, &out,
	    &why);
	if (e == TT_EINVAL)
		return ttctl_fail(TTCTL_REFUSED, "policy refused: %s", why);
	if (e != TT_OK)
		return ttctl_fail(TTCTL_REFUSED, "could not add the policy: %s",
		    tt_err_str(e));
	if (ctl->json)
		print_policy(ctl, &out);
	else
		printf("%s\n", out.p.id);
	return TTCTL_OK;
}

static int
trust(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_trust_row	*rows;
	enum tt_err		 e;
	int			 i, n;

	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return trust_add(ctl, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		if ((e = tt_trust_list(ctl->arena, &rows, &n)) != TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "could not list: %s",
			    tt_err_str(e));
		for (i = 0; i < n; i++)
			print_policy(ctl, &rows[i]);
		return TTCTL_OK;
	}
	if (argc >= 2 && strcmp(argv[0], "remove") == 0) {
		if (!tt_valid_uuid(argv[1]))
			return ttctl_fail(TTCTL_USAGE, "trust remove takes the "
			    "policy's id (a uuid)");
		e = tt_trust_remove(ctl->arena, argv[1], &tt_audit_src_ttctl);
		if (e == TT_ENOTFOUND)
			return ttctl_fail(TTCTL_REFUSED, "no policy %s",
			    argv[1]);
		if (e != TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "could not remove: %s",
			    tt_err_str(e));
		printf(ctl->json ? "{\"removed\":\"%s\"}\n" : "removed %s\n",
		    argv[1]);
		return TTCTL_OK;
	}
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl oidc trust "
	    "add|list|remove");
}

int
ttctl_oidc(struct ttctl *ctl, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "trust") == 0)
		return trust(ctl, argc - 1, argv + 1);
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl oidc trust "
	    "add|list|remove");
}
