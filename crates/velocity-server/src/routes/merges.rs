//! Merging duplicate contacts or accounts into a survivor, reading a merge back, and undoing it.

use crate::error::ApiError;
use crate::extract::{parse_path_id, Access, ApiJson, IfMatch};
use crate::routes::records::RecordPath;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use uuid::Uuid;
use velocity_domain::{RecordId, ValidationErrors};
use velocity_store::duplicates::DEDUPLICATED;
use velocity_store::merges::{Merge, MergeResult};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    other_ids: Vec<String>,
}

/// `POST /{contacts|accounts}/{id}/merge` `{"other_ids":[…]}`; `If-Match` guards the survivor.
pub async fn merge(
    State(state): State<AppState>,
    access: Access,
    Path(path): Path<RecordPath>,
    IfMatch(if_match): IfMatch,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<MergeResult>, ApiError> {
    let (kind, survivor) = path.parse()?;
    if !DEDUPLICATED.contains(&kind) {
        return Err(ApiError::NotFound(format!(
            "contacts and accounts can be merged, not {}",
            kind.plural()
        )));
    }
    access.require_write()?;
    let mut errors = ValidationErrors::default();
    for (index, id) in body.other_ids.iter().enumerate() {
        if id.parse::<RecordId>().is_err() {
            errors.push(
                format!("other_ids[{index}]"),
                format!("`{id}` is not a record id"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let result = state
        .db
        .merge_records(
            &access.write_context(),
            kind,
            &survivor,
            &body.other_ids,
            if_match,
        )
        .await?;
    state.hub.notify(access.workspace);
    Ok(Json(result))
}

fn merge_id(raw: &str) -> Result<String, ApiError> {
    parse_path_id::<Uuid>(raw, "merge").map(|id| id.to_string())
}

pub async fn get(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Merge>, ApiError> {
    Ok(Json(
        state.db.merge(access.workspace, &merge_id(&id)?).await?,
    ))
}

/// `POST /merges/{id}/undo`: the merged records return, the survivor gets its earlier values.
pub async fn undo(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<MergeResult>, ApiError> {
    access.require_write()?;
    let result = state
        .db
        .undo_merge(&access.write_context(), &merge_id(&id)?)
        .await?;
    state.hub.notify(access.workspace);
    Ok(Json(result))
}
