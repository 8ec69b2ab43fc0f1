/* fuzz_clientaddr.c: libFuzzer target for TT_TRUSTED_PROXIES and
 * X-Forwarded-For (clientaddr.c). */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clientaddr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct tt_arena	*arena;

/* 1 if s is an address as inet_ntop writes it. */
static int
canonical(const char *s)
{
	unsigned char	b[16];
	char		t[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET, s, b) == 1)
		return inet_ntop(AF_INET, b, t, sizeof(t)) != NULL &&
		    strcmp(s, t) == 0;
	return inet_pton(AF_INET6, s, b) == 1 &&
	    inet_ntop(AF_INET6, b, t, sizeof(t)) != NULL && strcmp(s, t) == 0;
}

/*
 * Input: the proxy list, NUL, the peer's address, NUL, X-Forwarded-For.
 * The answer is the peer itself (text unchanged) when the list is empty
 * or refused, else the peer or a canonical address; blocks parsed have
 * a sane family and prefix.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tt_cidr	 list[TT_CLIENTADDR_MAX];
	const char		*part[3] = { "", NULL, NULL }, *why, *got;
	char			*copy;
	size_t			 i, k = 0;
	int			 n;

	if (arena == NULL)
		arena = tt_arena_new();
	copy = tt_arena_alloc(arena, size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	part[0] = copy;
	for (i = 0; i < size && k < 2; i++)
		if (copy[i] == '\0')
			part[++k] = copy + i + 1;
	n = tt_clientaddr_parse(part[0], list, TT_CLIENTADDR_MAX, &why);
	if (n < 0 && why == NULL)
		abort();
	for (i = 0; n > 0 && i < (size_t)n; i++)
		if (!((list[i].family == 4 && list[i].bits >= 0 &&
		    list[i].bits <= 32) || (list[i].family == 6 &&
		    list[i].bits >= 0 && list[i].bits <= 128)))
			abort();
	got = tt_clientaddr(arena, part[1], part[2], list, n > 0 ?
	    (size_t)n : 0);
	if ((got == NULL) != (part[1] == NULL))
		abort();
	if (got != NULL && got != part[1] && !canonical(got))
		abort();
	if (n <= 0 && got != part[1])
		abort();
	tt_arena_reset(arena);
	return 0;
}
