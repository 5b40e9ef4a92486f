-- Import rows that may duplicate an existing record wait for a person: outcome `review`, the
-- candidate in record_id, the engine's confidence, and the prepared record (`proposal`) that
-- the person's decision applies.

ALTER TABLE import_rows DROP CONSTRAINT import_rows_outcome_check;
ALTER TABLE import_rows ADD CONSTRAINT import_rows_outcome_check
    CHECK (outcome IN ('created', 'updated', 'merged', 'skipped', 'error', 'undone', 'conflict', 'review'));
ALTER TABLE import_rows ADD COLUMN confidence DOUBLE PRECISION;
ALTER TABLE import_rows ADD COLUMN proposal TEXT;
