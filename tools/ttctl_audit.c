/* ttctl_audit.c: ttctl audit list and prune (the audit trail, sql/013). */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "config.h"
#include "db.h"
#include "trust.h"
#include "ttctl.h"
#include "valid.h"

#define PAGE	500

static void
print_row(struct ttctl *ctl, struct tt_arena *a, const struct tt_audit_row *w)
{
	if (ctl->json) {
		ttctl_print_json(cJSON_Duplicate(tt_audit_json(a, w), 1));
		return;
	}
	printf("%s  %-10s  %-20s  %-5s  user %s  key %s  from %s  %s\n",
	    w->at, w->event, w->outcome, w->via,
	    w->user_id ? w->user_id : "-", w->api_key_id ? w->api_key_id : "-",
	    w->source_address ? w->source_address : "-",
	    w->user_agent ? w->user_agent : "-");
}

/* --since: a duration back from now (30d, 12h) or a timestamp. */
static const char *
since_arg(struct ttctl *ctl, const char *in, int *bad)
{
	struct tt_db_res	*r;
	const char		*p[1];
	char			 secs[24];
	int64_t			 s;

	*bad = 0;
	if (in == NULL)
		return NULL;
	if ((s = ttctl_duration(in)) >= 0) {
		snprintf(secs, sizeof(secs), "%lld", (long long)s);
		p[0] = secs;
		if (tt_db_exec(ctl->arena, "SELECT (now() - make_interval("
		    "secs => $1::bigint))::text AS t", 1, p, &r) != TT_OK) {
			*bad = 1;
			return NULL;
		}
		return tt_arena_strdup(ctl->arena, tt_db_get(r, 0, "t"));
	}
	p[0] = in;
	if (tt_db_exec(ctl->arena, "SELECT $1::timestamptz::text AS t", 1, p,
	    &r) != TT_OK) {
		*bad = 1;
		return NULL;
	}
	return tt_arena_strdup(ctl->arena, tt_db_get(r, 0, "t"));
}

static int
audit_list(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_audit_row	*rows;
	const char		*user, *since, *in, *cursor = NULL;
	int64_t			 limit = INT64_MAX, got = 0, ask;
	int			 n, i, bad;
	enum tt_err		 e;

	user = ttctl_opt(argc, argv, "--user");
	if (user != NULL && !tt_valid_uuid(user))
		return ttctl_fail(TTCTL_USAGE, "--user takes a user's uuid");
	if ((in = ttctl_opt(argc, argv, "--limit")) != NULL &&
	    tt_valid_int64(in, 1, INT64_MAX, &limit) != 0)
		return ttctl_fail(TTCTL_USAGE, "--limit takes a positive "
		    "number");
	since = since_arg(ctl, ttctl_opt(argc, argv, "--since"), &bad);
	if (bad)
		return ttctl_fail(TTCTL_USAGE, "--since takes a duration "
		    "(30d, 12h, 45m, 90s) or a time (2026-12-01T00:00:00Z)");
	do {
		ask = limit - got < PAGE ? limit - got : PAGE;
		e = tt_audit_list(ctl->arena, user, since, ask, cursor, &rows,
		    &n);
		if (e != TT_OK)
			return ttctl_fail(TTCTL_REFUSED, "could not list the "
			    "audit trail: %s", tt_err_str(e));
		for (i = 0; i < n; i++)
			print_row(ctl, ctl->arena, &rows[i]);
		got += n;
		cursor = n > 0 ? rows[n - 1].cursor : NULL;
	} while (n == ask && got < limit);
	return TTCTL_OK;
}

static int
audit_prune(struct ttctl *ctl, int argc, char **argv)
{
	const char	*in;
	int64_t		 days = tt_config.audit_retention_days, ev, bk, jt;
	enum tt_err	 e;

	if ((in = ttctl_opt(argc, argv, "--days")) != NULL &&
	    tt_valid_int64(in, 1, 36500, &days) != 0)
		return ttctl_fail(TTCTL_USAGE, "--days takes 1..36500");
	if ((e = tt_audit_prune(ctl->arena, days, &ev, &bk)) != TT_OK ||
	    (e = tt_trust_prune(ctl->arena, &jt)) != TT_OK)
		return ttctl_fail(TTCTL_REFUSED, "could not prune: %s",
		    tt_err_str(e));
	if (ctl->json)
		printf("{\"days\":%lld,\"events\":%lld,\"buckets\":%lld,"
		    "\"exchanged_tokens\":%lld}\n", (long long)days,
		    (long long)ev, (long long)bk, (long long)jt);
	else
		printf("pruned %lld audit rows older than %lld days, %lld "
		    "idle rate-limit buckets and %lld expired exchanged ID "
		    "token ids\n", (long long)ev, (long long)days,
		    (long long)bk, (long long)jt);
	return TTCTL_OK;
}

int
ttctl_audit(struct ttctl *ctl, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return audit_list(ctl, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "prune") == 0)
		return audit_prune(ctl, argc - 1, argv + 1);
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl audit list [--user U] "
	    "[--since T] [--limit N] | audit prune [--days N]");
}
