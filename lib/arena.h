/* arena.h: per-request memory arena with cleanup hooks. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_ARENA_H
#define TT_ARENA_H

#include <stddef.h>

struct tt_arena;

/* A new arena; caller frees with tt_arena_free. Aborts on out of memory. */
struct tt_arena	*tt_arena_new(void);
void		 tt_arena_free(struct tt_arena *);

/*
 * Runs every deferred cleanup (last registered first) and releases all
 * memory handed out since the arena was created or last reset.
 */
void		 tt_arena_reset(struct tt_arena *);

/* Zeroed, 16-byte aligned memory owned by the arena. Never NULL. */
void		*tt_arena_alloc(struct tt_arena *, size_t);
/* Arena-owned copies; the result is always NUL-terminated. */
char		*tt_arena_strdup(struct tt_arena *, const char *);
char		*tt_arena_strndup(struct tt_arena *, const char *, size_t);
char		*tt_arena_printf(struct tt_arena *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Calls fn(p) at the next reset (or free), e.g. PQclear or cJSON_Delete. */
void		 tt_arena_defer(struct tt_arena *, void (*fn)(void *), void *p);

/* Aborts the process after logging; used for every allocation failure. */
void		 tt_oom(size_t) __attribute__((noreturn));
void		*tt_xmalloc(size_t);
void		*tt_xrealloc(void *, size_t);

#endif
