-- Each record keeps its search terms in a column of its own as well (`search_text`: every term
-- preceded by the unit separator, chr(31)), so that a search for a common prefix checks the
-- record as it walks the list order instead of probing `search_terms` once per record. Rare
-- prefixes still collect their few records from `search_terms` by term, and the per-record index
-- of those probes goes. (SQLite also puts the column in the newest-first index; PostgreSQL caps
-- an index entry at about 2.7 kB, which a long name's terms could pass.)
ALTER TABLE accounts ADD COLUMN search_text TEXT;
ALTER TABLE contacts ADD COLUMN search_text TEXT;
ALTER TABLE deals ADD COLUMN search_text TEXT;
ALTER TABLE pipelines ADD COLUMN search_text TEXT;
ALTER TABLE activities ADD COLUMN search_text TEXT;
ALTER TABLE tasks ADD COLUMN search_text TEXT;
ALTER TABLE products ADD COLUMN search_text TEXT;

UPDATE accounts r SET search_text = s.text FROM (
    SELECT workspace_id, record_id, chr(31) || string_agg(term, chr(31)) AS text
    FROM search_terms WHERE object = 'account' GROUP BY workspace_id, record_id
) s WHERE r.workspace_id = s.workspace_id AND r.id = s.record_id;
UPDATE contacts r SET search_text = s.text FROM (
    SELECT workspace_id, record_id, chr(31) || string_agg(term, chr(31)) AS text
    FROM search_terms WHERE object = 'contact' GROUP BY workspace_id, record_id
) s WHERE r.workspace_id = s.workspace_id AND r.id = s.record_id;
UPDATE deals r SET search_text = s.text FROM (
    SELECT workspace_id, record_id, chr(31) || string_agg(term, chr(31)) AS text
    FROM search_terms WHERE object = 'deal' GROUP BY workspace_id, record_id
) s WHERE r.workspace_id = s.workspace_id AND r.id = s.record_id;
UPDATE pipelines r SET search_text = s.text FROM (
    SELECT workspace_id, record_id, chr(31) || string_agg(term, chr(31)) AS text
    FROM search_terms WHERE object = 'pipeline' GROUP BY workspace_id, record_id
) s WHERE r.workspace_id = s.workspace_id AND r.id = s.record_id;
UPDATE tasks r SET search_text = s.text FROM (
    SELECT workspace_id, record_id, chr(31) || string_agg(term, chr(31)) AS text
    FROM search_terms WHERE object = 'task' GROUP BY workspace_id, record_id
) s WHERE r.workspace_id = s.workspace_id AND r.id = s.record_id;
UPDATE products r SET search_text = s.text FROM (
    SELECT workspace_id, record_id, chr(31) || string_agg(term, chr(31)) AS text
    FROM search_terms WHERE object = 'product' GROUP BY workspace_id, record_id
) s WHERE r.workspace_id = s.workspace_id AND r.id = s.record_id;

DROP INDEX search_terms_by_record;
