-- Imports match contacts by phone (stored as E.164) a batch of rows at a time, in the database
-- rather than from an index of every contact held in memory.
CREATE INDEX contacts_by_phone ON contacts (workspace_id, phone) WHERE deleted_at IS NULL;
