/* valid.c: validators for values that come from outside. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>

#include "valid.h"

int
tt_valid_int64n(const char *s, size_t n, int64_t min, int64_t max,
    int64_t *v)
{
	uint64_t	acc = 0, lim;
	int64_t		r;
	size_t		i = 0;
	int		neg = 0;

	if (n == 0)
		return -1;
	if (s[0] == '-') {
		if (min >= 0)
			return -1;
		neg = 1;
		i = 1;
	}
	if (i == n)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (acc > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg) {
		if (acc == (uint64_t)INT64_MAX + 1)
			r = INT64_MIN;
		else
			r = -(int64_t)acc;
	} else
		r = (int64_t)acc;
	if (r < min || r > max)
		return -1;
	*v = r;
	return 0;
}

int
tt_valid_int64(const char *s, int64_t min, int64_t max, int64_t *v)
{
	if (s == NULL)
		return -1;
	return tt_valid_int64n(s, strlen(s), min, max, v);
}

int
tt_valid_utf8(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k, len;
	uint32_t		 cp;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			len = 2;
			cp = p[i] & 0x1f;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			len = 3;
			cp = p[i] & 0x0f;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			len = 4;
			cp = p[i] & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int
tt_valid_hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
tt_valid_uuid(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (tt_valid_hexdigit(s[i]) < 0)
			return 0;
	}
	return 1;
}

int
tt_valid_request_id(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 128)
			return 0;
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == ':' || s[i] == '-'))
			return 0;
	}
	return 1;
}

void
tt_valid_utf8_scrub(char *s)
{
	size_t	i = 0, n = strlen(s), k, len;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		/* The longest valid sequence starting here, if any. */
		for (len = 4; len >= 2; len--)
			if (n - i >= len && tt_valid_utf8(s + i, len))
				break;
		if (len >= 2) {
			i += len;
			continue;
		}
		s[i++] = '?';
		for (k = i; k < n && ((unsigned char)s[k] & 0xc0) == 0x80; k++)
			s[k] = '?';
		i = k;
	}
}
