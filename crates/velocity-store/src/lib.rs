//! Velocity persistence over SQLite and PostgreSQL through one code path: every query is written
//! once in the portable SQL subset both accept (`$1` placeholders, `RETURNING`, row values), and
//! the few real differences live in [`dialect`]. Every mutation appends to the event log in the
//! same transaction.

pub mod api_keys;
mod bulk;
mod checkpoint;
mod db;
mod deferred_indexes;
pub mod dialect;
pub mod duplicates;
mod error;
pub mod events;
mod group_commit;
pub mod imports;
pub mod intel;
pub mod merges;
pub mod records;
mod search;
pub mod users;
pub mod workspaces;

pub use db::{Backend, Db, DbConfig};
pub use error::StoreError;
pub use events::{Actor, ActorKind, Event, WriteContext};
