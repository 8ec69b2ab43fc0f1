/* url.h: percent-decoding and query-string lookup. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_URL_H
#define TT_URL_H

#include <stddef.h>

struct tt_arena;

/*
 * Percent-decodes s[0..n) once into an arena-owned NUL-terminated string,
 * storing the decoded length in *outlen. With plus_space, '+' becomes ' '
 * (query strings). Returns NULL on a malformed escape ("%4", "%zz").
 * The result may contain NUL bytes: check *outlen.
 */
char	*tt_url_decode(struct tt_arena *, const char *s, size_t n,
	    int plus_space, size_t *outlen);

/*
 * Finds the nth (0-based) value of name in a raw query string ("a=1&b=2"),
 * decoded. Returns NULL when absent; sets *bad when the value is present
 * but malformed or contains NUL. A bare "a" has the value "".
 */
const char *tt_url_query(struct tt_arena *, const char *query,
	    const char *name, unsigned nth, int *bad);

/* Percent-encodes s for use inside a query value; arena-owned. */
char	*tt_url_encode(struct tt_arena *, const char *s);

#endif
