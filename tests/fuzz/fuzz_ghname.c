/* fuzz_ghname.c: libFuzzer target for the GitHub name and path checks. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "github.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/* The name rule read a second way: [A-Za-z0-9._-]{1,100}, not . or ... */
static int
name_ok(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > 100 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

/*
 * 1 when the client accepts path, 0 when it refuses it as invalid. The
 * budget is spent before the first input, so an accepted path fails with
 * "budget spent" before any connection: no network is used.
 */
static int
path_accepted(const char *path)
{
	struct tt_github_resp	r;
	enum tt_err		e;

	e = tt_github_http(arena, "GET", path, "Bearer x", NULL, 0, &r);
	if (e == TT_EINVAL)
		return 0;
	if (e != TT_EUNAVAIL || strcmp(r.error, "budget spent") != 0)
		abort();
	return 1;
}

/* What an accepted path may never hold. */
static void
check_accepted(const char *p)
{
	const char	*seg, *end, *q;
	size_t		 n;

	if (p[0] != '/' || strstr(p, "//") != NULL ||
	    strpbrk(p, "\r\n \t:@#\\\"'<>") != NULL)
		abort();
	q = p + strcspn(p, "?");
	for (seg = p + 1; seg <= q; seg = end + 1) {
		end = seg + strcspn(seg, "/?");
		if (end > q)
			end = q;
		n = (size_t)(end - seg);
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			abort();
		if (end == q)
			break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct timespec	 ts = { 0, 2000000 };
	char		*s, *owner, *repo, *path;
	size_t		 cut;

	if (arena == NULL) {
		arena = tt_arena_new();
		tt_config.github_api_url = "http://127.0.0.1:1";
		tt_github_set_budget_ms(1);
		nanosleep(&ts, NULL);
	}
	s = tt_arena_strndup(arena, (const char *)data, size);

	/* The whole input as one name, and as a path. */
	if (tt_github_name_valid(s) != name_ok(s))
		abort();
	if (path_accepted(s))
		check_accepted(s);

	/* Split at the first '|': two names that must make a valid path. */
	cut = strcspn(s, "|");
	owner = tt_arena_strndup(arena, s, cut);
	repo = s[cut] != '\0' ? s + cut + 1 : "r";
	if (tt_github_name_valid(owner) && tt_github_name_valid(repo)) {
		path = tt_arena_printf(arena, "/repos/%s/%s/pulls/1/files"
		    "?per_page=100&page=2", owner, repo);
		if (!path_accepted(path))
			abort();
	}
	tt_arena_reset(arena);
	return 0;
}
