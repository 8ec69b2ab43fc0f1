/* serve.h: the accept loop every program hands its route table to. */
/* SPDX-License-Identifier: MIT */
#ifndef TT_SERVE_H
#define TT_SERVE_H

#include <stddef.h>

#include "route.h"

/*
 * Serves FastCGI requests until the web server stops the process, or one
 * request when started as plain CGI. For each request, in order: request
 * id, method and route (404/405), Content-Length (411/413), Content-Type
 * (415), body read and JSON parse (400), session and capabilities
 * (401/403) when the route asks, the handler, the response, one log line.
 * Loads the configuration first (exit 1 on a bad value). Returns the
 * process exit status.
 */
int	tt_serve(const char *prog, const struct tt_route *, size_t);

/*
 * fn runs once when the program starts, after the configuration is
 * loaded and before the first request (under CGI, every run): checks
 * that log what is wrong with the setup. Call before tt_serve.
 */
void	tt_serve_at_start(void (*fn)(void));

/*
 * Runs fn(arg) after the response has been sent to the client (FastCGI:
 * after FCGX_Finish_r; CGI: after stdout is closed). At most one per
 * request; anything fn needs from the request must be copied into
 * process memory before, because the arena is reset after fn returns.
 */
void	tt_serve_after(void (*fn)(void *), void *arg);

/*
 * 1 when another request is waiting for this process (FastCGI: a
 * connection queued on its listening socket) or arrives within wait_ms,
 * so work that can wait may be grouped with that request's; 0 under CGI
 * or when none came.
 */
int	tt_serve_busy(int wait_ms);

/*
 * Work left for later (fn, at most one at a time): it runs once the
 * process has waited TT_SERVE_IDLE_MS for its next request without one
 * arriving (last 0), or as the process exits (last 1), whichever comes
 * first; fn may call tt_serve_idle again when it could not finish. NULL
 * cancels.
 */
#define TT_SERVE_IDLE_MS	20
void	tt_serve_idle(void (*fn)(int last));

#endif
