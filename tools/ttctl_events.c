/* ttctl_events.c: ttctl events: the webhook delivery ledger. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "ghauth.h"
#include "ghevents.h"
#include "ledger.h"
#include "ttctl.h"
#include "valid.h"

#define EV_COLS \
	"id, delivery_id, event, coalesce(action, '') AS action, " \
	"coalesce(installation_id::text, '') AS installation_id, state, " \
	"attempts, " TT_DB_UTC("received_at") " AS received_at, " \
	TT_DB_UTC("next_attempt_at") " AS next_attempt_at, " \
	"coalesce(last_error, '') AS last_error, coalesce(outcome, '') AS " \
	"outcome"

static const char *const ev_fields[] = {
	"id", "delivery_id", "event", "action", "installation_id", "state",
	"attempts", "received_at", "next_attempt_at", "last_error", "outcome",
};

static int
db_fail(enum tt_err e)
{
	return ttctl_fail(TTCTL_REFUSED, "database: %s (%s)", tt_err_str(e),
	    tt_db_last_sqlstate());
}

static void
print_row(struct ttctl *ctl, struct tt_db_res *r, int i, int full)
{
	cJSON	*o;
	size_t	 k;

	if (ctl->json || full) {
		o = cJSON_CreateObject();
		for (k = 0; k < TT_NITEMS(ev_fields); k++)
			cJSON_AddStringToObject(o, ev_fields[k],
			    tt_db_get(r, i, ev_fields[k]));
		if (full) {
			cJSON_AddRawToObject(o, "payload",
			    tt_db_get(r, i, "payload"));
			cJSON_AddStringToObject(o, "work_manifest_id",
			    tt_db_get(r, i, "wm"));
			cJSON_AddStringToObject(o, "check_run_id",
			    tt_db_get(r, i, "check_run"));
			cJSON_AddStringToObject(o, "comment_id",
			    tt_db_get(r, i, "comment"));
		}
		ttctl_print_json(o);
		return;
	}
	printf("%-8s %-36s %-28s %-10s %2s  %s  %s\n", tt_db_get(r, i, "id"),
	    tt_db_get(r, i, "delivery_id"), tt_arena_printf(ctl->arena,
	    "%s%s%s", tt_db_get(r, i, "event"), tt_db_get(r, i, "action")[0] ?
	    "." : "", tt_db_get(r, i, "action")), tt_db_get(r, i, "state"),
	    tt_db_get(r, i, "attempts"), tt_db_get(r, i, "received_at"),
	    strcmp(tt_db_get(r, i, "state"), "done") == 0 ?
	    tt_db_get(r, i, "outcome") : tt_db_get(r, i, "last_error"));
}

static int
ev_list(struct ttctl *ctl, int argc, char **argv)
{
	struct tt_db_res	*r;
	const char		*p[2];
	int64_t			 lim;
	enum tt_err		 e;
	int			 i;

	p[0] = ttctl_opt(argc, argv, "--state");
	p[1] = ttctl_opt(argc, argv, "--limit");
	if (p[1] != NULL && tt_valid_int64(p[1], 1, 100000, &lim) != 0)
		return ttctl_fail(TTCTL_USAGE, "--limit takes 1 to 100000");
	if ((e = tt_db_exec(ctl->arena, "SELECT " EV_COLS " FROM "
	    "webhook_deliveries WHERE ($1::text IS NULL OR state = $1) ORDER "
	    "BY id DESC LIMIT coalesce($2::int, 50)", 2, p, &r)) != TT_OK)
		return db_fail(e);
	for (i = tt_db_nrows(r) - 1; i >= 0; i--)
		print_row(ctl, r, i, 0);
	return TTCTL_OK;
}

static int
ev_show(struct ttctl *ctl, const char *id)
{
	struct tt_db_res	*r;
	const char		*p[1] = { id };
	enum tt_err		 e;

	if ((e = tt_db_exec(ctl->arena, "SELECT " EV_COLS ", payload::text "
	    "AS payload, coalesce(work_manifest_id::text, '') AS wm, "
	    "coalesce(check_run_id::text, '') AS check_run, "
	    "coalesce(comment_id::text, '') AS comment FROM "
	    "webhook_deliveries WHERE id::text = $1 OR delivery_id = $1",
	    1, p, &r)) != TT_OK)
		return db_fail(e);
	if (tt_db_nrows(r) != 1)
		return ttctl_fail(TTCTL_REFUSED, "no delivery %s", id);
	print_row(ctl, r, 0, 1);
	return TTCTL_OK;
}

/* A ledger id from a ledger id or a delivery GUID. */
static const char *
resolve(struct ttctl *ctl, const char *id)
{
	struct tt_db_res	*r;
	const char		*p[1] = { id };

	if (tt_db_exec(ctl->arena, "SELECT id FROM webhook_deliveries WHERE "
	    "id::text = $1 OR delivery_id = $1", 1, p, &r) != TT_OK ||
	    tt_db_nrows(r) != 1)
		return NULL;
	return tt_db_get(r, 0, "id");
}

static int
ev_drain(struct ttctl *ctl, const char *only, int64_t max)
{
	char	why[256];
	int	n, total = 0;

	if (tt_ghauth_configured(why, sizeof(why)) != TT_OK)
		return ttctl_fail(TTCTL_REFUSED, "cannot process deliveries: "
		    "%s", why);
	/* One at a time, so memory stays flat over a long backlog. */
	while (total < max) {
		n = tt_ghevents_drain(ctl->arena, only, 1);
		tt_db_end_request();
		tt_arena_reset(ctl->arena);
		if (n < 0)
			return ttctl_fail(TTCTL_REFUSED, "database failed "
			    "while draining");
		if (n == 0)
			break;
		total += n;
		if (only != NULL)
			break;
	}
	if (ctl->json)
		printf("{\"processed\":%d}\n", total);
	else
		printf("%d deliveries processed\n", total);
	return TTCTL_OK;
}

/*
 * ttctl events list [--state S] [--limit N] | show ID | replay ID [--redo] |
 * drain [--limit N]
 */
int
ttctl_events(struct ttctl *ctl, int argc, char **argv)
{
	const char	*id, *lim;
	int64_t		 max = 1000000;
	enum tt_err	 e;

	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return ev_list(ctl, argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return ev_show(ctl, argv[1]);
	if (argc >= 2 && strcmp(argv[0], "replay") == 0) {
		if ((id = resolve(ctl, argv[1])) == NULL)
			return ttctl_fail(TTCTL_REFUSED, "no delivery %s",
			    argv[1]);
		e = tt_ledger_replay(ctl->arena, id,
		    ttctl_flag(argc, argv, "--redo"));
		if (e == TT_ENOTFOUND)
			return ttctl_fail(TTCTL_REFUSED, "delivery %s is being "
			    "processed right now; try again", argv[1]);
		if (e != TT_OK)
			return db_fail(e);
		/* Processed now when an App is configured; else it waits. */
		if (!ctl->json)
			printf("delivery %s queued again\n", argv[1]);
		return ev_drain(ctl, id, 1);
	}
	if (argc >= 1 && strcmp(argv[0], "drain") == 0) {
		lim = ttctl_opt(argc, argv, "--limit");
		if (lim != NULL && tt_valid_int64(lim, 1, 1000000, &max) != 0)
			return ttctl_fail(TTCTL_USAGE, "--limit takes 1 to "
			    "1000000");
		return ev_drain(ctl, NULL, max);
	}
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl events list [--state S] "
	    "[--limit N] | show ID | replay ID [--redo] | drain [--limit N]");
}
