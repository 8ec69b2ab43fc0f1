/* ttctl.h: shared pieces of the admin command line's subcommands. */
/* SPDX-License-Identifier: MIT */
#ifndef TTCTL_H
#define TTCTL_H

#include <stddef.h>
#include <stdint.h>

struct tt_arena;
struct cJSON;

/* Exit codes: done, refused, bad usage. */
#define TTCTL_OK	0
#define TTCTL_REFUSED	1
#define TTCTL_USAGE	2

struct ttctl {
	struct tt_arena	*arena;
	int		 json;		/* --json given */
};

/*
 * Finds "--name value" in argv; returns the value or NULL. Flags without
 * a value use ttctl_flag.
 */
const char	*ttctl_opt(int argc, char **argv, const char *name);
int		 ttctl_flag(int argc, char **argv, const char *name);
/* Prints "ttctl: <msg>" to stderr and returns code. */
int		 ttctl_fail(int code, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* "30d", "12h", "45m", "90s" in seconds; -1 if malformed. */
int64_t		 ttctl_duration(const char *);

/* Prints the tree on one line and deletes it. */
void		 ttctl_print_json(struct cJSON *);

int	ttctl_migrate(struct ttctl *, int, char **);
int	ttctl_user(struct ttctl *, int, char **);
int	ttctl_installation(struct ttctl *, int, char **);
int	ttctl_key(struct ttctl *, int, char **);
int	ttctl_audit(struct ttctl *, int, char **);
int	ttctl_secret(struct ttctl *, int, char **);
int	ttctl_manifests(struct ttctl *, int, char **);
int	ttctl_events(struct ttctl *, int, char **);
int	ttctl_oidc(struct ttctl *, int, char **);
int	ttctl_plans(struct ttctl *, int, char **);

#endif
