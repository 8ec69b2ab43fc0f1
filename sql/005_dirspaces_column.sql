-- 005: each work manifest carries its dirspaces as ready-made JSON text, so
-- a page of 20 manifests is one index scan, not 20 aggregations. Triggers
-- on work_manifest_dirspaces keep the column equal to the aggregate; the
-- table stays the source of truth (dirspace listing, stacks, filters).

ALTER TABLE work_manifests ADD COLUMN dirspaces_json text NOT NULL
    DEFAULT '[]';

CREATE FUNCTION work_manifest_dirspaces_json(bigint, uuid) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
	    'dir', d.dir, 'workspace', d.workspace, 'success', d.success))
	    ORDER BY d.dir, d.workspace), '[]'::json)::text
	FROM work_manifest_dirspaces d
	WHERE d.installation_id = $1 AND d.work_manifest_id = $2
$$;

-- One function for the three statement triggers: the manifests touched by
-- the statement (new rows, old rows, or both) are recomputed once each.
CREATE FUNCTION work_manifest_dirspaces_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE work_manifests wm SET dirspaces_json =
		    work_manifest_dirspaces_json(wm.installation_id, wm.id)
		FROM (SELECT DISTINCT installation_id, work_manifest_id
		    FROM changed_new) c
		WHERE wm.installation_id = c.installation_id AND
		    wm.id = c.work_manifest_id;
	END IF;
	IF TG_OP IN ('DELETE', 'UPDATE') THEN
		UPDATE work_manifests wm SET dirspaces_json =
		    work_manifest_dirspaces_json(wm.installation_id, wm.id)
		FROM (SELECT DISTINCT installation_id, work_manifest_id
		    FROM changed_old) c
		WHERE wm.installation_id = c.installation_id AND
		    wm.id = c.work_manifest_id;
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER work_manifest_dirspaces_ins AFTER INSERT
    ON work_manifest_dirspaces REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION work_manifest_dirspaces_sync();
CREATE TRIGGER work_manifest_dirspaces_upd AFTER UPDATE
    ON work_manifest_dirspaces REFERENCING OLD TABLE AS changed_old
    NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION work_manifest_dirspaces_sync();
CREATE TRIGGER work_manifest_dirspaces_del AFTER DELETE
    ON work_manifest_dirspaces REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION work_manifest_dirspaces_sync();

UPDATE work_manifests wm SET dirspaces_json =
    work_manifest_dirspaces_json(wm.installation_id, wm.id)
WHERE EXISTS (SELECT 1 FROM work_manifest_dirspaces d
    WHERE d.installation_id = wm.installation_id AND
    d.work_manifest_id = wm.id);
