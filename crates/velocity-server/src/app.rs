//! Building and running the server. `Application::build` connects, migrates, binds (port 0
//! picks a free port, which is how tests start many servers side by side) and returns before
//! serving, so the caller learns the port first.

use crate::auth::{LoginLimiter, TokenKeys, TtlCache};
use crate::config::Config;
use crate::hub::Hub;
use crate::intel::inputs::ForecastInputs;
use crate::state::{AppState, Shared, AUTH_CACHE_TTL};
use crate::{intel, metrics, routes};
use axum::http::{HeaderName, Request};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use velocity_store::{Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Db,
    state: AppState,
    intel_debounce: std::time::Duration,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartupError> {
        let db = Db::connect_and_migrate(&config.database).await?;
        let secret = match &config.token_secret {
            Some(secret) => secret.clone(),
            None => db.setting_or_init("token_secret", random_secret).await?,
        };
        let state = AppState::new(Shared {
            db: db.clone(),
            keys: TokenKeys::new(secret.as_bytes(), config.access_token_ttl),
            refresh_ttl: config.refresh_token_ttl,
            limiter: LoginLimiter::new(
                config.login_window,
                config.login_failures_per_email,
                config.login_failures_per_address,
            ),
            hub: Hub::new(),
            metrics: metrics::handle(),
            body_limit: config.body_limit,
            import_limit: config.import_limit,
            roles: TtlCache::new(AUTH_CACHE_TTL),
            api_keys: TtlCache::new(AUTH_CACHE_TTL),
            forecast_inputs: ForecastInputs::new(config.forecast_cache_from),
        });
        routes::resume_imports(&state).await?;
        let router = routes::router(state.clone(), config.body_limit, config.import_limit)
            .layer(axum::middleware::from_fn(metrics::record))
            .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let route = request
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map_or(request.uri().path(), |p| p.as_str());
                let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                tracing::info_span!("request", method = %request.method(), route, request_id = id)
            }))
            .layer(CatchPanicLayer::new())
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartupError::Bind {
                    address: config.listen,
                    source,
                })?;
        Ok(Application {
            listener,
            router,
            db,
            state,
            intel_debounce: config.intel_debounce,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let maintenance = tokio::spawn(keep_statistics_fresh(self.db.clone()));
        let intelligence =
            tokio::spawn(intel::worker::run(self.state.clone(), self.intel_debounce));
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        maintenance.abort();
        intelligence.abort();
        self.db.close().await;
        Ok(())
    }
}

/// Refreshes planner statistics every half hour, so query plans follow the data as it grows.
async fn keep_statistics_fresh(db: Db) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30 * 60));
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(error) = db.optimize().await {
            tracing::warn!(%error, "refreshing planner statistics failed");
        }
    }
}

fn random_secret() -> String {
    let mut bytes = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
