-- Import rows that may duplicate an existing record wait for a person: outcome `review`, the
-- candidate in record_id, the engine's confidence, and the prepared record (`proposal`) that
-- the person's decision applies. SQLite cannot change a CHECK constraint in place, so the table
-- is rebuilt.

CREATE TABLE import_rows_next (
    workspace_id TEXT NOT NULL,
    import_id TEXT NOT NULL,
    row_no INTEGER NOT NULL,
    line INTEGER NOT NULL,
    raw TEXT NOT NULL,
    problem TEXT,
    outcome TEXT CHECK (outcome IN ('created', 'updated', 'merged', 'skipped', 'error', 'undone', 'conflict', 'review')),
    record_id TEXT,
    record_version INTEGER,
    previous TEXT,
    message TEXT,
    confidence REAL,
    proposal TEXT,
    PRIMARY KEY (workspace_id, import_id, row_no),
    FOREIGN KEY (workspace_id, import_id) REFERENCES imports (workspace_id, id) ON DELETE CASCADE
);
INSERT INTO import_rows_next (workspace_id, import_id, row_no, line, raw, problem, outcome, record_id, record_version, previous, message)
    SELECT workspace_id, import_id, row_no, line, raw, problem, outcome, record_id, record_version, previous, message FROM import_rows;
DROP TABLE import_rows;
ALTER TABLE import_rows_next RENAME TO import_rows;
CREATE INDEX import_rows_by_outcome ON import_rows (workspace_id, import_id, outcome, row_no);
