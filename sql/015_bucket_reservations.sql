-- 015: a key's bucket may be moved on by several tokens at once, which a
-- process under load reserves and spends on the key's next refreshes
-- (lib/lease.h); granted is how many the last move took (NULL: the row
-- predates this migration). The table is UNLOGGED, so the column costs
-- no WAL.
ALTER TABLE rate_buckets ADD COLUMN granted integer;
