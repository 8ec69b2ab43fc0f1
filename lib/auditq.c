/* auditq.c: the process's queue of audit rows waiting to be written. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "auditq.h"
#include "buf.h"
#include "clock.h"
#include "json.h"
#include "log.h"

struct row {
	char	at[24];
	char	user_id[40];
	char	key_id[40];
	char	addr[TT_AUDIT_ADDR_MAX + 1];
	char	ua[TT_AUDIT_UA_MAX + 1];
	int	has_addr, has_ua, touch;
};

static struct row	q[TT_AUDITQ_MAX];
static int		nq;
static int64_t		first_us;	/* monotonic time of q[0] */

/* Copies s into dst (size n); 0 if it does not fit. */
static int
copy(char *dst, size_t n, const char *s)
{
	size_t	len = strlen(s);

	if (len >= n)
		return 0;
	memcpy(dst, s, len + 1);
	return 1;
}

int
tt_auditq_add(const char *at_us, const char *user_id, const char *key_id,
    const char *addr, const char *ua, int touch)
{
	struct row	*r;

	if (nq == TT_AUDITQ_MAX)
		return 0;
	r = &q[nq];
	memset(r, 0, sizeof(*r));
	if (!copy(r->at, sizeof(r->at), at_us) ||
	    !copy(r->user_id, sizeof(r->user_id), user_id) ||
	    !copy(r->key_id, sizeof(r->key_id), key_id))
		return 0;
	r->has_addr = addr != NULL && copy(r->addr, sizeof(r->addr), addr);
	r->has_ua = ua != NULL && copy(r->ua, sizeof(r->ua), ua);
	r->touch = touch;
	if (nq++ == 0)
		first_us = tt_clock_mono_us();
	return 1;
}

int
tt_auditq_count(void)
{
	return nq;
}

int
tt_auditq_due(void)
{
	return nq == TT_AUDITQ_MAX ||
	    (nq > 0 && tt_clock_mono_us() - first_us >= TT_AUDITQ_AGE_US);
}

static void
member(struct tt_buf *b, const char *name, const char *v, int present)
{
	tt_buf_printf(b, "\"%s\":", name);
	if (present)
		tt_json_buf_string(b, v);
	else
		tt_buf_puts(b, "null");
}

char *
tt_auditq_json(struct tt_arena *a)
{
	struct tt_buf	 b;
	char		*out;
	int		 i;

	if (nq == 0)
		return NULL;
	memset(&b, 0, sizeof(b));
	tt_buf_puts(&b, "[");
	for (i = 0; i < nq; i++) {
		tt_buf_puts(&b, i ? ",{" : "{");
		member(&b, "at", q[i].at, 1);
		tt_buf_puts(&b, ",");
		member(&b, "user_id", q[i].user_id, 1);
		tt_buf_puts(&b, ",");
		member(&b, "key", q[i].key_id, 1);
		tt_buf_puts(&b, ",");
		member(&b, "addr", q[i].addr, q[i].has_addr);
		tt_buf_puts(&b, ",");
		member(&b, "ua", q[i].ua, q[i].has_ua);
		tt_buf_printf(&b, ",\"touch\":%s}", q[i].touch ? "true" :
		    "false");
	}
	tt_buf_puts(&b, "]");
	out = tt_arena_strdup(a, b.p);
	tt_buf_free(&b);
	return out;
}

void
tt_auditq_written(int n)
{
	if (n >= nq) {
		nq = 0;
		return;
	}
	if (n <= 0)
		return;
	memmove(q, q + n, (size_t)(nq - n) * sizeof(q[0]));
	nq -= n;
	first_us = tt_clock_mono_us();
}

void
tt_auditq_drop(const char *why)
{
	int	i;

	for (i = 0; i < nq; i++)
		tt_log_errx("audit row dropped (%s): refresh ok at %s us user "
		    "%s key %s from %s", why, q[i].at, q[i].user_id,
		    q[i].key_id, q[i].has_addr ? q[i].addr : "-");
	nq = 0;
}
