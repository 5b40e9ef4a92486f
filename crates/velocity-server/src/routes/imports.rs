//! Imports over HTTP: upload (multipart, streamed to a spool file so memory stays flat), the
//! detected layout and proposed mapping, mapping overrides, a dry-run preview, commit and undo
//! as background jobs, and the per-row report with a downloadable error file.

use crate::error::ApiError;
use crate::extract::{parse_path_id, Access, ApiJson};
use crate::state::AppState;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;
use velocity_domain::{ObjectKind, ValidationErrors, WorkspaceId};
use velocity_import::mapping::{PlanChanges, IMPORTABLE};
use velocity_store::imports::{Import, Preview, ReviewDecision};

/// The uploaded file, spooled to disk so memory stays flat however large it is.
struct Spooled {
    path: std::path::PathBuf,
    file_name: String,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn spool(
    mut field: axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<Spooled, ApiError> {
    let spooled = Spooled {
        path: std::env::temp_dir().join(format!("velocity-upload-{}", Uuid::new_v4())),
        file_name: field.file_name().unwrap_or("upload.csv").to_string(),
    };
    let mut out = tokio::fs::File::create(&spooled.path)
        .await
        .map_err(ApiError::internal)?;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
        out.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    out.flush().await.map_err(ApiError::internal)?;
    Ok(spooled)
}

fn multipart_error(error: axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit }
    } else {
        ApiError::BadRequest(format!(
            "the upload is not valid multipart form data: {}",
            error.body_text()
        ))
    }
}

fn import_object(text: &str) -> Result<ObjectKind, ApiError> {
    ObjectKind::from_plural(text)
        .filter(|kind| IMPORTABLE.contains(kind))
        .ok_or_else(|| ApiError::validation("object", format!("`{text}` cannot be imported; use contacts, accounts, deals, activities or products")))
}

/// `POST /imports`: multipart `file` and `object`.
pub async fn upload(
    State(state): State<AppState>,
    access: Access,
    mut form: Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    access.require_write()?;
    let limit = state.import_limit;
    let mut object = None;
    let mut spooled = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        match field.name() {
            Some("object") => {
                object = Some(field.text().await.map_err(|e| multipart_error(e, limit))?)
            }
            Some("file") => spooled = Some(spool(field, limit).await?),
            _ => {}
        }
    }
    let object = import_object(object.as_deref().ok_or_else(|| {
        ApiError::validation(
            "object",
            "send the object to import as a form field `object`",
        )
    })?)?;
    let spooled = spooled
        .ok_or_else(|| ApiError::validation("file", "send the CSV as a form field `file`"))?;
    let import = state
        .db
        .import_file(
            access.workspace,
            &access.caller.actor().id.unwrap_or_default(),
            object,
            &spooled.path,
            &spooled.file_name,
        )
        .await?;
    state.hub.notify(access.workspace);
    Ok((
        StatusCode::CREATED,
        Json(describe(&state, access.workspace, import).await?),
    ))
}

/// An import with the first rows of its file, for showing what was detected.
async fn describe(
    state: &AppState,
    workspace: WorkspaceId,
    import: velocity_store::imports::Import,
) -> Result<Value, ApiError> {
    let sample = state
        .db
        .import_rows(workspace, &import.id, None, 0, 10)
        .await?;
    let mut value = serde_json::to_value(&import).map_err(ApiError::internal)?;
    value["sample"] = json!(sample.into_iter().map(|r| r.values).collect::<Vec<_>>());
    Ok(value)
}

fn import_id(raw: &str) -> Result<String, ApiError> {
    parse_path_id::<Uuid>(raw, "import").map(|id| id.to_string())
}

pub async fn list(State(state): State<AppState>, access: Access) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"items": state.db.imports(access.workspace).await?}),
    ))
}

pub async fn get(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let import = state.db.import(access.workspace, &import_id(&id)?).await?;
    Ok(Json(describe(&state, access.workspace, import).await?))
}

pub async fn set_mapping(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
    ApiJson(changes): ApiJson<PlanChanges>,
) -> Result<Json<Value>, ApiError> {
    access.require_write()?;
    let id = import_id(&id)?;
    let import = state.db.import(access.workspace, &id).await?;
    let mut plan = import.parsed_plan()?;
    if let Err(problems) = plan.apply(changes, import.object_kind()?, &import.headers()) {
        let mut errors = ValidationErrors::default();
        for (field, message) in problems {
            errors.push(field, message);
        }
        return Err(ApiError::Validation(errors));
    }
    state
        .db
        .set_import_plan(access.workspace, &id, &plan)
        .await?;
    let import = state.db.import(access.workspace, &id).await?;
    Ok(Json(describe(&state, access.workspace, import).await?))
}

