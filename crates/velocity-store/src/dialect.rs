//! The few places where SQLite and PostgreSQL really differ, kept in one small module.

use crate::db::Backend;

/// Dialect facts the query builders need.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// SQLite sorts NULL before every value; PostgreSQL after. List queries keep each
    /// database's natural order (so indexes serve the sort) and shape cursor predicates to match.
    pub nulls_sort_first_ascending: bool,
    /// Appended to a SELECT that reads a row about to be updated. PostgreSQL needs the row
    /// lock so concurrent writers queue; SQLite's single writer makes it unnecessary.
    pub lock_for_update: &'static str,
    backend: Backend,
}

impl Dialect {
    pub fn of(backend: Backend) -> Dialect {
        match backend {
            Backend::Sqlite => Dialect {
                nulls_sort_first_ascending: true,
                lock_for_update: "",
                backend,
            },
            Backend::Postgres => Dialect {
                nulls_sort_first_ascending: false,
                lock_for_update: " FOR UPDATE",
                backend,
            },
        }
    }

    /// The dialect of the database behind `conn`.
    pub fn of_connection(conn: &sqlx::AnyConnection) -> Dialect {
        match conn.backend_name() {
            "SQLite" => Dialect::of(Backend::Sqlite),
            _ => Dialect::of(Backend::Postgres),
        }
    }

    /// A condition: `haystack` contains `needle` (both SQL expressions).
    pub fn contains(&self, haystack: &str, needle: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("instr({haystack}, {needle}) > 0"),
            Backend::Postgres => format!("strpos({haystack}, {needle}) > 0"),
        }
    }

    /// A condition: `column` is one of the strings of the JSON array bound at `param`. One
    /// statement serves lists of every length, so it is prepared once per connection: a list
    /// of n placeholders was a new statement for every n, parsed again each time (on SQLite
    /// about 40 µs per id when a bulk load checked the references of each batch). PostgreSQL
    /// reads the array once and probes the index with it (`= ANY`), as with a literal list.
    pub fn is_in_json(&self, column: &str, param: &str) -> String {
        match self.backend {
            Backend::Sqlite => {
                format!(
                    "{column} IN (SELECT j.value FROM {})",
                    self.json_strings(param)
                )
            }
            Backend::Postgres => {
                format!("{column} = ANY(ARRAY(SELECT json_array_elements_text({param}::json)))")
            }
        }
    }

    /// A table `j` with one row per string of the JSON array bound at `param`, in column
    /// `value` (see [`Dialect::is_in_json`]).
    pub fn json_strings(&self, param: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_each({param}) AS j"),
            Backend::Postgres => format!("json_array_elements_text({param}::json) AS j(value)"),
        }
    }

    /// A subquery giving the values of `column` over the rows of `from_where` as a JSON array
    /// (text), sorted, and `[]` when there are none.
    pub fn sorted_json_array(&self, column: &str, from_where: &str) -> String {
        match self.backend {
            Backend::Sqlite => {
                format!("(SELECT json_group_array({column} ORDER BY {column}) FROM {from_where})")
            }
            Backend::Postgres => format!(
                "(SELECT COALESCE(json_agg({column} ORDER BY {column})::text, '[]') FROM {from_where})"
            ),
        }
    }
}

/// Strings as the JSON array that [`Dialect::is_in_json`] reads.
pub(crate) fn json_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items = items
        .into_iter()
        .map(|item| serde_json::Value::String(item.as_ref().to_owned()));
    serde_json::Value::Array(items.collect()).to_string()
}
