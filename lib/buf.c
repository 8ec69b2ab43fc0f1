/* buf.c: growable byte buffer (measure, grow, write). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"

static void
grow(struct tt_buf *b, size_t extra)
{
	size_t	need, cap;

	if (extra > SIZE_MAX - b->n - 1)
		tt_oom(extra);
	need = b->n + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->p = tt_xrealloc(b->p, cap);
	b->cap = cap;
}

void
tt_buf_put(struct tt_buf *b, const void *p, size_t n)
{
	grow(b, n);
	if (n > 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void
tt_buf_puts(struct tt_buf *b, const char *s)
{
	tt_buf_put(b, s, strlen(s));
}

void
tt_buf_vprintf(struct tt_buf *b, const char *fmt, va_list ap)
{
	va_list	ap2;
	int	n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	grow(b, (size_t)n);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	b->n += (size_t)n;
}

void
tt_buf_printf(struct tt_buf *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	tt_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
tt_buf_clear(struct tt_buf *b)
{
	b->n = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
tt_buf_free(struct tt_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}
