/* ttctl_plans.c: ttctl plans prune (the runner's stored plans, sql/018). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "runner.h"
#include "ttctl.h"
#include "valid.h"

static int
plans_prune(struct ttctl *ctl, int argc, char **argv)
{
	const char	*in;
	int64_t		 days = tt_config.plan_retention_days, n;
	enum tt_err	 e;

	if ((in = ttctl_opt(argc, argv, "--days")) != NULL &&
	    tt_valid_int64(in, 1, 3650, &days) != 0)
		return ttctl_fail(TTCTL_USAGE, "--days takes 1..3650");
	if ((e = tt_runner_prune_plans(ctl->arena, days, &n)) != TT_OK)
		return ttctl_fail(TTCTL_REFUSED, "could not prune: %s",
		    tt_err_str(e));
	if (ctl->json)
		printf("{\"days\":%lld,\"plans\":%lld}\n", (long long)days,
		    (long long)n);
	else
		printf("pruned %lld plans older than %lld days or of closed "
		    "pull requests\n", (long long)n, (long long)days);
	return TTCTL_OK;
}

int
ttctl_plans(struct ttctl *ctl, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "prune") == 0)
		return plans_prune(ctl, argc - 1, argv + 1);
	return ttctl_fail(TTCTL_USAGE, "usage: ttctl plans prune [--days N]");
}
