-- 001_init.sql: the whole schema API.md needs. Every installation-owned
-- table carries installation_id so it can be sharded by it (DESIGN "Scale").

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE users (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	github_login	text UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE installations (
	id		bigint PRIMARY KEY,
	login		text NOT NULL,
	account_type	text NOT NULL DEFAULT 'Organization',
	state		text NOT NULL DEFAULT 'active'
	    CHECK (state IN ('active', 'suspended', 'deleted')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE installation_members (
	installation_id	bigint NOT NULL REFERENCES installations(id)
	    ON DELETE CASCADE,
	user_id		uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (installation_id, user_id)
);
CREATE INDEX installation_members_user ON installation_members (user_id);

CREATE TABLE repositories (
	installation_id	bigint NOT NULL REFERENCES installations(id)
	    ON DELETE CASCADE,
	id		bigint NOT NULL,
	owner		text NOT NULL,
	name		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (installation_id, id)
);

CREATE TABLE pull_requests (
	installation_id	bigint NOT NULL,
	repo_id		bigint NOT NULL,
	pull_number	bigint NOT NULL,
	title		text,
	state		text NOT NULL DEFAULT 'open',
	base_branch	text,
	branch		text,
	base_sha	text,
	head_sha	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (installation_id, repo_id, pull_number),
	FOREIGN KEY (installation_id, repo_id)
	    REFERENCES repositories(installation_id, id) ON DELETE CASCADE
);

-- API keys: only the SHA-256 of the whole key is stored.
CREATE TABLE api_keys (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name		text NOT NULL,
	key_sha256	bytea NOT NULL UNIQUE CHECK (length(key_sha256) = 32),
	capabilities	jsonb NOT NULL DEFAULT '[]',
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz,
	expires_at	timestamptz,
	revoked_at	timestamptz
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at, id);

-- HS256 signing secrets; retired ones verify until their tokens expire.
CREATE TABLE jwt_secrets (
	kid		text PRIMARY KEY,
	secret		bytea NOT NULL CHECK (length(secret) >= 32),
	created_at	timestamptz NOT NULL DEFAULT now(),
	retired_at	timestamptz
);

CREATE TABLE work_manifests (
	installation_id	bigint NOT NULL,
	id		uuid NOT NULL DEFAULT gen_random_uuid(),
	repo_id		bigint NOT NULL,
	pull_number	bigint,
	run_type	text NOT NULL CHECK (run_type IN
	    ('plan', 'apply', 'index', 'build-config', 'build-tree')),
	state		text NOT NULL DEFAULT 'queued' CHECK (state IN
	    ('queued', 'running', 'completed', 'aborted')),
	kind		text NOT NULL DEFAULT 'pr'
	    CHECK (kind IN ('pr', 'drift', 'index')),
	base_sha	text NOT NULL,
	sha		text NOT NULL,
	base_branch	text NOT NULL,
	branch		text NOT NULL,
	tag_query	text NOT NULL DEFAULT '',
	username	text,
	run_id		text,
	environment	text,
	pull_request_title text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	completed_at	timestamptz,
	PRIMARY KEY (installation_id, id),
	FOREIGN KEY (installation_id, repo_id)
	    REFERENCES repositories(installation_id, id) ON DELETE CASCADE
);
CREATE INDEX work_manifests_page
    ON work_manifests (installation_id, created_at, id);

CREATE TABLE work_manifest_dirspaces (
	installation_id	bigint NOT NULL,
	work_manifest_id uuid NOT NULL,
	dir		text NOT NULL,
	workspace	text NOT NULL,
	success		boolean,
	has_changes	boolean,
	PRIMARY KEY (installation_id, work_manifest_id, dir, workspace),
	FOREIGN KEY (installation_id, work_manifest_id)
	    REFERENCES work_manifests(installation_id, id) ON DELETE CASCADE
);

-- Stacks computed for a pull request, stored whole.
CREATE TABLE pull_request_stacks (
	installation_id	bigint NOT NULL,
	repo_id		bigint NOT NULL,
	pull_number	bigint NOT NULL,
	head_sha	text NOT NULL,
	stacks		jsonb NOT NULL,
	config_error	text,
	computed_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (installation_id, repo_id, pull_number)
);

CREATE TABLE kv_store (
	installation_id	bigint NOT NULL,
	key		text NOT NULL,
	idx		integer NOT NULL DEFAULT 0 CHECK (idx >= 0),
	data		jsonb NOT NULL,
	version		bigint NOT NULL DEFAULT 0,
	committed	boolean NOT NULL DEFAULT true,
	size		bigint NOT NULL,
	read_caps	jsonb,
	write_caps	jsonb,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (installation_id, key, idx)
);

CREATE TABLE webhook_deliveries (
	id		bigserial PRIMARY KEY,
	delivery_id	text NOT NULL UNIQUE,
	event		text NOT NULL,
	action		text,
	installation_id	bigint,
	body_sha256	bytea NOT NULL UNIQUE,
	payload		jsonb NOT NULL,
	state		text NOT NULL DEFAULT 'received' CHECK (state IN
	    ('received', 'processing', 'done', 'failed', 'ignored')),
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	last_error	text,
	received_at	timestamptz NOT NULL DEFAULT now(),
	processed_at	timestamptz
);
CREATE INDEX webhook_deliveries_pending
    ON webhook_deliveries (next_attempt_at) WHERE state IN ('received', 'failed');

-- GitHub installation tokens, shared by every process and web server.
CREATE TABLE github_installation_tokens (
	installation_id	bigint PRIMARY KEY,
	token		text NOT NULL,
	expires_at	timestamptz NOT NULL,
	fetched_at	timestamptz NOT NULL DEFAULT now()
);
