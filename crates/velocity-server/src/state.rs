//! What every request handler shares: the database, token keys, the login limiter, the event
//! hub and the metrics handle.

use crate::auth::{LoginLimiter, TokenKeys, TtlCache};
use crate::hub::Hub;
use crate::intel::inputs::ForecastInputs;
use metrics_exporter_prometheus::PrometheusHandle;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use velocity_domain::{Role, UserId, WorkspaceId};
use velocity_store::api_keys::ApiKeyGrant;
use velocity_store::Db;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub db: Db,
    pub keys: TokenKeys,
    pub refresh_ttl: Duration,
    pub limiter: LoginLimiter,
    pub hub: Hub,
    pub metrics: PrometheusHandle,
    /// Largest accepted request body, in bytes (named in 413 errors).
    pub body_limit: usize,
    /// Largest accepted import file, in bytes.
    pub import_limit: usize,
    /// (workspace, user) → role; `None` caches "not a member".
    pub roles: TtlCache<(WorkspaceId, UserId), Option<Role>>,
    /// API key hash → what it grants.
    pub api_keys: TtlCache<String, Option<ApiKeyGrant>>,
    /// Large workspaces' open deals, kept for the forecast.
    pub forecast_inputs: ForecastInputs,
}

/// How long a cached role or key grant may be used before it is read again; bounds how late
/// another node's membership or key change takes effect here.
pub const AUTH_CACHE_TTL: Duration = Duration::from_secs(5);

impl Shared {
    /// Forgets cached roles in a workspace after its memberships change.
    pub fn forget_roles(&self, workspace: WorkspaceId) {
        self.roles.invalidate(|(w, _), _| *w == workspace);
    }

    /// Forgets cached key grants of a workspace after a key is revoked.
    pub fn forget_api_keys(&self, workspace: WorkspaceId) {
        self.api_keys
            .invalidate(|_, grant| grant.is_some_and(|g| g.workspace == workspace));
    }
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
