//! Velocity's import engine, free of I/O beyond the reader it is handed: it detects how a file
//! is written ([`sniff`]), proposes where each column goes ([`mapping`]), turns cells into field
//! values ([`normalise`], [`dates`], [`phone`], [`values`] for enumerations) and prepares each
//! row for the store ([`rows`]). The store and the server drive it; the CLI and the web app
//! drive the server.

pub mod dates;
pub mod dedupe;
pub mod mapping;
pub mod normalise;
pub mod phone;
pub mod rows;
pub mod sniff;
pub mod values;

pub use dates::DayOrder;
pub use dedupe::{duplicate_pairs, profile_of, Index, Profile, ScoredPair, Trait};
pub use mapping::{ColumnMapping, ImportMode, Plan, PlanChanges, Target};
pub use normalise::Context;
pub use rows::{prepare, CellError, Column, PreparedRow};
pub use sniff::{EncodingProbe, Layout, RawRow, Rows, TextEncoding};
pub use values::ValueMapping;

/// Why a file cannot be read at all (problems of single rows are reported on the row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not text (it looks like a binary file such as a spreadsheet or an image); export it as CSV")]
    Binary,
    #[error("{0}")]
    Encoding(String),
}
