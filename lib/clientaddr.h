/* clientaddr.h: the client's address, and the proxies trusted to say it. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_CLIENTADDR_H
#define TT_CLIENTADDR_H

#include <stddef.h>

struct tt_arena;

/* At most this many TT_TRUSTED_PROXIES entries. */
#define TT_CLIENTADDR_MAX	64

/* An address block: IPv4 (family 4, 4 bytes) or IPv6 (6, 16 bytes). */
struct tt_cidr {
	int		family;
	unsigned char	addr[16];
	int		bits;
};

/*
 * Parses TT_TRUSTED_PROXIES: addresses and CIDR blocks (10.0.0.0/8,
 * 192.0.2.7, fd00::/8, ::1), separated by commas or spaces, at most
 * TT_CLIENTADDR_MAX. An IPv4-mapped IPv6 address counts as IPv4. Host
 * bits set below the prefix are refused, as a likely typo. Returns the
 * count, or -1 with *why naming the problem.
 */
int		 tt_clientaddr_parse(const char *spec, struct tt_cidr *out,
		    size_t max, const char **why);

/*
 * The client's address, canonical text (arena-owned): remote (the TCP
 * peer, REMOTE_ADDR) unless it is one of the trusted proxies; then the
 * rightmost X-Forwarded-For entry that is not one, walking from the right
 * (all trusted: the leftmost). An entry that is not an address ends the
 * walk at the last address read. NULL only when remote is NULL.
 */
const char	*tt_clientaddr(struct tt_arena *, const char *remote,
		    const char *xff, const struct tt_cidr *, size_t n);

#endif
