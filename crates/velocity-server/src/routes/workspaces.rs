//! The caller's profile, workspaces, members and API keys.

use crate::auth::{hash_secret, new_api_key};
use crate::error::ApiError;
use crate::extract::{parse_path_id, Access, ApiJson, Caller};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use velocity_domain::{ApiKeyId, Role, UserId};

#[derive(Deserialize)]
pub struct NameRequest {
    name: String,
}

#[derive(Deserialize)]
pub struct NewMember {
    email: String,
    role: String,
}

#[derive(Deserialize)]
pub struct RoleChange {
    role: String,
}

#[derive(Deserialize)]
pub struct NewApiKey {
    name: String,
    role: String,
}

fn parse_role(text: &str) -> Result<Role, ApiError> {
    text.parse()
        .map_err(|message: String| ApiError::validation("role", message))
}

fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::validation(
            "name",
            "is required (at most 200 characters)",
        ));
    }
    Ok(name.to_string())
}

pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let user = state.db.user(caller.user()?).await?;
    let workspaces = state.db.workspaces_of(user.id).await?;
    Ok(Json(json!({"user": user, "workspaces": workspaces})))
}

pub async fn create_workspace(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NameRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let workspace = state
        .db
        .create_workspace(&checked_name(&body.name)?, caller.user()?)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": workspace.id, "name": workspace.name, "role": Role::Owner})),
    ))
}

pub async fn members(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"items": state.db.members(access.workspace).await?}),
    ))
}

pub async fn add_member(
    State(state): State<AppState>,
    access: Access,
    ApiJson(body): ApiJson<NewMember>,
) -> Result<impl IntoResponse, ApiError> {
    access.require_admin()?;
    let role = parse_role(&body.role)?;
    if !access.role.can_manage(role) {
        return Err(ApiError::Forbidden(
            "only owners can make someone an owner".into(),
        ));
    }
    let email = body.email.trim().to_lowercase();
    let member = state
        .db
        .add_member(&access.write_context(), &email, role)
        .await?;
    state.forget_roles(access.workspace);
    state.hub.notify(access.workspace);
    Ok((StatusCode::CREATED, Json(member)))
}

#[derive(Deserialize)]
pub struct MemberPath {
    user_id: String,
}

/// The member named by the path, if the caller administers the workspace. Whether the caller
/// may manage that member's current role is checked by the store, inside the change.
fn managed_member(access: &Access, raw: &str) -> Result<UserId, ApiError> {
    access.require_admin()?;
    parse_path_id(raw, "member")
}

pub async fn update_member(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<MemberPath>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<Json<Value>, ApiError> {
    let user = managed_member(&access, &path.user_id)?;
    let role = parse_role(&body.role)?;
    if !access.role.can_manage(role) {
        return Err(ApiError::Forbidden(
            "only owners can make someone an owner".into(),
        ));
    }
    state
        .db
        .change_member(&access.write_context(), access.role, user, Some(role))
        .await?;
    state.forget_roles(access.workspace);
    state.hub.notify(access.workspace);
    Ok(Json(json!({"user_id": user, "role": role})))
}

pub async fn remove_member(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<MemberPath>,
) -> Result<StatusCode, ApiError> {
    let user = managed_member(&access, &path.user_id)?;
    state
        .db
        .change_member(&access.write_context(), access.role, user, None)
        .await?;
    state.forget_roles(access.workspace);
    state.hub.notify(access.workspace);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn api_keys(
    State(state): State<AppState>,
    access: Access,
) -> Result<Json<Value>, ApiError> {
    access.require_admin()?;
    Ok(Json(
        json!({"items": state.db.api_keys(access.workspace).await?}),
    ))
}

pub async fn create_api_key(
    State(state): State<AppState>,
    access: Access,
    ApiJson(body): ApiJson<NewApiKey>,
) -> Result<impl IntoResponse, ApiError> {
    access.require_admin()?;
    let creator = access.caller.user()?;
    let name = checked_name(&body.name)?;
    let role = parse_role(&body.role)?;
    if !access.role.can_manage(role) {
        return Err(ApiError::Forbidden(
            "only owners can create owner keys".into(),
        ));
    }
    let key = new_api_key();
    let prefix: String = key.chars().take(10).collect();
    let stored = state
        .db
        .create_api_key(
            &access.write_context(),
            &name,
            role,
            &hash_secret(&key),
            &prefix,
            &creator.to_string(),
        )
        .await?;
    state.hub.notify(access.workspace);
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": stored.id, "key": key, "name": stored.name, "role": stored.role,
                    "prefix": stored.prefix, "created_at": stored.created_at}),
        ),
    ))
}

#[derive(Deserialize)]
pub struct KeyPath {
    key_id: String,
}

pub async fn revoke_api_key(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<KeyPath>,
) -> Result<StatusCode, ApiError> {
    access.require_admin()?;
    let id: ApiKeyId = parse_path_id(&path.key_id, "API key")?;
    state.db.revoke_api_key(&access.write_context(), id).await?;
    state.forget_api_keys(access.workspace);
    state.hub.notify(access.workspace);
    Ok(StatusCode::NO_CONTENT)
}
