#!/usr/bin/env bash
# What SQLite alone takes to write what a bulk load wrote: the floor under the demo's and the
# import's throughput on this machine, whatever the Rust side does.
#
# It copies the rows of a finished run from its database into a fresh one with the same
# schema, in the same shape of transactions, with the `sqlite3` shell: no generation, no
# matching, no binding through a driver. A load cannot finish faster than its floor.
#
#   sqlite-floor.sh demo   DATA_DIR WORK_DIR   # DATA_DIR: after `velocity demo --data-dir DATA_DIR`
#   sqlite-floor.sh import DATA_DIR WORK_DIR   # DATA_DIR: the server's, after `import-bench`
#
# demo:   every table copied in one transaction per table with the secondary indexes dropped,
#         then the indexes built (as the demo defers them); prints both times.
# import: the last import's writes replayed 2,000 rows per transaction (as the import's
#         writer does) onto a copy of the database as it was before that import, with a
#         passive checkpoint every 250 ms beside it (as the server runs them); prints the
#         time of each kind of statement and the total.
#
# Needs `sqlite3` and a release build (`cargo build --release -p velocity-cli`).
set -euo pipefail

mode=${1:?demo or import}
source_db=${2:?data dir of the finished run}/velocity.db
work=${3:?a scratch directory (its contents are replaced)}
velocity=${VELOCITY:-$(dirname "$0")/../../target/release/velocity}

now() { date +%s.%N; }
seconds() { echo "$1 $2" | awk '{printf "%.1f", $2 - $1}'; }

# A fresh database at $1 with the current schema, no rows in any table.
fresh() {
    rm -rf "$1" && "$velocity" migrate --data-dir "$1" > /dev/null
    sqlite3 "$1/velocity.db" "SELECT 'DELETE FROM ' || name || ';' FROM sqlite_master
        WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'" \
        | sqlite3 "$1/velocity.db"
}

# The tables whose secondary indexes a bulk load defers (see deferred_indexes.rs).
deferred="'accounts','contacts','deals','pipelines','activities','tasks','products',
          'deal_contacts','deal_products','events','search_terms'"

demo() {
    fresh "$work/floor"
    local db="$work/floor/velocity.db"
    sqlite3 "$db" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
        AND tbl_name IN ($deferred) AND sql NOT LIKE 'CREATE UNIQUE%'" > "$work/indexes.sql"
    sqlite3 "$db" "SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master WHERE type = 'index'
        AND sql IS NOT NULL AND tbl_name IN ($deferred) AND sql NOT LIKE 'CREATE UNIQUE%'" \
        | sqlite3 "$db"
    {
        echo "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -131072; PRAGMA foreign_keys = OFF;"
        echo "ATTACH '$source_db' AS src;"
        sqlite3 "$db" "SELECT 'BEGIN; INSERT INTO ' || name || ' SELECT * FROM src.' || name
            || '; COMMIT;' FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
            AND name <> '_sqlx_migrations' ORDER BY name = 'events', name = 'search_terms'"
    } > "$work/copy.sql"
    local start; start=$(now)
    sqlite3 "$db" < "$work/copy.sql" > /dev/null
    local copied; copied=$(now)
    { echo "PRAGMA cache_size = -131072; PRAGMA threads = 2;"; cat "$work/indexes.sql"; } \
        | sqlite3 "$db" > /dev/null
    local built; built=$(now)
    echo "rows copied in $(seconds "$start" "$copied") s, $(wc -l < "$work/indexes.sql") indexes built in $(seconds "$copied" "$built") s: $(seconds "$start" "$built") s"
}

