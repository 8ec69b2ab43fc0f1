/*
 * clientaddr.c: the client's address behind reverse proxies. Only a peer
 * listed in TT_TRUSTED_PROXIES may say who its client is (X-Forwarded-For,
 * which each proxy appends to); anyone else's header is ignored, since a
 * client can send any X-Forwarded-For it likes.
 */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <string.h>

#include "arena.h"
#include "clientaddr.h"

/* Longest text of one entry we read ("[v6]:port" included). */
#define ENTRY_MAX	64
/* At most this many X-Forwarded-For entries are walked. */
#define HOPS_MAX	32

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4. */
static void
unmap(struct tt_cidr *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (a->family == 6 && memcmp(a->addr, mapped, 12) == 0) {
		memmove(a->addr, a->addr + 12, 4);
		memset(a->addr + 4, 0, 12);
		a->family = 4;
		a->bits = a->bits >= 96 ? a->bits - 96 : 0;
	}
}

/* 1 if s[0..n) is one or more decimal digits (a port). */
static int
port_digits(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * One address of n bytes at s (no prefix): plain, "[v6]", "[v6]:port"
 * or "v4:port". 0 with *a set (bits: the full length), or -1.
 */
static int
parse_addr(const char *s, size_t n, struct tt_cidr *a)
{
	char		 buf[ENTRY_MAX + 1];
	const char	*end, *colon;
	size_t		 an;

	if (n == 0 || n > ENTRY_MAX)
		return -1;
	memset(a->addr, 0, sizeof(a->addr));
	if (s[0] == '[') {
		/* "[v6]" or "[v6]:port" */
		if ((end = memchr(s, ']', n)) == NULL)
			return -1;
		an = (size_t)(end - s) - 1;
		if ((size_t)(end - s) + 1 < n && (end[1] != ':' ||
		    !port_digits(end + 2, n - (size_t)(end - s) - 2)))
			return -1;
		memcpy(buf, s + 1, an);
		buf[an] = '\0';
		if (inet_pton(AF_INET6, buf, a->addr) != 1)
			return -1;
		a->family = 6;
	} else {
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, a->addr) == 1)
			a->family = 6;
		else {
			/* "a.b.c.d" or "a.b.c.d:port" */
			if ((colon = strchr(buf, ':')) != NULL) {
				if (!port_digits(colon + 1, strlen(colon + 1)))
					return -1;
				buf[colon - buf] = '\0';
			}
			if (inet_pton(AF_INET, buf, a->addr) != 1)
				return -1;
			a->family = 4;
		}
	}
	a->bits = a->family == 4 ? 32 : 128;
	unmap(a);
	return 0;
}

/* 1 if a lies in block b. */
static int
in_block(const struct tt_cidr *a, const struct tt_cidr *b)
{
	int		full = b->bits / 8, rest = b->bits % 8;
	unsigned char	mask;

	if (a->family != b->family)
		return 0;
	if (memcmp(a->addr, b->addr, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a->addr[full] & mask) == (b->addr[full] & mask);
}

static int
trusted(const struct tt_cidr *a, const struct tt_cidr *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (in_block(a, &list[i]))
			return 1;
	return 0;
}

/* "addr" or "addr/bits" of n bytes at s into *b (no brackets, no port). */
static int
parse_block(const char *s, size_t n, struct tt_cidr *b, const char **why)
{
	char		 buf[ENTRY_MAX + 1];
	const char	*slash = memchr(s, '/', n);
	size_t		 an = slash != NULL ? (size_t)(slash - s) : n;
	int		 bits = 0, max, i, mapped;

	*why = "not an IP address";
	if (an == 0 || an > ENTRY_MAX)
		return -1;
	memcpy(buf, s, an);
	buf[an] = '\0';
	memset(b->addr, 0, sizeof(b->addr));
	if (inet_pton(AF_INET, buf, b->addr) == 1)
		b->family = 4;
	else if (inet_pton(AF_INET6, buf, b->addr) == 1)
		b->family = 6;
	else
		return -1;
	max = b->family == 4 ? 32 : 128;
	if (slash != NULL) {
		*why = "a prefix length is 0 to 32 (IPv4) or 128 (IPv6)";
		if (n - an < 2 || n - an > 4)
			return -1;
		for (i = 1; (size_t)i < n - an; i++) {
			if (slash[i] < '0' || slash[i] > '9')
				return -1;
			bits = bits * 10 + (slash[i] - '0');
		}
		if (bits > max)
			return -1;
	} else
		bits = max;
	b->bits = bits;
	/* An IPv4-mapped block counts as IPv4 (its prefix from the IPv4 part). */
	mapped = b->family == 6;
	unmap(b);
	if (mapped && b->family == 4 && bits < 96)
		return -1;
	max = b->family == 4 ? 32 : 128;
	for (i = b->bits; i < max; i++)
		if (b->addr[i / 8] & (0x80 >> (i % 8))) {
			*why = "host bits are set below the prefix length";
			return -1;
		}
	return 0;
}

int
tt_clientaddr_parse(const char *spec, struct tt_cidr *out, size_t max,
    const char **why)
{
	const char	*p = spec;
	size_t		 n, count = 0;

	while (p != NULL && *p != '\0') {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (count == max) {
			*why = "too many entries";
			return -1;
		}
		if (parse_block(p, n, &out[count], why) != 0)
			return -1;
		count++;
		p += n;
	}
	return (int)count;
}

/* The canonical text of a, in the arena. */
static const char *
text(struct tt_arena *arena, const struct tt_cidr *a)
{
	char	buf[INET6_ADDRSTRLEN];

	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, buf,
	    sizeof(buf)) == NULL)
		return "";
	return tt_arena_strdup(arena, buf);
}

const char *
tt_clientaddr(struct tt_arena *arena, const char *remote, const char *xff,
    const struct tt_cidr *list, size_t n)
{
	struct tt_cidr	 hop, client;
	const char	*end, *seg, *start;
	size_t		 len;
	int		 hops;

	if (remote == NULL || n == 0 || parse_addr(remote, strlen(remote),
	    &client) != 0 || !trusted(&client, list, n))
		return remote;
	/* From the right: each trusted hop vouches for the one before it. */
	end = xff != NULL ? xff + strlen(xff) : NULL;
	for (hops = 0; end != NULL && end > xff && hops < HOPS_MAX; hops++) {
		for (seg = end; seg > xff && seg[-1] != ','; seg--)
			;
		start = seg;
		len = (size_t)(end - seg);
		while (len > 0 && (*start == ' ' || *start == '\t')) {
			start++;
			len--;
		}
		while (len > 0 && (start[len - 1] == ' ' ||
		    start[len - 1] == '\t'))
			len--;
		if (parse_addr(start, len, &hop) != 0)
			break;
		client = hop;
		if (!trusted(&hop, list, n))
			break;
		end = seg > xff ? seg - 1 : seg;	/* at the comma */
	}
	return text(arena, &client);
}
