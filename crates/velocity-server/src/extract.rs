//! Request extractors: a JSON body with problem+json errors, the caller's identity, the
//! workspace access check (membership and role, proven once per request) and `If-Match`.

use crate::auth::{hash_secret, API_KEY_PREFIX};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::header::{AUTHORIZATION, IF_MATCH, UPGRADE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use velocity_domain::{Role, UserId, WorkspaceId};
use velocity_store::{Actor, ActorKind};

/// A JSON body. Syntax errors and truncated bodies are 400; a body of the wrong shape is 422;
/// one over the size limit is 413. The Content-Type header is not required.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge {
                        limit: state.body_limit,
                    }
                } else {
                    ApiError::BadRequest(format!("the request body could not be read: {rejection}"))
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    use serde_json::error::Category;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        Category::Data => ApiError::validation(
            "",
            format!("the body does not have the expected shape: {e}"),
        ),
        _ => ApiError::BadRequest(format!("the body is not valid JSON: {e}")),
    })
}

/// Who is calling: a logged-in user or an API key (bound to one workspace).
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    User(UserId),
    ApiKey {
        id: velocity_domain::ApiKeyId,
        workspace: WorkspaceId,
        role: Role,
    },
}

impl Caller {
    pub fn actor(&self) -> Actor {
        match self {
            Caller::User(user) => Actor::new(ActorKind::User, user),
            Caller::ApiKey { id, .. } => Actor::new(ActorKind::ApiKey, id),
        }
    }

    /// The user behind the call; API keys act for a workspace, not a person.
    pub fn user(&self) -> Result<UserId, ApiError> {
        match self {
            Caller::User(user) => Ok(*user),
            Caller::ApiKey { .. } => Err(ApiError::Forbidden(
                "this endpoint needs a user's access token, not an API key".into(),
            )),
        }
    }
}

/// The bearer credential: the Authorization header, or `access_token` in the query string on a
/// WebSocket upgrade only (browsers cannot set headers on a WebSocket; anywhere else a token in
/// a URL would only end up in logs and browser history).
fn bearer(parts: &Parts) -> Option<String> {
    if let Some(value) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, token) = value.trim().split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    let upgrading = parts
        .headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrading {
        return None;
    }
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("access_token=").map(str::to_string))
}

/// The bearer credential of a request, kept by handlers that must re-check it later (the live
/// feed re-authenticates while its connection stays open).
pub struct BearerToken(pub String);

impl FromRequestParts<AppState> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        bearer(parts).map(BearerToken).ok_or_else(|| {
            ApiError::Unauthorized(
                "send an access token or API key as `Authorization: Bearer …`".into(),
            )
        })
    }
}

/// Who a token or key belongs to, if it is (still) valid.
async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    if token.starts_with(API_KEY_PREFIX) {
        let hash = hash_secret(token);
        let grant = state
            .api_keys
            .get_or_load(hash.clone(), state.db.api_key_by_hash(&hash))
            .await?;
        let grant = grant.ok_or_else(|| {
            ApiError::Unauthorized("the API key is not valid or has been revoked".into())
        })?;
        return Ok(Caller::ApiKey {
            id: grant.id,
            workspace: grant.workspace,
            role: grant.role,
        });
    }
    state.keys.verify(token).map(Caller::User)
}

/// Whether a credential grants access to a workspace at this moment, read from the database
/// rather than the caches: a long-lived connection must stop as soon as a removal or a
/// revocation commits, even one made by another node.
pub async fn grants_now(
    state: &AppState,
    token: &str,
    workspace: WorkspaceId,
) -> Result<bool, ApiError> {
    if token.starts_with(API_KEY_PREFIX) {
        let grant = state.db.api_key_by_hash(&hash_secret(token)).await?;
        return Ok(grant.is_some_and(|grant| grant.workspace == workspace));
    }
    match state.keys.verify(token) {
        Ok(user) => Ok(state.db.member_role(workspace, user).await?.is_some()),
        Err(_) => Ok(false),
    }
}

/// The caller's role in a workspace; a workspace they are not in is not found.
async fn role_in(
    state: &AppState,
    caller: Caller,
    workspace: WorkspaceId,
) -> Result<Role, ApiError> {
    let not_found = || ApiError::NotFound("workspace not found".into());
    match caller {
        Caller::User(user) => {
            let role = state
                .roles
                .get_or_load((workspace, user), state.db.member_role(workspace, user))
                .await?;
            role.ok_or_else(not_found)
        }
        Caller::ApiKey {
            workspace: key_workspace,
            role,
            ..
        } if key_workspace == workspace => Ok(role),
        Caller::ApiKey { .. } => Err(not_found()),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let BearerToken(token) = BearerToken::from_request_parts(parts, state).await?;
        authenticate(state, &token).await
    }
}

/// Proof that the caller may act in the workspace named by the path, and with which role.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub workspace: WorkspaceId,
    pub role: Role,
    pub caller: Caller,
}

impl Access {
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.role.can_write_records() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "viewers can read but not change records".into(),
            ))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role.can_administer() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "only owners and admins can manage members and API keys".into(),
            ))
        }
    }

    pub fn write_context(&self) -> velocity_store::WriteContext {
        velocity_store::WriteContext::new(self.workspace, self.caller.actor(), "api")
    }
}

/// Parses an id from the path; a malformed id cannot name a record, so it is a 404.
pub fn parse_path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("{what} not found: `{text}` is not a valid id")))
}

impl FromRequestParts<AppState> for Access {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let raw = params
            .iter()
            .find(|(name, _)| *name == "workspace_id")
            .map(|(_, value)| value.to_string())
            .ok_or_else(|| ApiError::Internal("route lacks a workspace_id".into()))?;
        let workspace: WorkspaceId = parse_path_id(&raw, "workspace")?;
        let role = role_in(state, caller, workspace).await?;
        Ok(Access {
            workspace,
            role,
            caller,
        })
    }
}

/// The version named by `If-Match` (`"3"`, `W/"3"` or `3`); `*` or no header means any.
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(IfMatch(None));
        }
        let bare = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
        bare.parse()
            .map(|version| IfMatch(Some(version)))
            .map_err(|_| {
                ApiError::BadRequest(format!(
                    "If-Match must hold a version from an ETag, such as \"3\"; got `{text}`"
                ))
            })
    }
}
