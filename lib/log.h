/* log.h: log lines on stderr (the web server's error log). */
/* SPDX-License-Identifier: MIT */
#ifndef TT_LOG_H
#define TT_LOG_H

enum tt_log_level {
	TT_LOG_DEBUG,
	TT_LOG_INFO,
	TT_LOG_WARN,
	TT_LOG_ERROR,
	TT_LOG__MAX
};

/* Sets the program name and minimum level printed. */
void	tt_log_init(const char *prog, enum tt_log_level);
/* The request id prefixed to lines until cleared with NULL. */
void	tt_log_set_request(const char *request_id);

/*
 * Never pass a secret (key, token, signature, password) to these.
 * tt_log_warn appends strerror(errno); the x forms do not.
 */
void	tt_log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	tt_log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	tt_log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	tt_log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	tt_log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
