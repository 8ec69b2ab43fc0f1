/* arena.c: per-request memory arena, reset after each response. */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define CHUNK_SIZE	(64 * 1024)
#define ALIGN		16

struct chunk {
	struct chunk	*next;
	size_t		 size;
	size_t		 used;
	_Alignas(16) unsigned char data[];
};

struct defer {
	struct defer	*next;
	void		(*fn)(void *);
	void		*p;
};

struct tt_arena {
	struct chunk	*head;		/* current chunk, first in list */
	struct defer	*defers;
};

void
tt_oom(size_t n)
{
	fprintf(stderr, "tt: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
tt_xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		tt_oom(n);
	return p;
}

void *
tt_xrealloc(void *o, size_t n)
{
	void	*p;

	if ((p = realloc(o, n ? n : 1)) == NULL)
		tt_oom(n);
	return p;
}

static struct chunk *
chunk_new(size_t size)
{
	struct chunk	*c;

	if (size > SIZE_MAX - sizeof(*c))
		tt_oom(size);
	c = tt_xmalloc(sizeof(*c) + size);
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct tt_arena *
tt_arena_new(void)
{
	struct tt_arena	*a;

	a = tt_xmalloc(sizeof(*a));
	a->head = chunk_new(CHUNK_SIZE);
	a->defers = NULL;
	return a;
}

static void
run_defers(struct tt_arena *a)
{
	struct defer	*d;

	/* Defer records live in the arena itself, so walk before freeing. */
	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->p);
	}
}

void
tt_arena_reset(struct tt_arena *a)
{
	struct chunk	*c, *next, *keep = NULL;

	run_defers(a);

	/* Keep one standard chunk; large or extra chunks go back to malloc. */
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (keep == NULL && c->size == CHUNK_SIZE)
			keep = c;
		else
			free(c);
	}
	if (keep == NULL)
		keep = chunk_new(CHUNK_SIZE);
	keep->next = NULL;
	keep->used = 0;
	a->head = keep;
}

void
tt_arena_free(struct tt_arena *a)
{
	struct chunk	*c, *next;

	if (a == NULL)
		return;
	run_defers(a);
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *
tt_arena_alloc(struct tt_arena *a, size_t n)
{
	struct chunk	*c;
	size_t		 need;
	void		*p;

	if (n > SIZE_MAX - ALIGN)
		tt_oom(n);
	need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need == 0)
		need = ALIGN;
	c = a->head;
	if (c->size - c->used < need) {
		if (need > CHUNK_SIZE / 4) {
			/* Large: its own chunk, linked behind the current one. */
			c = chunk_new(need);
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c = chunk_new(CHUNK_SIZE);
			c->next = a->head;
			a->head = c;
		}
	}
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *
tt_arena_strndup(struct tt_arena *a, const char *s, size_t n)
{
	char	*p;

	if (n == SIZE_MAX)
		tt_oom(n);
	p = tt_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
tt_arena_strdup(struct tt_arena *a, const char *s)
{
	return tt_arena_strndup(a, s, strlen(s));
}

char *
tt_arena_printf(struct tt_arena *a, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		tt_oom(0);
	p = tt_arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
tt_arena_defer(struct tt_arena *a, void (*fn)(void *), void *p)
{
	struct defer	*d;

	if (p == NULL)
		return;
	d = tt_arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}
