//! Server configuration, built by the CLI from flags and `VELOCITY_…` variables, or in code by
//! tests. Secrets never appear in `Debug` output.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;
use velocity_store::DbConfig;

#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database: DbConfig,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Largest accepted import file, in bytes.
    pub import_limit: usize,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Signing key for access tokens; when absent, one is generated once and kept in the
    /// database so every node of a cluster shares it.
    pub token_secret: Option<String>,
    /// Failed logins allowed per email, and per client address, within `login_window`.
    pub login_failures_per_email: u32,
    pub login_failures_per_address: u32,
    pub login_window: Duration,
    /// How long a workspace must be quiet after a change before its scores are refreshed.
    pub intel_debounce: Duration,
    /// Workspaces with at least this many open deals in a forecast's reach keep them in memory
    /// between forecasts (see `intel/inputs.rs`).
    pub forecast_cache_from: usize,
}

impl Config {
    pub fn new(listen: SocketAddr, database_url: impl Into<String>) -> Config {
        Config {
            listen,
            database: DbConfig::new(database_url),
            body_limit: 1024 * 1024,
            import_limit: 512 * 1024 * 1024,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            token_secret: None,
            login_failures_per_email: 5,
            login_failures_per_address: 20,
            login_window: Duration::from_secs(15 * 60),
            intel_debounce: Duration::from_secs(30),
            forecast_cache_from: 10_000,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let database = match self.database.url.split_once('@') {
            Some((_, host)) => format!("…@{host}"),
            None => self.database.url.clone(),
        };
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database", &database)
            .field("body_limit", &self.body_limit)
            .field("import_limit", &self.import_limit)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field(
                "token_secret",
                &self.token_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}