import() {
    local stage="$work/stage.db" last
    rm -f "$stage"
    last=$(sqlite3 "$source_db" "SELECT id FROM imports ORDER BY created_at DESC LIMIT 1")
    # The last import's rows, new contacts, their search terms, changed contacts and events,
    # each with the 2,000-row batch it belongs to.
    sqlite3 "$stage" <<SQL
ATTACH '$source_db' AS f;
CREATE TABLE rows AS SELECT (row_no - 1) / 2000 AS batch, * FROM f.import_rows
    WHERE import_id = '$last' ORDER BY row_no;
CREATE INDEX rows_by_batch ON rows (batch);
CREATE TABLE new_contacts AS SELECT r.batch, c.* FROM rows r JOIN f.contacts c
    ON c.workspace_id = r.workspace_id AND c.id = r.record_id WHERE r.outcome = 'created'
    ORDER BY r.batch, c.rowid;
CREATE INDEX new_contacts_by_batch ON new_contacts (batch);
CREATE INDEX new_contacts_by_id ON new_contacts (id);
CREATE TABLE new_terms AS SELECT n.batch, s.* FROM f.search_terms s JOIN new_contacts n
    ON n.id = s.record_id WHERE s.object = 'contact' ORDER BY n.batch;
CREATE INDEX new_terms_by_batch ON new_terms (batch);
CREATE TABLE changed AS SELECT r.batch, c.* FROM rows r JOIN f.contacts c
    ON c.workspace_id = r.workspace_id AND c.id = r.record_id
    WHERE r.outcome IN ('updated', 'merged');
CREATE INDEX changed_by_batch ON changed (batch);
CREATE TABLE new_events AS SELECT 0 AS batch, * FROM f.events
    WHERE actor_id = '$last' AND source = 'import' ORDER BY seq;
UPDATE new_events SET batch = (seq - (SELECT min(seq) FROM new_events)) * (SELECT max(batch) + 1 FROM rows)
    / (SELECT count(*) FROM new_events);
CREATE INDEX new_events_by_batch ON new_events (batch);
SQL
    # The database as it was before the last import: everything else, and that import's rows
    # as its upload left them (no outcome yet).
    fresh "$work/before"
    local columns events_columns
    columns=$(sqlite3 "$source_db" "SELECT group_concat(name) FROM pragma_table_info('contacts')")
    events_columns=$(sqlite3 "$source_db" "SELECT group_concat(name) FROM pragma_table_info('events')")
    sqlite3 "$work/before/velocity.db" <<SQL
PRAGMA foreign_keys = OFF;
ATTACH '$source_db' AS f; ATTACH '$stage' AS s;
$(sqlite3 "$source_db" "SELECT 'INSERT INTO ' || name || ' SELECT * FROM f.' || name || ';'
    FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
    AND name NOT IN ('_sqlx_migrations', 'contacts', 'search_terms', 'events', 'import_rows')")
INSERT INTO contacts SELECT * FROM f.contacts WHERE id NOT IN (SELECT id FROM s.new_contacts) ORDER BY rowid;
INSERT INTO search_terms SELECT * FROM f.search_terms WHERE object <> 'contact' OR record_id NOT IN (SELECT id FROM s.new_contacts);
INSERT INTO events SELECT * FROM f.events WHERE seq < (SELECT min(seq) FROM s.new_events) ORDER BY seq;
INSERT INTO import_rows SELECT * FROM f.import_rows WHERE import_id <> '$last' ORDER BY rowid;
INSERT INTO import_rows (workspace_id, import_id, row_no, line, raw, problem)
    SELECT workspace_id, import_id, row_no, line, raw, problem FROM s.rows ORDER BY row_no;
SQL
    sqlite3 "$work/before/velocity.db" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
    local db="$work/before/velocity.db" batches
    batches=$(sqlite3 "$stage" "SELECT max(batch) + 1 FROM rows")
    {
        echo "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -131072;"
        echo "PRAGMA wal_autocheckpoint = 100000; PRAGMA foreign_keys = ON;"
        echo "ATTACH '$stage' AS s;"
        echo ".timer on"
        for ((b = 0; b < batches; b++)); do
            cat <<SQL
BEGIN;
INSERT INTO contacts ($columns) SELECT $columns FROM s.new_contacts WHERE batch = $b;
INSERT INTO search_terms SELECT workspace_id, object, term, record_id FROM s.new_terms WHERE batch = $b;
UPDATE contacts SET version = c.version, updated_at = c.updated_at, attributes = c.attributes,
    first_name = c.first_name, last_name = c.last_name, email = c.email, phone = c.phone,
    title = c.title, search_text = c.search_text
    FROM s.changed c WHERE c.batch = $b AND contacts.workspace_id = c.workspace_id AND contacts.id = c.id;
UPDATE import_rows SET outcome = r.outcome, record_id = r.record_id,
    record_version = r.record_version, previous = r.previous, message = r.message
    FROM s.rows r WHERE r.batch = $b AND import_rows.workspace_id = r.workspace_id
    AND import_rows.import_id = r.import_id AND import_rows.row_no = r.row_no;
INSERT INTO events ($events_columns) SELECT $events_columns FROM s.new_events WHERE batch = $b;
COMMIT;
SQL
        done
    } > "$work/replay.sql"
    touch "$work/checkpointing"
    (while [ -f "$work/checkpointing" ]; do
        sqlite3 "$db" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null 2>&1 || true
        sleep 0.25
    done) &
    local start; start=$(now)
    sqlite3 "$db" < "$work/replay.sql" > "$work/replay.out"
    local done_at; done_at=$(now)
    rm "$work/checkpointing"; wait
    grep '^Run Time' "$work/replay.out" | awk '{t[(NR - 1) % 7] += $4}
        END {printf "contacts %.2f s, search terms %.2f s, changed contacts %.2f s, outcomes %.2f s, events %.2f s, commits %.2f s\n",
            t[1], t[2], t[3], t[4], t[5], t[6]}'
    local rows; rows=$(sqlite3 "$stage" "SELECT count(*) FROM rows")
    echo "$rows rows replayed in $(seconds "$start" "$done_at") s: $(echo "$rows $start $done_at" | awk '{printf "%d", $1 / ($3 - $2)}') rows/s"
}

mkdir -p "$work"
"$mode"
