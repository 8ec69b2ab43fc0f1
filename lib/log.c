/* log.c: one-line log records on stderr. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char		*log_prog = "tt";
static enum tt_log_level	 log_min = TT_LOG_INFO;
static char			 log_rid[129];

static const char *const level_names[TT_LOG__MAX] = {
	[TT_LOG_DEBUG] = "debug",
	[TT_LOG_INFO] = "info",
	[TT_LOG_WARN] = "warn",
	[TT_LOG_ERROR] = "error",
};

void
tt_log_init(const char *prog, enum tt_log_level min)
{
	log_prog = prog;
	log_min = min;
}

void
tt_log_set_request(const char *rid)
{
	if (rid == NULL)
		log_rid[0] = '\0';
	else
		snprintf(log_rid, sizeof(log_rid), "%s", rid);
}

static void
vlog(enum tt_log_level lvl, const char *err, const char *fmt, va_list ap)
{
	char		 msg[2048], ts[32];
	struct tm	 tm;
	time_t		 now;
	size_t		 i;

	if (lvl < log_min)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One record, one line: no newline or control byte survives. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = ' ';
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s[%ld] %s%s%s %s%s%s\n", ts, log_prog,
	    (long)getpid(), level_names[lvl], log_rid[0] ? " rid=" : "",
	    log_rid, msg, err ? ": " : "", err ? err : "");
	fflush(stderr);
}

#define LOGFN(name, lvl, witherr)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	 ap;						\
	int	 saved = errno;					\
								\
	va_start(ap, fmt);					\
	vlog(lvl, witherr ? strerror(saved) : NULL, fmt, ap);	\
	va_end(ap);						\
	errno = saved;						\
}

LOGFN(tt_log_debug, TT_LOG_DEBUG, 0)
LOGFN(tt_log_info, TT_LOG_INFO, 0)
LOGFN(tt_log_warn, TT_LOG_WARN, 1)
LOGFN(tt_log_warnx, TT_LOG_WARN, 0)
LOGFN(tt_log_errx, TT_LOG_ERROR, 0)
