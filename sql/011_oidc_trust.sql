-- 011: keyless CI login (issue 11). An OIDC ID token (GitHub Actions and
-- the like) is exchanged for an access token when it matches a trust
-- policy. Removing a policy (DELETE) also ends the access tokens it
-- minted: session.c checks the policy row exists, as it checks a key.
CREATE TABLE oidc_trust_policies (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	issuer		text NOT NULL CHECK (length(issuer) BETWEEN 8 AND 512),
	audience	text NOT NULL CHECK (length(audience) BETWEEN 1 AND 512),
	-- exact, or with '*' matching any run of characters
	subject		text NOT NULL CHECK (length(subject) BETWEEN 1 AND 512),
	-- {"claim": "pattern", ...}: every named string claim must match
	conditions	jsonb NOT NULL DEFAULT '{}'
	    CHECK (jsonb_typeof(conditions) = 'object'),
	user_id		uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	capabilities	jsonb NOT NULL CHECK (jsonb_typeof(capabilities) = 'array'),
	max_ttl		integer NOT NULL CHECK (max_ttl BETWEEN 1 AND 3600),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oidc_trust_policies_issuer
    ON oidc_trust_policies (issuer, created_at, id);

-- Each trusted issuer's JWKS, shared by every process and web server
-- (CGI programs live for one request, so a per-process cache would
-- fetch on every exchange). Kept until the JWKS answer's Cache-Control
-- max-age runs out; fetched_at limits refetches on an unknown kid.
CREATE TABLE oidc_jwks_cache (
	issuer		text PRIMARY KEY,
	jwks		text NOT NULL,
	fetched_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);
