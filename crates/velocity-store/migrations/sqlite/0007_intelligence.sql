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
