-- Imports: the raw file (in chunks, byte for byte), every raw row with its outcome, and the
-- batch's state. Rows record what they did (the record they created or updated and, for an
-- update, the record as it was), which is what the report, resume after a crash, and undo read.

CREATE TABLE imports (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    object TEXT NOT NULL,
    file_name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    encoding TEXT NOT NULL,
    layout TEXT NOT NULL,
    row_count BIGINT NOT NULL DEFAULT 0,
    mapping TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('uploaded', 'committing', 'committed', 'undoing', 'undone', 'failed')),
    counts TEXT NOT NULL,
    failure TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE import_chunks (
    workspace_id TEXT NOT NULL,
    import_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (workspace_id, import_id, seq),
    FOREIGN KEY (workspace_id, import_id) REFERENCES imports (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE import_rows (
    workspace_id TEXT NOT NULL,
    import_id TEXT NOT NULL,
    row_no BIGINT NOT NULL,
    line BIGINT NOT NULL,
    raw TEXT NOT NULL,
    problem TEXT,
    outcome TEXT CHECK (outcome IN ('created', 'updated', 'merged', 'skipped', 'error', 'undone', 'conflict')),
    record_id TEXT,
    record_version BIGINT,
    previous TEXT,
    message TEXT,
    PRIMARY KEY (workspace_id, import_id, row_no),
    FOREIGN KEY (workspace_id, import_id) REFERENCES imports (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX import_rows_by_outcome ON import_rows (workspace_id, import_id, outcome, row_no);
