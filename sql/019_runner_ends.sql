-- 019_runner_ends.sql: finding the runs that need ending or reporting
-- without scanning every work manifest: dispatched runs still waiting
-- (a run that never reports is failed after TT_RUN_TIMEOUT), and ended
-- ones whose check run and comment were not posted yet.

CREATE INDEX work_manifests_live_runs ON work_manifests (created_at)
    WHERE state IN ('queued', 'running') AND dispatched_at IS NOT NULL;

CREATE INDEX work_manifests_unreported ON work_manifests (completed_at)
    WHERE reported_at IS NULL AND state IN ('completed', 'aborted')
    AND (results IS NOT NULL OR dispatched_at IS NOT NULL
         OR check_run_id IS NOT NULL);
