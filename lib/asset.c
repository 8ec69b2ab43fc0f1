/* asset.c: a file served as it is, read once per process. */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "asset.h"
#include "log.h"

/* The one file kept, and what identifies its version on disk. */
static struct {
	char		*path;
	char		*body;
	size_t		 len;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
} kept;

static int
same_version(const struct stat *st)
{
	return kept.body != NULL && kept.dev == st->st_dev &&
	    kept.ino == st->st_ino && kept.size == st->st_size &&
	    kept.mtime.tv_sec == st->st_mtim.tv_sec &&
	    kept.mtime.tv_nsec == st->st_mtim.tv_nsec;
}

void
tt_asset_cleanup(void)
{
	free(kept.path);
	free(kept.body);
	memset(&kept, 0, sizeof(kept));
}

/* Reads the open file f of st_size bytes into a new kept copy. */
static enum tt_err
load(FILE *f, const char *path, const struct stat *st, size_t max)
{
	char	*buf;
	size_t	 n, want;

	if (st->st_size < 0 || (unsigned long long)st->st_size > max) {
		tt_log_warnx("asset %s: %lld bytes, more than %zu",
		    path, (long long)st->st_size, max);
		return TT_ETOOBIG;
	}
	want = (size_t)st->st_size;
	buf = tt_xmalloc(want + 1);
	n = fread(buf, 1, want, f);
	if (n != want || memchr(buf, '\0', n) != NULL) {
		tt_log_warnx("asset %s: %s", path, n != want ?
		    "short read" : "holds a NUL byte");
		free(buf);
		return n != want ? TT_ENOTFOUND : TT_ETOOBIG;
	}
	buf[n] = '\0';
	tt_asset_cleanup();
	kept.path = tt_xmalloc(strlen(path) + 1);
	memcpy(kept.path, path, strlen(path) + 1);
	kept.body = buf;
	kept.len = n;
	kept.dev = st->st_dev;
	kept.ino = st->st_ino;
	kept.size = st->st_size;
	kept.mtime = st->st_mtim;
	return TT_OK;
}

enum tt_err
tt_asset_get(const char *path, size_t max, const char **body, size_t *len)
{
	struct stat	 st;
	FILE		*f;
	enum tt_err	 e;

	*body = NULL;
	*len = 0;
	/* One stat per request: cheap, and an install is seen at once. */
	if (stat(path, &st) == 0 && kept.path != NULL &&
	    strcmp(kept.path, path) == 0 && same_version(&st))
		goto done;
	if ((f = fopen(path, "rb")) == NULL) {
		tt_log_warn("could not open asset %s", path);
		return TT_ENOTFOUND;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		tt_log_warnx("asset %s is not a regular file", path);
		fclose(f);
		return TT_ENOTFOUND;
	}
	e = load(f, path, &st, max);
	fclose(f);
	if (e != TT_OK)
		return e;
done:
	*body = kept.body;
	*len = kept.len;
	return TT_OK;
}
