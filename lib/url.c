/* url.c: percent-decoding and query-string lookup. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "arena.h"
#include "url.h"
#include "valid.h"

char *
tt_url_decode(struct tt_arena *a, const char *s, size_t n, int plus_space,
    size_t *outlen)
{
	char	*out;
	size_t	 i, o = 0;
	int	 hi, lo;

	out = tt_arena_alloc(a, n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3 || (hi = tt_valid_hexdigit(s[i + 1])) < 0 ||
			    (lo = tt_valid_hexdigit(s[i + 2])) < 0)
				return NULL;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus_space && s[i] == '+')
			out[o++] = ' ';
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

const char *
tt_url_query(struct tt_arena *a, const char *q, const char *name,
    unsigned nth, int *bad)
{
	size_t		 nlen = strlen(name), klen, vlen, dlen;
	const char	*p = q, *amp, *eq, *end;
	char		*key, *val;

	*bad = 0;
	if (q == NULL)
		return NULL;
	while (*p != '\0') {
		amp = strchr(p, '&');
		end = amp ? amp : p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		klen = (size_t)((eq ? eq : end) - p);
		key = tt_url_decode(a, p, klen, 1, &dlen);
		if (key != NULL && dlen == nlen && memcmp(key, name, nlen) == 0) {
			if (nth-- == 0) {
				if (eq == NULL)
					return "";
				vlen = (size_t)(end - eq - 1);
				val = tt_url_decode(a, eq + 1, vlen, 1, &dlen);
				if (val == NULL || strlen(val) != dlen) {
					*bad = 1;
					return NULL;
				}
				return val;
			}
		}
		p = amp ? amp + 1 : end;
	}
	return NULL;
}

char *
tt_url_encode(struct tt_arena *a, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 n = strlen(s), i, o = 0;
	char			*out;
	unsigned char		 c;

	out = tt_arena_alloc(a, 3 * n + 1);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
