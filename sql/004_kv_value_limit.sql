-- 004_kv_value_limit.sql: the per-record value limit, enforced where the
-- value's stored size is known (its jsonb text), in the same statement
-- that writes it. The programs set tt.kv_max_value_bytes on connect
-- (TT_KV_MAX_VALUE_BYTES); SQLSTATE 54000 becomes a 413.
CREATE FUNCTION kv_checked_value(v jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	lim bigint := coalesce(nullif(current_setting('tt.kv_max_value_bytes',
	    true), '')::bigint, 1048576);
	n bigint := octet_length(v::text);
BEGIN
	IF n > lim THEN
		RAISE EXCEPTION 'KV value of % bytes exceeds the limit of % bytes',
		    n, lim USING ERRCODE = '54000';
	END IF;
	RETURN v;
END
$$;
