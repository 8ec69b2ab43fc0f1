-- 003_kv_staging.sql: a KV record may have a committed version and a staged
-- (committed = false) one at the same time, so a multi-chunk upload does
-- not hide the previous value until POST /commit swaps it in. Keys sort
-- and compare bytewise whatever the cluster's locale.
ALTER TABLE kv_store ALTER COLUMN key TYPE text COLLATE "C";
ALTER TABLE kv_store DROP CONSTRAINT kv_store_pkey;
ALTER TABLE kv_store ADD PRIMARY KEY (installation_id, key, idx, committed);
