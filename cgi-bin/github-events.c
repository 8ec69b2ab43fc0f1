/* github-events.c: GitHub's webhook: verify, record, answer, process. */
/* SPDX-License-Identifier: MIT */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "config.h"
#include "db.h"
#include "ghauth.h"
#include "ghevents.h"
#include "ghsetup.h"
#include "ghsig.h"
#include "github.h"
#include "http.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "route.h"
#include "serve.h"
#include "valid.h"

int main(void);

#define MAX_BODY	(25 * 1024 * 1024)	/* GitHub's own cap */
#define AFTER_BUDGET_MS	5000	/* GitHub work done after one answer */
#define AFTER_MAX	4	/* deliveries handled after one answer */

/* The ledger row to process once the answer is out ("" for any due). */
static char	pending_id[32];
static int	pending;

static void
process_after(void *arg)
{
	struct tt_arena	*a;

	(void)arg;
	if (!pending)
		return;
	pending = 0;
	/* This delivery first, then a few others that are due. */
	a = tt_arena_new();
	tt_github_set_budget_ms(AFTER_BUDGET_MS);
	if (pending_id[0] != '\0')
		(void)tt_ghevents_drain(a, pending_id, 1);
	tt_arena_reset(a);
	(void)tt_ghevents_drain(a, NULL, AFTER_MAX - 1);
	tt_github_set_budget_ms(0);
	tt_db_end_request();
	tt_arena_free(a);
}

/* X-GitHub-Event: a GitHub event name (lower case, digits, '_'). */
static int
event_valid(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 64)
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * A delivery to process waits in the ledger while the App cannot be
 * used. When the App is set up but unusable (an unreadable key file, say)
 * that is a misconfiguration: one error line for each delivery it holds
 * back. An App not set up at all is a choice and stays quiet.
 */
static void
say_if_waiting(const char *delivery, const char *event)
{
	char	why[512];

	if (tt_ghauth_wanted() &&
	    tt_ghauth_configured(why, sizeof(why)) != TT_OK)
		tt_log_errx("delivery %s (%s) waits in the ledger: %s",
		    delivery, event, why);
}

static enum tt_err
answer(struct tt_resp *resp, int status, const char *state,
    const struct tt_ledger_rec *rec, const char *delivery)
{
	if (pending)
		tt_serve_after(process_after, NULL);
	cJSON	*j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "status", state);
	cJSON_AddStringToObject(j, "delivery_id", delivery);
	if (rec != NULL && rec->id != NULL)
		cJSON_AddStringToObject(j, "ledger_id", rec->id);
	tt_resp_cjson(resp, status, j);
	cJSON_Delete(j);
	return TT_OK;
}

static enum tt_err
handle_event(struct tt_req *req, struct tt_resp *resp)
{
	const unsigned char	*secret[2];
	size_t			 slen[2];
	struct tt_ledger_in	 in;
	struct tt_ledger_rec	 rec;
	enum tt_ghevents_kind	 kind;
	const char		*why, *sig, *event, *delivery, *ct;
	const cJSON		*inst;
	cJSON			*pl;
	int			 n, ok;
	int64_t			 iid;
	enum tt_err		 e;

	/* Fail closed: without a secret nothing is accepted. */
	if ((n = tt_ghsig_secrets(secret, slen, &why)) == 0) {
		tt_log_errx("webhook refused: %s", why);
		return tt_resp_fail(resp, TT_EUNAVAIL, NULL, "webhook secret "
		    "not configured");
	}
	sig = tt_req_header(req, "X-Hub-Signature-256");
	ok = tt_ghsig_verify(sig, req->body ? req->body : "", req->body_len,
	    secret[0], slen[0]);
	if (!ok && n == 2)
		ok = tt_ghsig_verify(sig, req->body ? req->body : "",
		    req->body_len, secret[1], slen[1]);
	if (!ok) {
		tt_log_warnx("webhook signature %s", sig == NULL ? "missing" :
		    "does not match");
		return tt_resp_fail(resp, TT_EUNAUTH, NULL, "missing or "
		    "invalid X-Hub-Signature-256");
	}

	/* Signed by GitHub from here on; still checked, never trusted. */
	event = tt_req_header(req, "X-GitHub-Event");
	delivery = tt_req_header(req, "X-GitHub-Delivery");
	if (!event_valid(event))
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "X-GitHub-Event is missing or not an event name");
	if (delivery == NULL || !tt_valid_uuid(delivery))
		return tt_resp_fail(resp, TT_EINVAL, "INVALID_PARAM",
		    "X-GitHub-Delivery is missing or not a GUID");
	ct = tt_req_env(req, "CONTENT_TYPE");
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
		return tt_resp_fail(resp, TT_EMEDIA, NULL, "set the App's "
		    "webhook content type to application/json");
	if ((pl = tt_json_parse(req->arena, req->body ? req->body : "",
	    req->body_len, &why)) == NULL || !cJSON_IsObject(pl))
		return tt_resp_fail(resp, TT_EJSON, NULL, "%s", pl ? "payload "
		    "is not a JSON object" : why);

	memset(&in, 0, sizeof(in));
	in.delivery_id = delivery;
	in.event = event;
	in.action = tt_json_string(pl, "action");
	if (in.action != NULL && strlen(in.action) > 64)
		in.action = NULL;
	inst = cJSON_GetObjectItemCaseSensitive(pl, "installation");
	if (cJSON_IsObject(inst) &&
	    tt_json_int64(inst, "id", 1, INT64_MAX, &iid) == 0)
		in.installation_id = tt_arena_printf(req->arena, "%lld",
		    (long long)iid);
	in.body = req->body;
	in.body_len = req->body_len;
	kind = tt_ghevents_kind(event, in.action);
	in.state = kind == TT_GHEVENTS_PROCESS ? "received" :
	    kind == TT_GHEVENTS_PING ? "done" : "ignored";
	if ((e = tt_ledger_record(req->arena, &in, &rec)) != TT_OK)
		return e;

	if (rec.duplicate) {
		tt_log_info("delivery %s (%s) seen before: %s%s", delivery,
		    event, rec.state, rec.requeued ? ", retried" : "");
		if (rec.requeued) {
			say_if_waiting(delivery, event);
			snprintf(pending_id, sizeof(pending_id), "%s", rec.id);
			pending = 1;
		}
		return answer(resp, 200, "duplicate", &rec, delivery);
	}
	tt_log_info("delivery %s (%s%s%s) recorded as %s", delivery, event,
	    in.action ? "." : "", in.action ? in.action : "", rec.state);
	if (kind == TT_GHEVENTS_PING)
		return answer(resp, 200, "pong", &rec, delivery);
	if (kind == TT_GHEVENTS_PROCESS) {
		say_if_waiting(delivery, event);
		snprintf(pending_id, sizeof(pending_id), "%s", rec.id);
	} else
		pending_id[0] = '\0';
	/* Other due deliveries ride along after any answer. */
	pending = 1;
	return answer(resp, 202, kind == TT_GHEVENTS_PROCESS ? "queued" :
	    "ignored", &rec, delivery);
}

static const struct tt_route routes[] = {
	{ TT_POST, "/api/github/v1/events", 0, TT_ROUTE_RAW_BODY, MAX_BODY,
	  handle_event },
};

int
main(void)
{
	int	rc;

	tt_serve_at_start(tt_ghsetup_log);
	rc = tt_serve("github-events", routes, TT_NITEMS(routes));
	tt_ghauth_cleanup();
	tt_github_cleanup();
	tt_ghsig_cleanup();
	return rc;
}
