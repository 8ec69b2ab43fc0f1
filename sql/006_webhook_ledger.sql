-- 006: the webhook delivery ledger's processing state, and the GitHub
-- installation token cache stored encrypted.

-- What processing already did for a delivery, so that a retry after a
-- failure (or a redelivery) never repeats an effect: the work manifest it
-- created, the check run and the comment it posted on GitHub.
ALTER TABLE webhook_deliveries
    ADD COLUMN work_manifest_id uuid,
    ADD COLUMN check_run_id bigint,
    ADD COLUMN comment_id bigint,
    ADD COLUMN outcome text;

-- 'processing' rows carry a lease in next_attempt_at: a process that died
-- mid-way leaves a row the next drain picks up once the lease is over.
-- 'dead': gave up after too many attempts (replay brings it back).
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_state_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_state_check
    CHECK (state IN ('received', 'processing', 'done', 'failed', 'ignored',
    'dead'));
DROP INDEX webhook_deliveries_pending;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE state IN ('received', 'processing', 'failed');
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);

-- Installation tokens are stored as AES-256-GCM ciphertext under a key
-- derived from the App's private key: the database and its logs never
-- hold a usable token.
DROP TABLE github_installation_tokens;
CREATE TABLE github_installation_tokens (
	installation_id	bigint PRIMARY KEY,
	sealed		bytea NOT NULL,
	expires_at	timestamptz NOT NULL,
	fetched_at	timestamptz NOT NULL DEFAULT now()
);

-- A repository taken out of the App keeps its history (work manifests
-- cascade from repositories), marked instead of deleted.
ALTER TABLE repositories ADD COLUMN removed_at timestamptz;
