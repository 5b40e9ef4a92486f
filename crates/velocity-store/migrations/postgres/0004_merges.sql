-- Merges of duplicate contacts or accounts: which records went into which survivor, the
-- survivor as it was before, and every related record moved, so a merge can be undone.

CREATE TABLE merges (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    object TEXT NOT NULL,
    survivor_id TEXT NOT NULL,
    merged_ids TEXT NOT NULL,
    survivor_before TEXT NOT NULL,
    survivor_version BIGINT NOT NULL,
    moved TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('merged', 'undone')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    undone_at TEXT,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX merges_by_survivor ON merges (workspace_id, survivor_id);
