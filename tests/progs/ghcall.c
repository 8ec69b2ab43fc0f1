/* ghcall.c: a test-only program: one GitHub App call, answered as JSON. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "ghauth.h"
#include "github.h"
#include "json.h"
#include "valid.h"

/*
 *   ghcall jwt                                  prints an App JWT
 *   ghcall [budget MS] call INST METHOD PATH [JSON-BODY]
 *
 * A call prints one line: {"rc":"ok"|tt_err_str,"status":N,
 * "retry_after":N,"error":"..."|null,"body":JSON or text}. Exit 0 when
 * rc is ok, 1 when not, 2 on bad usage. Configuration comes from the
 * TT_* environment like every program's.
 */

int main(int, char **);

static int	 usage(void);
static int	 jwt(struct tt_arena *);
static int	 call(struct tt_arena *, int, char **);

static int
usage(void)
{
	fprintf(stderr, "usage: ghcall jwt\n"
	    "       ghcall [budget MS] call INST METHOD PATH [JSON-BODY]\n");
	return 2;
}

static int
jwt(struct tt_arena *a)
{
	const char	*j;
	char		 why[256];

	if (tt_ghauth_configured(why, sizeof(why)) != TT_OK) {
		fprintf(stderr, "ghcall: %s\n", why);
		return 1;
	}
	if (tt_ghauth_app_jwt(a, time(NULL), &j) != TT_OK)
		return 1;
	printf("%s\n", j);
	return 0;
}

static int
call(struct tt_arena *a, int argc, char **argv)
{
	struct tt_github_resp	 r;
	const cJSON		*body = NULL;
	const char		*why;
	cJSON			*o;
	int64_t			 inst;
	enum tt_err		 e;

	if (argc < 3 || argc > 4)
		return usage();
	if (tt_valid_int64(argv[0], 1, INT64_MAX, &inst) != 0) {
		fprintf(stderr, "ghcall: bad installation id \"%s\"\n",
		    argv[0]);
		return 2;
	}
	if (argc == 4 && (body = tt_json_parse(a, argv[3], strlen(argv[3]),
	    &why)) == NULL) {
		fprintf(stderr, "ghcall: bad JSON body: %s\n", why);
		return 2;
	}
	e = tt_ghauth_call(a, inst, argv[1], argv[2], body, &r);

	o = tt_json_own(a, cJSON_CreateObject());
	cJSON_AddStringToObject(o, "rc", tt_err_str(e));
	cJSON_AddNumberToObject(o, "status", (double)r.status);
	cJSON_AddNumberToObject(o, "retry_after", (double)r.retry_after);
	if (r.error != NULL)
		cJSON_AddStringToObject(o, "error", r.error);
	else
		cJSON_AddNullToObject(o, "error");
	if (r.json != NULL)
		cJSON_AddItemToObject(o, "body", cJSON_Duplicate(r.json, 1));
	else
		cJSON_AddStringToObject(o, "body", r.body != NULL ? r.body :
		    "");
	printf("%s\n", tt_json_print(a, o));
	return e == TT_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct tt_arena	*a;
	int64_t		 ms;
	int		 rc, i = 1;

	tt_config_load_or_die("ghcall");
	tt_db_set_app("ghcall");
	if (argc > 3 && strcmp(argv[i], "budget") == 0) {
		if (tt_valid_int64(argv[i + 1], 1, INT64_MAX / 2, &ms) != 0)
			return usage();
		tt_github_set_budget_ms(ms);
		i += 2;
	}
	if (i >= argc)
		return usage();
	a = tt_arena_new();
	if (strcmp(argv[i], "jwt") == 0 && argc == i + 1)
		rc = jwt(a);
	else if (strcmp(argv[i], "call") == 0)
		rc = call(a, argc - i - 1, argv + i + 1);
	else
		rc = usage();
	tt_arena_free(a);
	tt_ghauth_cleanup();
	tt_github_cleanup();
	tt_db_close();
	return rc;
}
