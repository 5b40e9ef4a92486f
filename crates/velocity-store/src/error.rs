//! Store errors: what went wrong in terms the API layer can map to a status without guessing.

use velocity_domain::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL `{0}` has an unknown scheme; use sqlite://PATH or postgres://…")]
    UnknownScheme(String),
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migrating the database failed: {0}")]
    Migrate(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the record is at version {current}, not the version in If-Match")]
    VersionMismatch { current: i64 },
    #[error("{0}")]
    Conflict(String),
    /// Records prepared with the workspace's stages were written after the stages changed.
    #[error(
        "the workspace's pipelines changed while the records were prepared; prepare them again"
    )]
    StagesChanged,
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the database handle has been closed")]
    Closed,
    #[error("reading or writing a file failed: {0}")]
    Io(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Reads a text column and parses it (an id, a role); a value that does not parse means the
/// stored data is corrupt.
pub(crate) fn parse_column<T>(row: &sqlx::any::AnyRow, column: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    text.parse().map_err(StoreError::corrupt)
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid(ValidationErrors::single(field, message))
    }

    /// Whether the error is a unique-constraint violation (a taken email, say).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }

    /// Whether the database was too busy to answer in time (pool exhausted, lock or deadlock
    /// timeout): worth retrying, not a fault in the request.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::PoolTimedOut) => true,
            StoreError::Database(sqlx::Error::Database(e)) => {
                // PostgreSQL deadlock / serialization failure / lock timeout; SQLite busy or locked.
                matches!(
                    e.code().as_deref(),
                    Some("40P01" | "40001" | "55P03" | "5" | "6")
                )
            }
            _ => false,
        }
    }

    /// Whether the error is a foreign-key violation.
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_foreign_key_violation())
    }
}
