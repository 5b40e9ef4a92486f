-- Lets a list probe whether one record has a term with a given prefix (used for common search
-- prefixes, where walking the sort order and probing beats collecting every match).
CREATE INDEX search_terms_by_record ON search_terms (workspace_id, object, record_id, term);
