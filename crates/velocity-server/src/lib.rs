//! Velocity's HTTP API: an axum application with token and API-key auth, a tenancy extractor
//! that proves membership and role once, one routes module per resource, the OpenAPI document
//! the live event feed, the pipeline-intelligence worker and the web app's files. [`Application`] builds it on any port, which is how the binary and
//! the tests start the same server.

mod app;
pub mod auth;
mod config;
mod error;
mod extract;
mod hub;
mod intel;
mod metrics;
mod openapi;
mod routes;
mod state;
mod web;

pub use app::{Application, StartupError};
pub use config::Config;
pub use error::ApiError;
pub use intel::accuracy::{accuracy as forecast_accuracy, Accuracy, TimeframeAccuracy};
pub use intel::forecast::TIMEFRAMES as FORECAST_TIMEFRAMES;
pub use intel::replay::{replay as replay_forecasts, Replay, ReplayRequest};
pub use openapi::document as openapi_document;
