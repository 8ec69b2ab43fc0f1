-- 008: each pull request's stored stacks carry the latest result of each
-- dirspace at its head sha, as JSON ({"dir": {"workspace": [run_type,
-- success, has_changes]}}), so the stacks route reads one row and derives
-- the states from it. Triggers keep the column equal to the query below;
-- work_manifests and work_manifest_dirspaces stay the source of truth.

ALTER TABLE pull_request_stacks ADD COLUMN results jsonb NOT NULL
    DEFAULT '{}';

-- The route reads both as text: kept ready, as jsonb's output function
-- costs more than the rest of the read.
ALTER TABLE pull_request_stacks
    ADD COLUMN stacks_text text GENERATED ALWAYS AS (stacks::text) STORED,
    ADD COLUMN results_text text GENERATED ALWAYS AS (results::text) STORED;

-- The latest result of a plan or apply (of a running or completed
-- manifest: a runner reports each dirspace as it finishes) per dirspace
-- of a pull request at one sha; the newest completion (or creation) wins.
CREATE FUNCTION pull_request_stack_results(bigint, bigint, bigint, text)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_object_agg(x.dir, x.ws), '{}')
	FROM (SELECT l.dir, jsonb_object_agg(l.workspace, jsonb_build_array(
	    l.run_type, l.success, coalesce(l.has_changes, false))) AS ws
	    FROM (SELECT DISTINCT ON (d.dir, d.workspace) d.dir, d.workspace,
		wm.run_type, d.success, d.has_changes
		FROM work_manifests wm JOIN work_manifest_dirspaces d ON
		    d.installation_id = wm.installation_id AND
		    d.work_manifest_id = wm.id
		WHERE wm.installation_id = $1 AND wm.repo_id = $2 AND
		    wm.pull_number = $3 AND wm.sha = $4 AND
		    wm.run_type IN ('plan', 'apply') AND wm.kind = 'pr' AND
		    wm.state IN ('running', 'completed') AND
		    d.success IS NOT NULL
		ORDER BY d.dir, d.workspace,
		    coalesce(wm.completed_at, wm.created_at) DESC,
		    wm.created_at DESC) l
	    GROUP BY l.dir) x
$$;

-- Dirspace rows changed: recompute the pull requests they belong to, once
-- per statement, and only those that have stacks stored.
CREATE FUNCTION pull_request_stack_results_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE pull_request_stacks s SET results =
		    pull_request_stack_results(s.installation_id, s.repo_id,
		    s.pull_number, s.head_sha)
		FROM (SELECT DISTINCT wm.installation_id, wm.repo_id,
		    wm.pull_number FROM changed_new c JOIN work_manifests wm ON
		    wm.installation_id = c.installation_id AND
		    wm.id = c.work_manifest_id
		    WHERE wm.pull_number IS NOT NULL) p
		WHERE s.installation_id = p.installation_id AND
		    s.repo_id = p.repo_id AND s.pull_number = p.pull_number;
	END IF;
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE pull_request_stacks s SET results =
		    pull_request_stack_results(s.installation_id, s.repo_id,
		    s.pull_number, s.head_sha)
		FROM (SELECT DISTINCT wm.installation_id, wm.repo_id,
		    wm.pull_number FROM changed_old c JOIN work_manifests wm ON
		    wm.installation_id = c.installation_id AND
		    wm.id = c.work_manifest_id
		    WHERE wm.pull_number IS NOT NULL) p
		WHERE s.installation_id = p.installation_id AND
		    s.repo_id = p.repo_id AND s.pull_number = p.pull_number;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER pull_request_stack_results_ins AFTER INSERT
    ON work_manifest_dirspaces REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION pull_request_stack_results_sync();
CREATE TRIGGER pull_request_stack_results_upd AFTER UPDATE
    ON work_manifest_dirspaces REFERENCING OLD TABLE AS changed_old
    NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION pull_request_stack_results_sync();
CREATE TRIGGER pull_request_stack_results_del AFTER DELETE
    ON work_manifest_dirspaces REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION pull_request_stack_results_sync();

-- A manifest's state, completion time, sha or pull request changed, or
-- it was deleted: the pull requests it left and joined are recomputed.
-- (A cascaded delete of its dirspaces no longer finds the manifest.)
CREATE FUNCTION pull_request_stack_results_wm() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.pull_number IS NOT NULL THEN
		UPDATE pull_request_stacks s SET results =
		    pull_request_stack_results(s.installation_id, s.repo_id,
		    s.pull_number, s.head_sha)
		WHERE s.installation_id = OLD.installation_id AND
		    s.repo_id = OLD.repo_id AND s.pull_number = OLD.pull_number;
	END IF;
	IF TG_OP = 'UPDATE' AND NEW.pull_number IS NOT NULL AND
	    (NEW.repo_id, NEW.pull_number) IS DISTINCT FROM
	    (OLD.repo_id, OLD.pull_number) THEN
		UPDATE pull_request_stacks s SET results =
		    pull_request_stack_results(s.installation_id, s.repo_id,
		    s.pull_number, s.head_sha)
		WHERE s.installation_id = NEW.installation_id AND
		    s.repo_id = NEW.repo_id AND s.pull_number = NEW.pull_number;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER pull_request_stack_results_wm AFTER UPDATE OF state,
    completed_at, sha, pull_number, repo_id, run_type, kind
    ON work_manifests FOR EACH ROW
    WHEN (OLD.pull_number IS NOT NULL OR NEW.pull_number IS NOT NULL)
    EXECUTE FUNCTION pull_request_stack_results_wm();
CREATE TRIGGER pull_request_stack_results_wm_del AFTER DELETE
    ON work_manifests FOR EACH ROW WHEN (OLD.pull_number IS NOT NULL)
    EXECUTE FUNCTION pull_request_stack_results_wm();

-- Stacks stored (or stored again for a new head sha): results at that sha.
CREATE FUNCTION pull_request_stack_results_store() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.results := pull_request_stack_results(NEW.installation_id,
	    NEW.repo_id, NEW.pull_number, NEW.head_sha);
	RETURN NEW;
END
$$;

CREATE TRIGGER pull_request_stack_results_store BEFORE INSERT OR UPDATE OF
    head_sha, stacks ON pull_request_stacks FOR EACH ROW
    EXECUTE FUNCTION pull_request_stack_results_store();

UPDATE pull_request_stacks s SET results = pull_request_stack_results(
    s.installation_id, s.repo_id, s.pull_number, s.head_sha);
