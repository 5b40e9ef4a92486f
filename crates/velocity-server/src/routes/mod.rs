//! The route table: service endpoints, auth, and everything nested under one workspace.

mod auth;
mod events;
mod imports;
mod intel;
mod merges;
mod records;
mod service;
mod workspaces;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put};
use axum::Router;

/// Picks up imports a crash or restart interrupted (committing or undoing).
pub async fn resume_imports(state: &AppState) -> Result<(), velocity_store::StoreError> {
    for (workspace, id, status) in state.db.interrupted_imports().await? {
        tracing::info!(import = %id, %status, "resuming an interrupted import");
        let job = if status == "undoing" {
            imports::Job::Undo
        } else {
            imports::Job::Commit
        };
        imports::spawn_job(state.clone(), workspace, id, job);
    }
    Ok(())
}

pub fn router(state: AppState, body_limit: usize, import_limit: usize) -> Router {
    let workspace = Router::new()
        .route(
            "/imports",
            get(imports::list)
                .post(imports::upload)
                .layer(DefaultBodyLimit::max(import_limit)),
        )
        .route("/imports/{id}", get(imports::get))
        .route("/imports/{id}/mapping", put(imports::set_mapping))
        .route("/imports/{id}/preview", post(imports::preview))
        .route("/imports/{id}/commit", post(imports::commit))
        .route("/imports/{id}/undo", post(imports::undo))
        .route("/imports/{id}/rows", get(imports::rows))
        .route("/imports/{id}/errors.csv", get(imports::errors_csv))
        .route("/imports/{id}/file", get(imports::original_file))
        .route("/imports/{id}/review", get(imports::review))
        .route("/imports/{id}/review/{row}", post(imports::decide))
        .route(
            "/members",
            get(workspaces::members).post(workspaces::add_member),
        )
        .route(
            "/members/{user_id}",
            patch(workspaces::update_member).delete(workspaces::remove_member),
        )
        .route(
            "/api-keys",
            get(workspaces::api_keys).post(workspaces::create_api_key),
        )
        .route("/api-keys/{key_id}", delete(workspaces::revoke_api_key))
        .route("/deals/score", post(intel::rescore))
        .route("/deals/{id}/score", get(intel::score))
        .route("/forecast", get(intel::forecast))
        .route("/pipeline/summary", get(intel::pipeline_summary))
        .route(
            "/forecast/snapshots",
            get(intel::snapshots).post(intel::take_snapshots),
        )
        .route("/forecast/accuracy", get(intel::forecast_accuracy))
        .route("/insights", get(intel::insights))
        .route("/insights/generate", post(intel::generate_insights))
        .route("/insights/{id}", patch(intel::mark_insight))
        .route("/events", get(events::list))
        .route("/events/stream", get(events::stream))
        .route("/{object}", get(records::list).post(records::create))
        .route("/{object}/duplicates", get(records::duplicates))
        .route("/{object}/{id}/merge", post(merges::merge))
        .route("/merges/{id}", get(merges::get))
        .route("/merges/{id}/undo", post(merges::undo))
        .route(
            "/{object}/{id}",
            get(records::get)
                .patch(records::update)
                .delete(records::delete),
        )
        .route("/{object}/{id}/history", get(records::history))
        .route("/{object}/{id}/restore", post(records::restore))
        .route("/contacts/{id}/360", get(records::contact_360));
    Router::new()
        .route("/health", get(service::health))
        .route("/metrics", get(service::metrics))
        .route("/api/openapi.json", get(service::openapi))
        .route("/api/docs", get(service::docs))
        .route("/api/v1/auth/signup", post(auth::signup))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/me", get(workspaces::me))
        .route("/api/v1/workspaces", post(workspaces::create_workspace))
        .nest("/api/v1/workspaces/{workspace_id}", workspace)
        .fallback(crate::web::fallback)
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}
