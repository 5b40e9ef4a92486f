-- Terms held by so many of a workspace's records (a thousand or more) that no search reads
-- their entries: every prefix of such a term is common too, and a common prefix is matched on
-- each record's own `search_text`. Records written after a term is listed here store no entry
-- for it, which on a bulk load is most of the entries (first names, places, job titles).
CREATE TABLE search_common_terms (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    object TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (workspace_id, object, term)
);
