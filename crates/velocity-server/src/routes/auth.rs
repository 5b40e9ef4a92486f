//! Sign-up, login, token refresh (rotating) and logout.

use crate::auth::{hash_password, hash_secret, new_refresh_token, verify_password};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;
use velocity_domain::values::{format_timestamp, parse_email};
use velocity_domain::ValidationErrors;
use velocity_store::users::{Rotation, User};
use velocity_store::workspaces::Workspace;

#[derive(Deserialize)]
pub struct SignupRequest {
    email: String,
    password: String,
    name: String,
    workspace_name: String,
}

#[derive(Deserialize)]
pub struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Deserialize)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// A hash of an unguessable password, verified when an email is unknown so that a login for
/// a missing account takes as long as one for an existing account.
const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3nO6DjrNc2bI6bYlq0mHbH1L3hv4I9G4LZ0Z8X2mA5E";

fn required_text(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(field, "is required");
    } else if value.chars().count() > max {
        errors.push(field, format!("must be at most {max} characters"));
    }
    value.to_string()
}

/// Issues an access token and a new refresh-token family for the user.
async fn session(
    state: &AppState,
    user: &User,
    workspace: Option<&Workspace>,
) -> Result<Value, ApiError> {
    let refresh_token = new_refresh_token();
    let expires_at = format_timestamp(Utc::now() + state.refresh_ttl);
    state
        .db
        .store_refresh_token(user.id, &hash_secret(&refresh_token), &expires_at)
        .await?;
    let mut response = token_response(state, user, refresh_token)?;
    response["workspace"] = json!(workspace);
    Ok(response)
}

/// The token fields every sign-up, login and refresh answers with.
fn token_response(state: &AppState, user: &User, refresh_token: String) -> Result<Value, ApiError> {
    Ok(json!({
        "access_token": state.keys.issue(user.id)?,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": state.keys.access_ttl.as_secs(),
        "user": user,
    }))
}

pub async fn signup(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let email = parse_email(&body.email).unwrap_or_else(|message| {
        errors.push("email", message);
        String::new()
    });
    let name = required_text(&mut errors, "name", &body.name, 200);
    let workspace_name = required_text(&mut errors, "workspace_name", &body.workspace_name, 200);
    if body.password.chars().count() < crate::auth::MIN_PASSWORD_LEN {
        errors.push(
            "password",
            format!(
                "must be at least {} characters",
                crate::auth::MIN_PASSWORD_LEN
            ),
        );
    }
    errors.into_result(())?;
    let password_hash = hash_password(body.password).await?;
    let (user, workspace) = state
        .db
        .create_user(&email, &name, &password_hash, Some(&workspace_name))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(session(&state, &user, workspace.as_ref()).await?),
    ))
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<Value>, ApiError> {
    let email = body.email.trim().to_lowercase();
    let address = peer.ip().to_string();
    if let Err(wait) = state.limiter.begin(&email, &address) {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait,
            detail: format!("too many failed logins; try again in {wait} seconds"),
        });
    }
    let credentials = state.db.credentials_by_email(&email).await?;
    let stored = credentials
        .as_ref()
        .map_or(DECOY_HASH, |c| c.password_hash.as_str());
    let matches = verify_password(body.password, stored.to_string()).await?;
    let Some(credentials) = credentials.filter(|_| matches) else {
        return Err(ApiError::Unauthorized("wrong email or password".into()));
    };
    state.limiter.succeeded(&email, &address);
    let workspace = state
        .db
        .workspaces_of(credentials.user.id)
        .await?
        .into_iter()
        .next()
        .map(|w| Workspace {
            id: w.id,
            name: w.name,
        });
    Ok(Json(
        session(&state, &credentials.user, workspace.as_ref()).await?,
    ))
}

pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<Value>, ApiError> {
    let successor = new_refresh_token();
    let expires_at = format_timestamp(Utc::now() + state.refresh_ttl);
    let outcome = state
        .db
        .rotate_refresh_token(
            &hash_secret(body.refresh_token.trim()),
            &hash_secret(&successor),
            &expires_at,
        )
        .await?;
    match outcome {
        Rotation::Rotated { user } => {
            let user = state.db.user(user).await?;
            Ok(Json(token_response(&state, &user, successor)?))
        }
        Rotation::Reused => Err(ApiError::Unauthorized(
            "this refresh token was already used; every session started from the same login has been signed out".into(),
        )),
        Rotation::Invalid => Err(ApiError::Unauthorized("the refresh token is not valid or has expired".into())),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .db
        .revoke_refresh_family(&hash_secret(body.refresh_token.trim()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::DECOY_HASH;
    use argon2::password_hash::PasswordHash;

    /// An unknown email must cost a full Argon2 verification, as a known one does; a decoy that
    /// failed to parse would return at once and reveal which accounts exist.
    #[test]
    fn the_decoy_hash_is_a_real_argon2id_hash() {
        let parsed = PasswordHash::new(DECOY_HASH).expect("the decoy parses");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(parsed.hash.is_some());
    }
}
