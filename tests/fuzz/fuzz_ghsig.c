/* fuzz_ghsig.c: libFuzzer target for X-Hub-Signature-256 and file names. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "ghpull.h"
#include "ghsig.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/*
 * A header that parses is "sha256=" and 64 lower-case hex digits, and
 * verifying never accepts it under a secret it was not made with. A
 * changed-file name maps to a directory only when it is a clean relative
 * path of a Terraform file, and that directory is a prefix of it.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	 mac[TT_SHA256_LEN];
	const char	*dir;
	char		*s;
	size_t		 i;

	if (arena == NULL)
		arena = tt_arena_new();
	s = tt_arena_strndup(arena, (const char *)data, size);
	if (tt_ghsig_parse(s, mac) == 0) {
		if (strlen(s) != 7 + 64 || strncmp(s, "sha256=", 7) != 0)
			abort();
		for (i = 7; i < strlen(s); i++)
			if (!((s[i] >= '0' && s[i] <= '9') ||
			    (s[i] >= 'a' && s[i] <= 'f')))
				abort();
	}
	if (tt_ghsig_verify(s, data, size, (const unsigned char *)"k", 1) &&
	    tt_ghsig_verify(s, data, size, (const unsigned char *)"j", 1))
		abort();
	if ((dir = tt_ghpull_dir_of(arena, s)) != NULL) {
		if (strstr(s, "..") != NULL && strstr(s, "/../") != NULL)
			abort();
		if (strcmp(dir, ".") != 0 &&
		    (strncmp(s, dir, strlen(dir)) != 0 ||
		    s[strlen(dir)] != '/'))
			abort();
	}
	tt_arena_reset(arena);
	return 0;
}
