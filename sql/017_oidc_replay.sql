-- 017: OIDC exchanges hardened (security finding): an ID token's
-- lifetime is bounded per policy, each token is exchanged at most once,
-- and a failed fetch of an issuer's keys is remembered for 30 s.

-- The longest exp - iat a policy accepts (ttctl oidc trust add
-- --max-token-age); GitHub's tokens live 5 to 10 minutes.
ALTER TABLE oidc_trust_policies ADD COLUMN max_token_age integer NOT NULL
    DEFAULT 3600 CHECK (max_token_age BETWEEN 1 AND 86400);

-- The ID tokens already exchanged, by issuer and jti, with their exp.
-- The primary key makes the exchange's INSERT ... ON CONFLICT the one
-- arbiter across processes and web servers: of N concurrent exchanges
-- of one token exactly one inserts. A row whose exp is past (by the
-- exchanging server's clock and leeway) may be taken over in place, so
-- pruning (ttctl audit prune: an hour after exp) is for space only.
CREATE TABLE oidc_exchanged_jti (
	issuer		text NOT NULL,
	jti		text NOT NULL CHECK (octet_length(jti) BETWEEN 1 AND 256),
	exp		timestamptz NOT NULL,
	PRIMARY KEY (issuer, jti)
);
CREATE INDEX oidc_exchanged_jti_exp ON oidc_exchanged_jti (exp);

-- A failed discovery or JWKS fetch: until failed_until no process
-- fetches that issuer again (a stale jwks is still used; without one the
-- exchange is a 503 with Retry-After). A row may now hold a failure
-- only, with no keys.
ALTER TABLE oidc_jwks_cache ALTER COLUMN jwks DROP NOT NULL;
ALTER TABLE oidc_jwks_cache ADD COLUMN failed_until timestamptz;

-- Two more refused exchanges: lifetime (exp - iat above the policy's
-- max_token_age) and replayed (the token was exchanged before). NOT
-- VALID: every row already there met the narrower check, and a scan of
-- a large trail would hold its lock for long.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_outcome_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_outcome_check
    CHECK (outcome IN ('ok', 'malformed',
    'unknown', 'revoked', 'expired', 'key_rate_limited',
    'address_rate_limited', 'issuer', 'not_yet_valid', 'signature',
    'audience', 'subject', 'claim', 'keys_unavailable', 'lifetime',
    'replayed')) NOT VALID;
