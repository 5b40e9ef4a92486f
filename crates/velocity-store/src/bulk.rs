//! Multi-row INSERT and UPDATE: many rows per statement and a fixed chunk size, so a batch of
//! thousands of records costs a few dozen statements (each prepared once per connection)
//! instead of one round trip per row.

use crate::error::StoreError;
use crate::records::sql::{bind_json, SqlKind};
use serde_json::Value;
use sqlx::AnyConnection;

/// One value to insert, with the SQL type to bind it as.
pub(crate) type Cell = (SqlKind, Value);

/// Parameters per statement, well under both databases' limits (SQLite 32766, PostgreSQL
/// 65535) so each statement stays a modest size.
const MAX_PARAMETERS: usize = 4_000;
const MAX_ROWS: usize = 200;

/// Inserts `rows` (each holding one cell per column, in order) into `table`.
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_statement = (MAX_PARAMETERS / columns.len()).clamp(1, MAX_ROWS);
    // The SQLite driver asks for every parameter's name, and SQLite finds a name by scanning
    // all of them: with `$n` a statement of n parameters costs n², which dominated bulk
    // inserts. Anonymous `?` parameters have no names to scan. PostgreSQL only knows `$n`.
    let numbered = conn.backend_name() != "SQLite";
    for chunk in rows.chunks(per_statement) {
        let statement = statement(table, columns, chunk.len(), numbered);
        let mut query = sqlx::query(&statement);
        for row in chunk {
            for (kind, value) in row {
                query = bind_json(query, *kind, value);
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Updates rows of `table` found by `keys` (the first cells of each row) with the remaining
/// cells for `columns`: `WITH v (…) AS (VALUES …) UPDATE table SET … FROM v WHERE keys match`,
/// which both databases run as one statement per chunk.
pub(crate) async fn update_rows(
    conn: &mut AnyConnection,
    table: &str,
    keys: &[&str],
    columns: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let all: Vec<&str> = keys.iter().chain(columns).copied().collect();
    let per_statement = (MAX_PARAMETERS / all.len()).clamp(1, MAX_ROWS);
    let numbered = conn.backend_name() != "SQLite";
    let set = columns
        .iter()
        .map(|c| format!("{c} = v.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let matching = keys
        .iter()
        .map(|k| format!("{table}.{k} = v.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    for chunk in rows.chunks(per_statement) {
        let statement = format!(
            "WITH v ({}) AS (VALUES {}) UPDATE {table} SET {set} FROM v WHERE {matching}",
            all.join(", "),
            placeholders(all.len(), chunk.len(), numbered)
        );
        let mut query = sqlx::query(&statement);
        for row in chunk {
            for (kind, value) in row {
                query = bind_json(query, *kind, value);
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn statement(table: &str, columns: &[&str], rows: usize, numbered: bool) -> String {
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        placeholders(columns.len(), rows, numbered)
    )
}

/// `($1, $2), ($3, $4)` (or `(?, ?), (?, ?)`) for `rows` rows of `width` values.
fn placeholders(width: usize, rows: usize, numbered: bool) -> String {
    let mut sql = String::new();
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push_str(&format!("${}", row * width + column + 1));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// A text cell.
pub(crate) fn text(value: impl Into<String>) -> Cell {
    (SqlKind::Text, Value::String(value.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_across_rows() {
        assert_eq!(
            statement("t", &["a", "b"], 2, true),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            statement("t", &["a"], 2, false),
            "INSERT INTO t (a) VALUES (?), (?)"
        );
    }
}
