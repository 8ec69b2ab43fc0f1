-- 007_stacks_index.sql: the stacks route reads a pull request's latest
-- results; work manifests by pull request, newest completion first.
CREATE INDEX work_manifests_pull_request
    ON work_manifests (installation_id, repo_id, pull_number, completed_at);
