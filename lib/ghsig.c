/* ghsig.c: verifying GitHub webhook signatures, and the secret file. */
/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "ghsig.h"
#include "log.h"

#define PREFIX		"sha256="
#define SECRET_MAX	4096

int
tt_ghsig_parse(const char *h, unsigned char mac[TT_SHA256_LEN])
{
	size_t	i;

	if (h == NULL || strncmp(h, PREFIX, strlen(PREFIX)) != 0)
		return -1;
	h += strlen(PREFIX);
	for (i = 0; i < 2 * TT_SHA256_LEN; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
		    (h[i] >= 'a' && h[i] <= 'f')))
			return -1;
	if (h[i] != '\0')
		return -1;
	return tt_crypto_unhex(h, 2 * TT_SHA256_LEN, mac);
}

int
tt_ghsig_verify(const char *header, const void *body, size_t len,
    const unsigned char *secret, size_t secretlen)
{
	unsigned char	want[TT_SHA256_LEN], got[TT_SHA256_LEN];

	if (secret == NULL || secretlen == 0 ||
	    tt_ghsig_parse(header, got) != 0)
		return 0;
	tt_crypto_hmac_sha256(secret, secretlen, body, len, want);
	return tt_crypto_equal(want, got, TT_SHA256_LEN);
}

/* Why the secret is unusable: the file and the system's reason. */
static char	why_buf[512];

static struct {
	unsigned char	*buf;
	size_t		 len[2];
	int		 n;
	struct timespec	 mtime;
	ino_t		 ino;
	off_t		 size;
	int		 loaded;
} sec;

void
tt_ghsig_cleanup(void)
{
	if (sec.buf != NULL) {
		OPENSSL_cleanse(sec.buf, SECRET_MAX);
		free(sec.buf);
	}
	memset(&sec, 0, sizeof(sec));
}

/* Splits the file's text into up to two secrets (lines, CR/LF trimmed). */
static int
split(unsigned char *p, size_t n, size_t len[2], unsigned char **second)
{
	size_t	i, start = 0;
	int	k = 0;

	*second = NULL;
	for (i = 0; i <= n && k < 2; i++) {
		if (i < n && p[i] != '\n')
			continue;
		size_t e = i;
		while (e > start && (p[e - 1] == '\r' || p[e - 1] == ' ' ||
		    p[e - 1] == '\t'))
			e--;
		if (e > start) {
			if (k == 0 && start != 0)
				memmove(p, p + start, e - start);
			if (k == 1)
				*second = p + start;
			len[k++] = e - start;
		}
		start = i + 1;
	}
	return k;
}

int
tt_ghsig_secrets(const unsigned char *secret[2], size_t len[2],
    const char **why)
{
	const char	*path = tt_config.github_webhook_secret_file;
	struct stat	 st;
	unsigned char	*second;
	ssize_t		 r;
	int		 fd;

	if (path == NULL || path[0] == '\0') {
		*why = "TT_GITHUB_WEBHOOK_SECRET_FILE is not set";
		return 0;
	}
	if (stat(path, &st) != 0) {
		snprintf(why_buf, sizeof(why_buf), "cannot read "
		    "TT_GITHUB_WEBHOOK_SECRET_FILE %s: %s", path,
		    strerror(errno));
		*why = why_buf;
		return 0;
	}
	if (!sec.loaded || st.st_ino != sec.ino || st.st_size != sec.size ||
	    st.st_mtim.tv_sec != sec.mtime.tv_sec ||
	    st.st_mtim.tv_nsec != sec.mtime.tv_nsec) {
		tt_ghsig_cleanup();
		if ((sec.buf = calloc(1, SECRET_MAX)) == NULL)
			tt_oom(SECRET_MAX);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
		    (r = read(fd, sec.buf, SECRET_MAX)) < 0) {
			snprintf(why_buf, sizeof(why_buf), "cannot read "
			    "TT_GITHUB_WEBHOOK_SECRET_FILE %s: %s", path,
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			*why = why_buf;
			tt_ghsig_cleanup();
			return 0;
		}
		close(fd);
		if (r >= SECRET_MAX) {
			snprintf(why_buf, sizeof(why_buf),
			    "TT_GITHUB_WEBHOOK_SECRET_FILE %s is too large (%d "
			    "bytes or more)", path, SECRET_MAX);
			*why = why_buf;
			tt_ghsig_cleanup();
			return 0;
		}
		sec.n = split(sec.buf, (size_t)r, sec.len, &second);
		if (sec.n == 2) {
			/* The second secret goes after the first's bytes. */
			memmove(sec.buf + sec.len[0], second, sec.len[1]);
		}
		sec.ino = st.st_ino;
		sec.size = st.st_size;
		sec.mtime = st.st_mtim;
		sec.loaded = 1;
	}
	if (sec.n == 0) {
		snprintf(why_buf, sizeof(why_buf), "TT_GITHUB_WEBHOOK_SECRET_FILE "
		    "%s is empty", path);
		*why = why_buf;
		return 0;
	}
	secret[0] = sec.buf;
	len[0] = sec.len[0];
	secret[1] = sec.n == 2 ? sec.buf + sec.len[0] : NULL;
	len[1] = sec.n == 2 ? sec.len[1] : 0;
	return sec.n;
}
