/* ghtext.h: text for GitHub comments and check runs. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_GHTEXT_H
#define TT_GHTEXT_H

#include <stddef.h>

struct tt_arena;

/* GitHub refuses a comment or check-run text over 65,535 characters. */
#define TT_GHTEXT_MAX	60000

/*
 * text (at most max bytes of it, cut on a character) as a fenced block
 * GitHub shows verbatim: the fence is longer than any run of backticks
 * in it, so nothing in the (outside-written) text can close it early.
 * Arena-owned.
 */
const char	*tt_ghtext_fenced(struct tt_arena *, const char *text,
		    size_t max);

#endif
