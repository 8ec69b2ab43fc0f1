/* ghsetup.c: whether the GitHub settings that are set can be used. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ghauth.h"
#include "ghsetup.h"
#include "ghsig.h"
#include "log.h"

static const char	*unreadable(const char *);
static void		 fill(struct tt_ghsetup_problem *, const char *,
			    const char *, const char *, const char *,
			    const char *);

/*
 * The system's reason a file cannot be opened for reading (static text),
 * or NULL when it can.
 */
static const char *
unreadable(const char *path)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return strerror(errno);
	close(fd);
	return NULL;
}

/*
 * One problem: the reason is "cannot be read: <errno text>" when path
 * cannot be opened, else otherwise; the detail is why and what it holds
 * up.
 */
static void
fill(struct tt_ghsetup_problem *p, const char *var, const char *path,
    const char *otherwise, const char *why, const char *effect)
{
	const char	*r = path != NULL ? unreadable(path) : NULL;

	p->var = var;
	if (r != NULL)
		snprintf(p->reason, sizeof(p->reason), "cannot be read: %s",
		    r);
	else
		snprintf(p->reason, sizeof(p->reason), "%s", otherwise);
	snprintf(p->detail, sizeof(p->detail), "%s; %s", why, effect);
}

size_t
tt_ghsetup_check(struct tt_ghsetup_problem *p, size_t max)
{
	static const char app_effect[] = "webhook deliveries are recorded "
	    "and wait in the ledger until it is fixed";
	static const char hook_effect[] = "every webhook delivery is "
	    "refused (503) until it is fixed";
	const struct tt_config	*c = &tt_config;
	const unsigned char	*secret[2];
	const char		*why;
	char			 buf[512];
	size_t			 len[2], n = 0;

	if (n < max && tt_ghauth_wanted() &&
	    tt_ghauth_configured(buf, sizeof(buf)) != TT_OK) {
		if (c->github_app_id == NULL)
			fill(&p[n], "TT_GITHUB_APP_ID", NULL, "is not set",
			    buf, app_effect);
		else if (strstr(buf, "TT_GITHUB_APP_ID") != NULL)
			fill(&p[n], "TT_GITHUB_APP_ID", NULL, "is not a "
			    "GitHub App id", buf, app_effect);
		else if (c->github_app_private_key_file == NULL)
			fill(&p[n], "TT_GITHUB_APP_PRIVATE_KEY_FILE", NULL,
			    "is not set", buf, app_effect);
		else
			fill(&p[n], "TT_GITHUB_APP_PRIVATE_KEY_FILE",
			    c->github_app_private_key_file, "does not hold a "
			    "usable RSA private key", buf, app_effect);
		n++;
	}
	if (n < max && c->github_webhook_secret_file != NULL &&
	    tt_ghsig_secrets(secret, len, &why) == 0) {
		fill(&p[n], "TT_GITHUB_WEBHOOK_SECRET_FILE",
		    c->github_webhook_secret_file, "holds no secret (empty, or "
		    "too large)", why, hook_effect);
		n++;
	}
	return n;
}

void
tt_ghsetup_log(void)
{
	struct tt_ghsetup_problem	p[TT_GHSETUP_MAX];
	size_t				n, i;

	n = tt_ghsetup_check(p, TT_GHSETUP_MAX);
	for (i = 0; i < n; i++)
		tt_log_errx("GitHub setup: %s", p[i].detail);
}
