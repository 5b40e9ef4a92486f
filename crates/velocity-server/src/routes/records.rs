//! The client graph's REST resources. One set of handlers serves every object type; the path's
//! `{object}` picks the schema that parsing, storage and listing follow.

use crate::error::ApiError;
use crate::extract::{parse_path_id, Access, ApiJson, IfMatch};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use velocity_domain::{parse_record, Mode, ObjectKind, RecordId};
use velocity_import::dedupe::{MERGE_THRESHOLD, REVIEW_THRESHOLD};
use velocity_store::duplicates::DEDUPLICATED;
use velocity_store::records::{ContactDossier, ListParams, Page, Record, Written};

#[derive(Deserialize)]
pub struct ObjectPath {
    object: String,
}

#[derive(Deserialize)]
pub(crate) struct RecordPath {
    object: String,
    id: String,
}

fn object_kind(plural: &str) -> Result<ObjectKind, ApiError> {
    ObjectKind::from_plural(plural).ok_or_else(|| {
        let known: Vec<_> = ObjectKind::ALL.iter().map(|k| k.plural()).collect();
        ApiError::NotFound(format!(
            "no resource `{plural}`; the record types are {}",
            known.join(", ")
        ))
    })
}

impl RecordPath {
    pub(crate) fn parse(&self) -> Result<(ObjectKind, String), ApiError> {
        let kind = object_kind(&self.object)?;
        let id: RecordId = parse_path_id(&self.id, kind.name())?;
        Ok((kind, id.to_string()))
    }
}

/// A record response with its version as the ETag.
fn with_etag(status: StatusCode, record: Record) -> Response {
    let version = record
        .get("version")
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let mut response = (status, Json(record)).into_response();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

fn published(state: &AppState, access: &Access, written: Written) -> Record {
    if written.event.is_some() {
        state.hub.notify(access.workspace);
    }
    written.record
}

pub async fn create(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<ObjectPath>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let kind = object_kind(&path.object)?;
    access.require_write()?;
    let input = parse_record(kind, &body, Mode::Create)?;
    let written = state
        .db
        .create_record(&access.write_context(), input)
        .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        published(&state, &access, written),
    ))
}

pub async fn get(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<RecordPath>,
) -> Result<Response, ApiError> {
    let (kind, id) = path.parse()?;
    let record = state.db.get_record(access.workspace, kind, &id).await?;
    Ok(with_etag(StatusCode::OK, record))
}

pub async fn update(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<RecordPath>,
    IfMatch(if_match): IfMatch,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let (kind, id) = path.parse()?;
    access.require_write()?;
    let input = parse_record(kind, &body, Mode::Patch)?;
    let written = state
        .db
        .update_record(&access.write_context(), &id, input, if_match)
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        published(&state, &access, written),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<RecordPath>,
    IfMatch(if_match): IfMatch,
) -> Result<StatusCode, ApiError> {
    let (kind, id) = path.parse()?;
    access.require_write()?;
    let written = state
        .db
        .delete_record(&access.write_context(), kind, &id, if_match)
        .await?;
    published(&state, &access, written);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn restore(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<RecordPath>,
) -> Result<Response, ApiError> {
    let (kind, id) = path.parse()?;
    access.require_write()?;
    let written = state
        .db
        .restore_record(&access.write_context(), kind, &id)
        .await?;
    Ok(with_etag(
        StatusCode::OK,
        published(&state, &access, written),
    ))
}

pub async fn list(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<ObjectPath>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Page>, ApiError> {
    let kind = object_kind(&path.object)?;
    let mut params = ListParams::default();
    for (name, value) in query {
        match name.as_str() {
            "limit" => {
                let limit = value
                    .trim()
                    .parse()
                    .map_err(|_| ApiError::validation("limit", "must be a whole number"))?;
                params.limit = Some(limit);
            }
            "cursor" if !value.is_empty() => params.cursor = Some(value),
            "sort" if !value.is_empty() => params.sort = Some(value),
            "q" => params.q = Some(value),
            "cursor" | "sort" => {}
            _ => params.filters.push((name, value)),
        }
    }
    let page = state
        .db
        .list_records(access.workspace, kind, &params)
        .await?;
    Ok(Json(page))
}

pub async fn history(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<RecordPath>,
) -> Result<Json<Value>, ApiError> {
    let (kind, id) = path.parse()?;
    let events = state.db.entity_history(access.workspace, &id, 1000).await?;
    if events.first().is_none_or(|e| e.entity != kind.name()) {
        return Err(ApiError::NotFound(format!("{} not found", kind.name())));
    }
    Ok(Json(json!({"items": events})))
}

#[derive(Deserialize)]
pub struct ContactPath {
    id: String,
}

pub async fn contact_360(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<ContactPath>,
) -> Result<Json<ContactDossier>, ApiError> {
    let id: RecordId = parse_path_id(&path.id, "contact")?;
    let dossier = state
        .db
        .contact_dossier(access.workspace, &id.to_string())
        .await?;
    Ok(Json(dossier))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesQuery {
    min_confidence: Option<f64>,
    limit: Option<usize>,
}

/// `GET /{contacts|accounts}/duplicates`: groups of likely duplicates, strongest first.
pub async fn duplicates(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<ObjectPath>,
    Query(query): Query<DuplicatesQuery>,
) -> Result<Json<Value>, ApiError> {
    let kind = object_kind(&path.object)?;
    if !DEDUPLICATED.contains(&kind) {
        return Err(ApiError::NotFound(format!(
            "duplicates are found for contacts and accounts, not {}",
            kind.plural()
        )));
    }
    let min_confidence = query.min_confidence.unwrap_or(REVIEW_THRESHOLD);
    if !(0.0..=1.0).contains(&min_confidence) {
        return Err(ApiError::validation(
            "min_confidence",
            "must be between 0 and 1",
        ));
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 500"));
    }
    let groups = state
        .db
        .duplicate_groups(access.workspace, kind, min_confidence, limit)
        .await?;
    Ok(Json(json!({
        "min_confidence": min_confidence,
        "merge_threshold": MERGE_THRESHOLD,
        "groups": groups,
    })))
}
