-- Each record keeps its search terms in a column of its own as well (`search_text`: every term
-- preceded by the unit separator, char(31)), so that a search for a common prefix checks the
-- record as it walks the list order instead of probing `search_terms` once per record; the
-- newest-first order (the default) reads it straight from its index. Rare prefixes still collect
-- their few records from `search_terms` by term, and the per-record index of those probes goes.
ALTER TABLE accounts ADD COLUMN search_text TEXT;
ALTER TABLE contacts ADD COLUMN search_text TEXT;
ALTER TABLE deals ADD COLUMN search_text TEXT;
ALTER TABLE pipelines ADD COLUMN search_text TEXT;
ALTER TABLE activities ADD COLUMN search_text TEXT;
ALTER TABLE tasks ADD COLUMN search_text TEXT;
ALTER TABLE products ADD COLUMN search_text TEXT;

UPDATE accounts SET search_text = (
    SELECT char(31) || group_concat(s.term, char(31)) FROM search_terms s
    WHERE s.workspace_id = accounts.workspace_id AND s.object = 'account' AND s.record_id = accounts.id
);
UPDATE contacts SET search_text = (
    SELECT char(31) || group_concat(s.term, char(31)) FROM search_terms s
    WHERE s.workspace_id = contacts.workspace_id AND s.object = 'contact' AND s.record_id = contacts.id
);
UPDATE deals SET search_text = (
    SELECT char(31) || group_concat(s.term, char(31)) FROM search_terms s
    WHERE s.workspace_id = deals.workspace_id AND s.object = 'deal' AND s.record_id = deals.id
);
UPDATE pipelines SET search_text = (
    SELECT char(31) || group_concat(s.term, char(31)) FROM search_terms s
    WHERE s.workspace_id = pipelines.workspace_id AND s.object = 'pipeline' AND s.record_id = pipelines.id
);
UPDATE tasks SET search_text = (
    SELECT char(31) || group_concat(s.term, char(31)) FROM search_terms s
    WHERE s.workspace_id = tasks.workspace_id AND s.object = 'task' AND s.record_id = tasks.id
);
UPDATE products SET search_text = (
    SELECT char(31) || group_concat(s.term, char(31)) FROM search_terms s
    WHERE s.workspace_id = products.workspace_id AND s.object = 'product' AND s.record_id = products.id
);

DROP INDEX search_terms_by_record;

DROP INDEX accounts_by_created;
CREATE INDEX accounts_by_created ON accounts (workspace_id, created_at, id, search_text) WHERE deleted_at IS NULL;
DROP INDEX contacts_by_created;
CREATE INDEX contacts_by_created ON contacts (workspace_id, created_at, id, search_text) WHERE deleted_at IS NULL;
DROP INDEX deals_by_created;
CREATE INDEX deals_by_created ON deals (workspace_id, created_at, id, search_text) WHERE deleted_at IS NULL;
DROP INDEX pipelines_by_created;
CREATE INDEX pipelines_by_created ON pipelines (workspace_id, created_at, id, search_text) WHERE deleted_at IS NULL;
DROP INDEX tasks_by_created;
CREATE INDEX tasks_by_created ON tasks (workspace_id, created_at, id, search_text) WHERE deleted_at IS NULL;
DROP INDEX products_by_created;
CREATE INDEX products_by_created ON products (workspace_id, created_at, id, search_text) WHERE deleted_at IS NULL;
