/* page.h: page sizes and opaque keyset cursors shared by list endpoints. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_PAGE_H
#define TT_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "tt.h"

struct tt_arena;
struct tt_req;
struct tt_resp;

#define TT_PAGE_DEFAULT	20
#define TT_PAGE_MAX	100
#define TT_PAGE_FIELDS	4

/*
 * ?limit=: def when absent; a number above max is max (as Terrateam
 * clamps); TT_EINVAL with resp filled for anything but decimal digits
 * ("", "-1", "abc", "+5") or a value below 1.
 */
enum tt_err	 tt_page_limit(struct tt_req *, struct tt_resp *, int64_t def,
		    int64_t max, int64_t *limit);

/*
 * An opaque cursor: base64url of "p1" and the fields, newline-separated.
 * Fields must not contain a newline. Arena-owned.
 */
char		*tt_page_encode(struct tt_arena *, const char *const *fields,
		    size_t n);

/*
 * Decodes exactly n non-empty printable fields into arena-owned strings.
 * Returns 0, or -1 for anything else (the caller answers 400); callers
 * still validate each field's type.
 */
int		 tt_page_decode(struct tt_arena *, const char *cursor,
		    const char **fields, size_t n);

#endif
