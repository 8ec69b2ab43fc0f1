/* buf.h: growable byte buffer for building text. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_BUF_H
#define TT_BUF_H

#include <stdarg.h>
#include <stddef.h>

/* Callers own the struct; p is malloc'd, always NUL-terminated when n > 0. */
struct tt_buf {
	char	*p;
	size_t	 n;	/* bytes used, not counting the NUL */
	size_t	 cap;
};

void	tt_buf_put(struct tt_buf *, const void *, size_t);
void	tt_buf_puts(struct tt_buf *, const char *);
void	tt_buf_printf(struct tt_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	tt_buf_vprintf(struct tt_buf *, const char *, va_list);
/* Empties the buffer but keeps its memory. */
void	tt_buf_clear(struct tt_buf *);
void	tt_buf_free(struct tt_buf *);

#endif
