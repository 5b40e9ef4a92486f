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

/// Deals made up for the unit tests.
#[cfg(test)]
pub(crate) mod test_deals {
    use velocity_intel::timeline::DealTimeline;
    use velocity_store::intel::facts::DealFacts;

    /// A deal with only the dates, outcome and amount set.
    pub fn deal(id: &str, created_at: f64, closed: Option<(f64, bool)>, amount: f64) -> DealFacts {
        DealFacts {
            id: id.to_owned(),
            name: String::new(),
            pipeline_id: String::new(),
            stage_id: String::new(),
            amount: Some(amount),
            close_date: None,
            owner_id: None,
            account_id: None,
            account_name: None,
            account_industry: None,
            account_employees: None,
            products: Vec::new(),
            status: String::new(),
            forecast_category: None,
            version: 1,
            timeline: DealTimeline {
                created_at,
                closed,
                ..DealTimeline::default()
            },
        }
    }
}
