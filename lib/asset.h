/* asset.h: a file served as it is, read once per process. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_ASSET_H
#define TT_ASSET_H

#include <stddef.h>

#include "tt.h"

/*
 * The contents of the file at path, NUL-terminated, read on first use and
 * kept for the process's lifetime; read again when the file's inode, size
 * or modification time changes (an install replaces it). One file is kept:
 * asking for another path replaces it. Borrowed; valid until the next
 * call or tt_asset_cleanup.
 * Returns TT_ENOTFOUND when the file cannot be read (logged with the
 * reason), TT_ETOOBIG when it is larger than max bytes or holds a NUL.
 */
enum tt_err	 tt_asset_get(const char *path, size_t max, const char **body,
		    size_t *len);

/* Frees the kept file (at exit, so leak checkers stay quiet). */
void		 tt_asset_cleanup(void);

#endif
