/* ghsetup.h: whether the GitHub settings that are set can be used. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHSETUP_H
#define TT_GHSETUP_H

#include <stddef.h>

/* At most one problem with the App, one with the webhook secret. */
#define TT_GHSETUP_MAX	2

/* One setting that is set and cannot be used. */
struct tt_ghsetup_problem {
	const char	*var;		/* the variable, e.g. TT_GITHUB_... */
	char		 reason[128];	/* for /healthz: no path, no contents */
	char		 detail[768];	/* for the log: the file, the reason */
};

/*
 * Checks what is set of the GitHub App (TT_GITHUB_APP_ID and
 * TT_GITHUB_APP_PRIVATE_KEY_FILE: the key must load) and of the webhook
 * secret (TT_GITHUB_WEBHOOK_SECRET_FILE: a secret must be read from it).
 * Unset settings are no problem (the App and the webhook are optional).
 * Fills up to max problems into p and returns how many. Loads the key
 * and the secrets into process memory as the webhook program does
 * (released by tt_ghauth_cleanup and tt_ghsig_cleanup).
 */
size_t	tt_ghsetup_check(struct tt_ghsetup_problem *p, size_t max);

/*
 * Logs each problem as one error line naming the variable, the file and
 * the system's reason, and what it holds up. For a program's start
 * (tt_serve_at_start).
 */
void	tt_ghsetup_log(void);

#endif
