-- 013: the audit trail and the shared refresh rate limits (issue 11).

-- One row per refresh (granted or refused), OIDC exchange (granted or
-- refused: the outcome names the failed check), key creation and
-- revocation, trust policy addition and removal. Never the credential
-- nor its hash. user_id, api_key_id and policy_id are kept without a
-- foreign key so rows outlive the key, policy or user they name.
CREATE TABLE audit_events (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	event		text NOT NULL
	    CHECK (event IN ('refresh', 'exchange', 'key_create', 'key_revoke',
	    'policy_add', 'policy_remove')),
	-- A refused exchange: the check that failed (lib/oidc.h), or
	-- keys_unavailable when the issuer's keys could not be fetched.
	outcome		text NOT NULL CHECK (outcome IN ('ok', 'malformed',
	    'unknown', 'revoked', 'expired', 'key_rate_limited',
	    'address_rate_limited', 'issuer', 'not_yet_valid', 'signature',
	    'audience', 'subject', 'claim', 'keys_unavailable')),
	via		text NOT NULL CHECK (via IN ('api', 'ttctl')),
	user_id		uuid,
	api_key_id	uuid,
	policy_id	uuid,		-- the OIDC trust policy, when one matched
	source_address	text CHECK (length(source_address) <= 64),
	user_agent	text CHECK (length(user_agent) <= 256)
);
-- A user's rows newest first (GET /api/v1/github/audit, ttctl --user).
CREATE INDEX audit_events_user ON audit_events (user_id, id);
-- Pruning by age: rows arrive in time order, so a BRIN index is tiny
-- and costs the hot path next to nothing.
CREATE INDEX audit_events_at ON audit_events USING brin (at);

-- Token buckets of the refresh rate limits, shared by every web server.
-- tat is the bucket's "theoretical arrival time" (GCRA): the bucket is
-- full when tat <= now(), and each request moves it on by period/limit.
-- UNLOGGED: no WAL on the hot path; after a crash the buckets start full.
CREATE UNLOGGED TABLE rate_buckets (
	bucket		text PRIMARY KEY,	-- 'k:<key id>' or 'a:<address>'
	tat		timestamptz NOT NULL
);

-- A per-key override of TT_REFRESH_RATE_PER_KEY (NULL: the default).
ALTER TABLE api_keys ADD COLUMN refresh_rate_limit integer
    CHECK (refresh_rate_limit > 0);
