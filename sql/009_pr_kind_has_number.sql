-- 009: a work manifest of kind 'pr' names its pull request, and only such
-- a manifest does (the API answers kind as {"pull_number": N} for 'pr').
-- NOT VALID: enforced for every new or changed row without failing the
-- upgrade of a database that already holds an inconsistent row; run
--   ALTER TABLE work_manifests VALIDATE CONSTRAINT work_manifests_pr_number;
-- once those are fixed.
ALTER TABLE work_manifests ADD CONSTRAINT work_manifests_pr_number
    CHECK ((kind = 'pr') = (pull_number IS NOT NULL)) NOT VALID;
