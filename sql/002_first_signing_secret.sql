-- 002_first_signing_secret.sql: a first HS256 signing secret (64 random
-- bytes), so a fresh install can issue access tokens at once. Rotate it
-- with `ttctl secret rotate`.
INSERT INTO jwt_secrets (kid, secret)
SELECT encode(gen_random_bytes(8), 'hex'), gen_random_bytes(64)
WHERE NOT EXISTS (SELECT 1 FROM jwt_secrets WHERE retired_at IS NULL);