pub async fn preview(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<Json<Preview>, ApiError> {
    let preview = state
        .db
        .preview_import(access.workspace, &import_id(&id)?)
        .await?;
    Ok(Json(preview))
}

/// A job an import runs in the background.
#[derive(Clone, Copy)]
pub enum Job {
    Commit,
    Undo,
}

/// Runs a commit or an undo in the background, telling the feed when it ends.
pub fn spawn_job(state: AppState, workspace: WorkspaceId, id: String, job: Job) {
    tokio::spawn(async move {
        let result = match job {
            Job::Commit => state.db.run_import(workspace, &id).await,
            Job::Undo => state.db.run_undo(workspace, &id).await,
        };
        if let Err(error) = result {
            tracing::warn!(%error, import = %id, "import job failed");
        }
        state.hub.notify(workspace);
    });
}

/// Moves the import into the job's status (a conflict if it cannot start) and starts it.
async fn start(
    state: AppState,
    access: Access,
    id: &str,
    job: Job,
) -> Result<(StatusCode, Json<Import>), ApiError> {
    access.require_write()?;
    let id = import_id(id)?;
    match job {
        Job::Commit => state.db.begin_import_commit(access.workspace, &id).await?,
        Job::Undo => state.db.begin_import_undo(access.workspace, &id).await?,
    }
    spawn_job(state.clone(), access.workspace, id.clone(), job);
    let import = state.db.import(access.workspace, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(import)))
}

pub async fn commit(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Import>), ApiError> {
    start(state, access, &id, Job::Commit).await
}

pub async fn undo(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Import>), ApiError> {
    start(state, access, &id, Job::Undo).await
}

#[derive(Deserialize)]
pub struct RowsQuery {
    outcome: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

const OUTCOMES: [&str; 8] = [
    "created", "updated", "merged", "skipped", "error", "undone", "conflict", "review",
];

pub async fn rows(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<RowsQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = import_id(&id)?;
    if let Some(outcome) = query.outcome.as_deref().filter(|o| !OUTCOMES.contains(o)) {
        return Err(ApiError::validation(
            "outcome",
            format!("`{outcome}` is not one of {}", OUTCOMES.join(", ")),
        ));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 1000"));
    }
    state.db.import(access.workspace, &id).await?;
    let items = state
        .db
        .import_rows(
            access.workspace,
            &id,
            query.outcome.as_deref(),
            query.after.unwrap_or(0),
            limit,
        )
        .await?;
    let next = (items.len() as i64 == limit)
        .then(|| items.last().map(|r| r.row))
        .flatten();
    Ok(Json(json!({"items": items, "next_after": next})))
}

/// A download name derived from the uploaded file's name.
fn attachment(prefix: &str, file_name: &str) -> String {
    format!(
        "attachment; filename=\"{prefix}{}\"",
        file_name.replace(['"', '\\', '\r', '\n'], "")
    )
}

/// `GET …/file`: the file exactly as it was uploaded, streamed from its stored chunks.
pub async fn original_file(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = import_id(&id)?;
    let import = state.db.import(access.workspace, &id).await?;
    let workspace = access.workspace;
    let chunks = futures_util::stream::unfold(Some(0), move |seq| {
        let (state, id) = (state.clone(), id.clone());
        async move {
            let seq = seq?;
            match state.db.import_chunk(workspace, &id, seq).await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(seq + 1))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv".to_string()),
            (header::CONTENT_LENGTH, import.size_bytes.to_string()),
            (
                header::CONTENT_DISPOSITION,
                attachment("", &import.file_name),
            ),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}

/// `GET …/errors.csv`: the failed rows with the file's own columns plus `error`, ready to fix
/// and upload again.
pub async fn errors_csv(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = import_id(&id)?;
    let import = state.db.import(access.workspace, &id).await?;
    let mut body = Vec::new();
    state
        .db
        .write_import_errors(access.workspace, &id, &mut body)
        .await?;
    let name = attachment(
        "errors-",
        &format!("{}.csv", import.file_name.trim_end_matches(".csv")),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct PageQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

/// `GET …/review`: rows that probably duplicate an existing record, with the candidate.
pub async fn review(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let id = import_id(&id)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 500"));
    }
    let items = state
        .db
        .review_items(access.workspace, &id, query.after.unwrap_or(0), limit)
        .await?;
    let next = (items.len() as i64 == limit)
        .then(|| items.last().map(|r| r.row))
        .flatten();
    Ok(Json(json!({"items": items, "next_after": next})))
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Merge,
    Create,
    Skip,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    decision: Verdict,
    /// For `merge`: another record than the proposed candidate.
    record_id: Option<String>,
}

/// `POST …/review/{row}`: merge, create or skip one row under review.
pub async fn decide(
    State(state): State<AppState>,
    access: Access,
    Path((_, id, row)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<Value>, ApiError> {
    access.require_write()?;
    let id = import_id(&id)?;
    let row: i64 = row
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no import row `{row}`")))?;
    let decision = match (body.decision, body.record_id) {
        (Verdict::Merge, into) => {
            let into = into
                .map(|raw| {
                    raw.parse::<velocity_domain::RecordId>()
                        .map(|r| r.to_string())
                        .map_err(|_| {
                            ApiError::validation("record_id", format!("`{raw}` is not a record id"))
                        })
                })
                .transpose()?;
            ReviewDecision::Merge(into)
        }
        (_, Some(_)) => {
            return Err(ApiError::validation(
                "record_id",
                "only a merge names a record",
            ))
        }
        (Verdict::Create, None) => ReviewDecision::Create,
        (Verdict::Skip, None) => ReviewDecision::Skip,
    };
    let (outcome, record_id) = state
        .db
        .decide_review(access.workspace, &id, row, decision)
        .await?;
    state.hub.notify(access.workspace);
    Ok(Json(
        json!({"row": row, "outcome": outcome, "record_id": record_id}),
    ))
}
