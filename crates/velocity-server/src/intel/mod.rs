//! Pipeline intelligence in the server: it feeds `velocity-intel` with the workspace's history
//! from the store and keeps what it learns. [`learn`] turns every deal's history into stage
//! win records, close-date delays, team norms and (with [`training`]) the win model;
//! [`score`] gives one deal its health and win probability; [`forecast`] simulates revenue;
//! [`accuracy`] scores past forecasts against what closed and [`replay`] rebuilds the forecasts
//! of past days from the event log to score them too; [`insights`] runs the insight rules;
//! [`worker`] keeps all of it fresh in the background, after changes (debounced) and nightly.

pub mod accuracy;
pub mod forecast;
pub mod inputs;
pub mod insights;
pub mod learn;
pub mod replay;
pub mod score;
pub mod training;
pub mod worker;

use velocity_domain::values::now_timestamp;

/// Today and now as days since the Unix epoch.
pub fn now_days() -> f64 {
    velocity_store::intel::timestamp_days(&now_timestamp()).unwrap_or(0.0)
}
