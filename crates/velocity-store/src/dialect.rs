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
}

impl Dialect {
    pub fn of(backend: Backend) -> Dialect {
        match backend {
            Backend::Sqlite => Dialect {
                nulls_sort_first_ascending: true,
                lock_for_update: "",
            },
            Backend::Postgres => Dialect {
                nulls_sort_first_ascending: false,
                lock_for_update: " FOR UPDATE",
            },
        }
    }
}
