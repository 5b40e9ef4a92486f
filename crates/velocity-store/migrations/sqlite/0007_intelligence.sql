-- Pipeline intelligence: what the workspace learned from its history (stage win records,
-- close-date delays, norms, the scoring model), each open deal's latest score, and a daily
-- snapshot of the forecast so its accuracy can be measured against what closed.

CREATE TABLE intel_state (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id),
    trained_at TEXT NOT NULL,
    payload TEXT NOT NULL
);

CREATE TABLE deal_scores (
    workspace_id TEXT NOT NULL,
    deal_id TEXT NOT NULL,
    deal_version INTEGER NOT NULL,
    win_probability REAL NOT NULL,
    health INTEGER NOT NULL,
    health_band TEXT NOT NULL,
    factors TEXT NOT NULL,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, deal_id),
    FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id)
);

CREATE TABLE forecast_snapshots (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    taken_on TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, taken_on, timeframe)
);

-- Findings of the insight rules. One open insight per condition (rule and subject); it is
-- resolved, not deleted, when the condition clears.
CREATE TABLE insights (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    condition_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('risk', 'opportunity', 'warning', 'recommendation')),
    priority TEXT NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
    confidence REAL NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    deal_id TEXT,
    data TEXT NOT NULL,
    actions TEXT NOT NULL,
    is_read INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    resolved_at TEXT,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX insights_open_condition ON insights (workspace_id, condition_key) WHERE status = 'open';
CREATE INDEX insights_by_status ON insights (workspace_id, status, created_at);
