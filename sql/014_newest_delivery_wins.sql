-- 014: a pull request's row and its stored stacks remember which
-- delivery (webhook_deliveries.id, in order of receipt) last wrote them,
-- so an older delivery retried after a newer one cannot put the older
-- head's sha and stacks back (lib/ghpull.c, pr_record). Rows written
-- before this migration count as oldest (0).
ALTER TABLE pull_requests ADD COLUMN ledger_id bigint NOT NULL DEFAULT 0;
ALTER TABLE pull_request_stacks ADD COLUMN ledger_id bigint NOT NULL DEFAULT 0;
