/* page.c: page limits and opaque keyset cursors. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "crypto.h"
#include "http.h"
#include "page.h"
#include "valid.h"

#define CURSOR_MAX	1024

enum tt_err
tt_page_limit(struct tt_req *req, struct tt_resp *resp, int64_t def,
    int64_t max, int64_t *limit)
{
	const char	*s;
	size_t		 i;
	int		 bad, nonzero = 0;

	s = tt_req_query(req, "limit", &bad);
	if (s == NULL && !bad) {
		*limit = def;
		return TT_OK;
	}

	/* Digits only, at least one not 0: past max (or int64) is max. */
	for (i = 0; !bad && s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
		nonzero |= s[i] != '0';
	}
	if (bad || i == 0 || s[i] != '\0' || !nonzero)
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM", "limit "
		    "must be a whole number from 1 (more than %lld counts as "
		    "%lld)", (long long)max, (long long)max);
	if (tt_valid_int64(s, 1, max, limit) != 0)
		*limit = max;
	return TT_OK;
}

char *
tt_page_encode(struct tt_arena *a, const char *const *fields, size_t n)
{
	struct tt_buf	 b = { 0 };
	char		*out;
	size_t		 i;

	tt_buf_puts(&b, "p1");
	for (i = 0; i < n; i++) {
		tt_buf_puts(&b, "\n");
		tt_buf_puts(&b, fields[i]);
	}
	out = tt_crypto_b64url_encode(a, (const unsigned char *)b.p, b.n);
	tt_buf_free(&b);
	return out;
}

int
tt_page_decode(struct tt_arena *a, const char *cursor, const char **fields,
    size_t n)
{
	unsigned char	*raw;
	char		*p, *nl;
	size_t		 len, i, k;

	if (cursor == NULL || strlen(cursor) > CURSOR_MAX)
		return -1;
	raw = tt_crypto_b64url_decode(a, cursor, strlen(cursor), &len);
	if (raw == NULL || len < 3 || memcmp(raw, "p1\n", 3) != 0 ||
	    strlen((char *)raw) != len || !tt_valid_utf8((char *)raw, len))
		return -1;
	p = (char *)raw + 3;
	for (i = 0; i < n; i++) {
		nl = strchr(p, '\n');
		if ((nl == NULL) != (i == n - 1))
			return -1;
		if (nl != NULL)
			*nl = '\0';
		if (*p == '\0')
			return -1;
		for (k = 0; p[k] != '\0'; k++)
			if ((unsigned char)p[k] < 0x20)
				return -1;
		fields[i] = p;
		if (nl != NULL)
			p = nl + 1;
	}
	return 0;
}
