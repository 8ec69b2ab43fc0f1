/* lease.c: per-process reservations of rate-limit tokens, by key hash. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "clock.h"
#include "lease.h"

#define NLEASES		256
#define HASHLEN		64	/* hex SHA-256 */

struct lease {
	char	 hash[HASHLEN + 1];
	int64_t	 tokens;	/* left to spend */
	int64_t	 room;		/* tokens the bucket had left then */
	int64_t	 at_us;		/* monotonic time of the reservation */
	int64_t	 ahead_us;	/* the bucket's time ahead of now then */
	int64_t	 limit;
	int64_t	 used;		/* for replacement: least recently used */
};

static struct lease	leases[NLEASES];
static int64_t		clock_ticks;

static struct lease *
find(const char *hash)
{
	size_t	i;

	if (hash == NULL || strlen(hash) != HASHLEN)
		return NULL;
	for (i = 0; i < NLEASES; i++)
		if (leases[i].used != 0 && strcmp(leases[i].hash, hash) == 0)
			return &leases[i];
	return NULL;
}

static int
fresh(const struct lease *l, int64_t now)
{
	return l->tokens > 0 && now - l->at_us < TT_LEASE_TTL_US;
}

int64_t
tt_lease_want(const char *hash, int busy)
{
	struct lease	*l;
	int64_t		 want;

	if (!busy || (l = find(hash)) == NULL)
		return 1;
	want = l->room / 64;
	if (want < 1)
		return 1;
	return want > TT_LEASE_MAX ? TT_LEASE_MAX : want;
}

void
tt_lease_store(const char *hash, int64_t granted, int64_t ahead_us,
    int64_t limit, int64_t window_us)
{
	struct lease	*l;
	int64_t		 step;
	size_t		 i;

	if (hash == NULL || strlen(hash) != HASHLEN)
		return;
	if ((l = find(hash)) == NULL) {
		l = &leases[0];
		for (i = 1; i < NLEASES; i++)
			if (leases[i].used < l->used)
				l = &leases[i];
		memcpy(l->hash, hash, HASHLEN + 1);
	}
	step = limit > 0 ? window_us / limit : 0;
	if (ahead_us < 0)
		ahead_us = 0;
	l->tokens = granted > 1 ? granted - 1 : 0;
	l->room = step > 0 ? (window_us - ahead_us) / step :
	    64 * TT_LEASE_MAX;
	l->at_us = tt_clock_mono_us();
	l->ahead_us = ahead_us;
	l->limit = limit;
	l->used = ++clock_ticks;
}

int
tt_lease_has(const char *hash)
{
	struct lease	*l = find(hash);

	return l != NULL && fresh(l, tt_clock_mono_us());
}

int
tt_lease_take(const char *hash, int64_t *limit, int64_t *ahead_us)
{
	struct lease	*l = find(hash);
	int64_t		 now = tt_clock_mono_us();

	if (l == NULL || !fresh(l, now))
		return 0;
	l->tokens--;
	l->used = ++clock_ticks;
	*limit = l->limit;
	*ahead_us = l->ahead_us - (now - l->at_us);
	if (*ahead_us < 0)
		*ahead_us = 0;
	return 1;
}

void
tt_lease_drop(const char *hash)
{
	struct lease	*l = find(hash);

	if (l != NULL)
		memset(l, 0, sizeof(*l));
}

void
tt_lease_reset(void)
{
	memset(leases, 0, sizeof(leases));
	clock_ticks = 0;
}
