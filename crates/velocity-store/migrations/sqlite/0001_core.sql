-- Platform and CRM core. Tenant tables carry workspace_id in their primary and foreign keys so a
-- row can never reference another workspace's row. Ids are UUID text, timestamps are fixed-width
-- UTC text (they sort as text), custom attributes are JSON text.

CREATE TABLE server_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    event_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at TEXT NOT NULL,
    removed_at TEXT,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

CREATE TABLE api_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE events (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    seq INTEGER NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq)
);
CREATE INDEX events_by_entity ON events (workspace_id, entity_id, seq);

CREATE TABLE search_terms (
    workspace_id TEXT NOT NULL,
    object TEXT NOT NULL,
    term TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, object, term, record_id)
) WITHOUT ROWID;

CREATE TABLE accounts (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    attributes TEXT NOT NULL,
    name TEXT NOT NULL,
    domain TEXT,
    industry TEXT,
    employees INTEGER,
    annual_revenue REAL,
    phone TEXT,
    website TEXT,
    address TEXT,
    owner_id TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id)
);
CREATE INDEX accounts_by_created ON accounts (workspace_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_by_name ON accounts (workspace_id, name, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_by_domain ON accounts (workspace_id, domain) WHERE deleted_at IS NULL;
CREATE INDEX accounts_by_owner ON accounts (workspace_id, owner_id, id) WHERE deleted_at IS NULL;

CREATE TABLE contacts (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    attributes TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    title TEXT,
    account_id TEXT,
    owner_id TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id)
);
CREATE INDEX contacts_by_created ON contacts (workspace_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_by_email ON contacts (workspace_id, email) WHERE deleted_at IS NULL;
CREATE INDEX contacts_by_account ON contacts (workspace_id, account_id, id) WHERE deleted_at IS NULL;
CREATE INDEX contacts_by_owner ON contacts (workspace_id, owner_id, id) WHERE deleted_at IS NULL;

CREATE TABLE pipelines (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    attributes TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE pipeline_stages (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    pipeline_id TEXT NOT NULL,
    name TEXT NOT NULL,
    probability REAL NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    position INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, pipeline_id, id),
    FOREIGN KEY (workspace_id, pipeline_id) REFERENCES pipelines (workspace_id, id)
);

CREATE TABLE products (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    attributes TEXT NOT NULL,
    name TEXT NOT NULL,
    sku TEXT,
    category TEXT,
    price REAL,
    currency TEXT,
    status TEXT,
    owner_id TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id)
);
CREATE INDEX products_by_created ON products (workspace_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX products_by_status ON products (workspace_id, status, id) WHERE deleted_at IS NULL;

CREATE TABLE deals (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    attributes TEXT NOT NULL,
    name TEXT NOT NULL,
    pipeline_id TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    amount REAL,
    currency TEXT,
    close_date TEXT,
    account_id TEXT,
    probability REAL,
    forecast_category TEXT,
    lost_reason TEXT,
    status TEXT NOT NULL,
    closed_at TEXT,
    owner_id TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, pipeline_id, stage_id)
        REFERENCES pipeline_stages (workspace_id, pipeline_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id)
);
CREATE INDEX deals_by_created ON deals (workspace_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_by_stage_amount ON deals (workspace_id, stage_id, amount, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_by_amount ON deals (workspace_id, amount, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_by_account ON deals (workspace_id, account_id, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_by_owner ON deals (workspace_id, owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX deals_by_status_close ON deals (workspace_id, status, close_date, id) WHERE deleted_at IS NULL;

CREATE TABLE deal_contacts (
    workspace_id TEXT NOT NULL,
    deal_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, deal_id, contact_id),
    FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id)
);
CREATE INDEX deal_contacts_by_contact ON deal_contacts (workspace_id, contact_id);

CREATE TABLE deal_products (
    workspace_id TEXT NOT NULL,
    deal_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, deal_id, product_id),
    FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id),
    FOREIGN KEY (workspace_id, product_id) REFERENCES products (workspace_id, id)
);
CREATE INDEX deal_products_by_product ON deal_products (workspace_id, product_id);

CREATE TABLE activities (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    attributes TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT,
    body TEXT,
    occurred_at TEXT,
    duration_minutes INTEGER,
    contact_id TEXT,
    account_id TEXT,
    deal_id TEXT,
    owner_id TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
    FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id)
);
CREATE INDEX activities_by_created ON activities (workspace_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX activities_by_contact ON activities (workspace_id, contact_id, occurred_at) WHERE deleted_at IS NULL;
CREATE INDEX activities_by_account ON activities (workspace_id, account_id, occurred_at) WHERE deleted_at IS NULL;
CREATE INDEX activities_by_deal ON activities (workspace_id, deal_id, occurred_at) WHERE deleted_at IS NULL;

CREATE TABLE tasks (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    attributes TEXT NOT NULL,
    title TEXT NOT NULL,
    due_at TEXT,
    status TEXT NOT NULL,
    completed_at TEXT,
    assignee_id TEXT,
    contact_id TEXT,
    account_id TEXT,
    deal_id TEXT,
    owner_id TEXT,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_id) REFERENCES memberships (workspace_id, user_id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, account_id) REFERENCES accounts (workspace_id, id),
    FOREIGN KEY (workspace_id, deal_id) REFERENCES deals (workspace_id, id),
    FOREIGN KEY (workspace_id, owner_id) REFERENCES memberships (workspace_id, user_id)
);
CREATE INDEX tasks_by_created ON tasks (workspace_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_assignee ON tasks (workspace_id, assignee_id, status, due_at) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_contact ON tasks (workspace_id, contact_id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_deal ON tasks (workspace_id, deal_id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_account ON tasks (workspace_id, account_id) WHERE deleted_at IS NULL;
