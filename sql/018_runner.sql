-- 018_runner.sql: what Terrateam's runner needs (docs/RUNNER.md of the
-- shared docs): the runner's credential per work manifest, the
-- repository configuration it reads, each dirspace's rank and stack,
-- the plans it stores, its results, the workflow dispatch and the check
-- run as effects made once.

-- Work manifests are found by id alone on the runner's routes.
CREATE UNIQUE INDEX work_manifests_id ON work_manifests (id);

ALTER TABLE work_manifests
    -- SHA-256 of the runner's token (the initiate answer's "token");
    -- only while the manifest is queued or running.
    ADD COLUMN token_sha256 bytea UNIQUE
	CHECK (token_sha256 IS NULL OR length(token_sha256) = 32),
    -- .terrateam/config.yml at the manifest's sha, as JSON ('{}': none).
    ADD COLUMN config_json text,
    ADD COLUMN started_at timestamptz,
    -- The workflow dispatch was made (never twice for one manifest).
    ADD COLUMN dispatched_at timestamptz,
    -- The check run the runner's progress is shown on.
    ADD COLUMN check_run_id bigint,
    -- The results (PUT) that completed the manifest: a resent identical
    -- PUT is answered again and changes nothing.
    ADD COLUMN results_sha256 bytea,
    ADD COLUMN results jsonb,
    -- The check run and comment of the results were posted.
    ADD COLUMN reported_at timestamptz,
    -- Why an aborted or failed manifest ended ('sha mismatch', ...).
    ADD COLUMN end_reason text;

-- The order the runner takes dirspaces in (rank 0 first; one rank at a
-- time, in parallel within one), and the stack each belongs to.
ALTER TABLE work_manifest_dirspaces
    ADD COLUMN rank integer NOT NULL DEFAULT 0 CHECK (rank >= 0),
    ADD COLUMN stack_name text NOT NULL DEFAULT 'default';

-- A plan the runner stored (R3), as it sent it: the base64 text of its
-- envelope, given back byte for byte to an apply (R4).
CREATE TABLE work_manifest_plans (
	installation_id	bigint NOT NULL,
	work_manifest_id uuid NOT NULL,
	dir		text NOT NULL,
	workspace	text NOT NULL,
	plan_data	text NOT NULL,	-- base64, checked by the program
	has_changes	boolean NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (installation_id, work_manifest_id, dir, workspace),
	FOREIGN KEY (installation_id, work_manifest_id)
	    REFERENCES work_manifests(installation_id, id) ON DELETE CASCADE
);
CREATE INDEX work_manifest_plans_age ON work_manifest_plans (created_at);

-- Manifests of a run (a workflow_job delivery names its run id).
CREATE INDEX work_manifests_run ON work_manifests (installation_id, run_id)
    WHERE run_id IS NOT NULL;
