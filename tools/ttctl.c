/* ttctl.c: the admin command line: dispatch and shared helpers. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "ghauth.h"
#include "github.h"
#include "ttctl.h"
#include "valid.h"

static const struct {
	const char	*name;
	int		(*fn)(struct ttctl *, int, char **);
	const char	*usage;
} commands[] = {
	{ "migrate", ttctl_migrate,
	  "migrate [--status]            apply pending sql/ migrations" },
	{ "user", ttctl_user,
	  "user create [--github-login L] | user list\n"
	  "  ttctl user link --id U --github-id N | user unlink --id U  "
	  "GitHub sign-in" },
	{ "installation", ttctl_installation,
	  "installation create --id N --login L\n"
	  "  ttctl installation add-member|remove-member --id N --user U" },
	{ "key", ttctl_key,
	  "key create --user U --name N --cap C [--cap C...] "
	  "[--expires-in 30d] [--rate-limit N]\n"
	  "  ttctl key list --user U [--all] | key revoke ID" },
	{ "audit", ttctl_audit,
	  "audit list [--user U] [--since T|30d] [--limit N]\n"
	  "  ttctl audit prune [--days N]  drop rows older than "
	  "TT_AUDIT_RETENTION_DAYS\n"
	  "      (and idle rate-limit buckets, exchanged ID token ids an "
	  "hour past exp)" },
	{ "manifests", ttctl_manifests,
	  "manifests seed --installation N --count K  demo work manifests\n"
	  "  ttctl manifests complete ID --dirspace DIR:WORKSPACE=success|"
	  "failure\n"
	  "      [--dirspace ...] [--has-changes]  record a run's results" },
	{ "events", ttctl_events,
	  "events list [--state S] [--limit N] | events show ID\n"
	  "  ttctl events replay ID [--redo] | events drain [--limit N]  "
	  "webhook deliveries" },
	{ "oidc", ttctl_oidc,
	  "oidc trust add --name N --issuer URL --audience A --subject PAT\n"
	  "      --user U --cap C [--cap C...] [--claim NAME=PAT...] "
	  "[--max-ttl S]\n"
	  "      [--max-token-age S]  (longest ID token exp - iat, default "
	  "3600)\n"
	  "  ttctl oidc trust list | oidc trust remove ID  keyless CI login" },
	{ "plans", ttctl_plans,
	  "plans prune [--days N]  drop the runner's plans older than "
	  "TT_PLAN_RETENTION_DAYS\n"
	  "      or of closed pull requests (cron, daily)" },
	{ "secret", ttctl_secret,
	  "secret rotate | secret list  JWT signing secrets" },
};

/* "30d", "12h", "45m", "90s" in seconds; -1 if malformed. */
int64_t
ttctl_duration(const char *s)
{
	size_t	n = strlen(s);
	int64_t	v, mult;

	if (n < 2)
		return -1;
	switch (s[n - 1]) {
	case 'd': mult = 86400; break;
	case 'h': mult = 3600; break;
	case 'm': mult = 60; break;
	case 's': mult = 1; break;
	default: return -1;
	}
	if (tt_valid_int64n(s, n - 1, 1, 3650LL * 86400, &v) != 0 ||
	    v > 3650LL * 86400 / mult)
		return -1;
	return v * mult;
}


const char *
ttctl_opt(int argc, char **argv, const char *name)
{
	int	i;

	for (i = 0; i < argc - 1; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

int
ttctl_flag(int argc, char **argv, const char *name)
{
	int	i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

void
ttctl_print_json(cJSON *j)
{
	char	*s = cJSON_PrintUnformatted(j);

	if (s != NULL)
		printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(j);
}

int
ttctl_fail(int code, const char *fmt, ...)
{
	va_list	ap;

	fputs("ttctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int
usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: ttctl [--json] <command> [options]\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  ttctl %s\n", commands[i].usage);
	return TTCTL_USAGE;
}

int
main(int argc, char **argv)
{
	struct ttctl	ctl = { 0 };
	size_t		i;
	int		rc, argi = 1;

	tt_config_load_or_die("ttctl");
	tt_db_set_app("ttctl");
	if (argi < argc && strcmp(argv[argi], "--json") == 0) {
		ctl.json = 1;
		argi++;
	}
	if (argi >= argc)
		return usage();
	if (ttctl_flag(argc - argi, argv + argi, "--json"))
		ctl.json = 1;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[argi], commands[i].name) != 0)
			continue;
		ctl.arena = tt_arena_new();
		rc = commands[i].fn(&ctl, argc - argi - 1, argv + argi + 1);
		tt_arena_free(ctl.arena);
		tt_ghauth_cleanup();
		tt_github_cleanup();
		tt_db_close();
		return rc;
	}
	fprintf(stderr, "ttctl: unknown command \"%s\"\n", argv[argi]);
	return usage();
}
