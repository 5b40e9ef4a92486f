//! API tests: every one runs against the real server, once on SQLite and once on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod bad_input;
mod bulk_load;
mod concurrency;
mod duplicates;
mod events;
mod forecast_inputs;
mod history;
mod imports;
mod intelligence;
mod lists;
mod records;
mod service;
mod tenancy;
mod workspaces;
