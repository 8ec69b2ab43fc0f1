/* auditq.h: audit rows of refreshes granted from reserved tokens, kept
 * in the process until they are written to the trail as one group. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_AUDITQ_H
#define TT_AUDITQ_H

#include <stdint.h>

struct tt_arena;

/*
 * At most TT_AUDITQ_MAX rows wait, none for longer than TT_AUDITQ_AGE_US
 * once the process has work in hand; a process with nothing else to do
 * writes them before it answers (lib/refreshq.c).
 */
#define TT_AUDITQ_MAX		64
#define TT_AUDITQ_AGE_US	20000

/*
 * Queues the row of an "ok" refresh made at at_us (microseconds since
 * the epoch, the database's clock); addr and ua already cleaned or NULL;
 * touch when the key's last_used_at is due. 0 when the queue is full.
 */
int		 tt_auditq_add(const char *at_us, const char *user_id,
		    const char *key_id, const char *addr, const char *ua,
		    int touch);

/* Rows waiting. */
int		 tt_auditq_count(void);

/* 1 when the queue is full or its oldest row has waited too long. */
int		 tt_auditq_due(void);

/*
 * The rows as a JSON array of objects {at, user_id, key, addr, ua,
 * touch} (strings; addr and ua null when absent), arena-owned, or NULL
 * when none wait.
 */
char		*tt_auditq_json(struct tt_arena *);

/* Forgets the first n rows (they are in the trail now). */
void		 tt_auditq_written(int n);

/*
 * Gives up on every queued row: each is logged as an error (time, user,
 * key, address; why says why), then forgotten.
 */
void		 tt_auditq_drop(const char *why);

#endif
