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
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use uuid::Uuid;
use velocity_domain::{ObjectKind, ValidationErrors, WorkspaceId};
use velocity_import::mapping::{default_match_keys, propose, IMPORTABLE};
use velocity_import::{sniff, ColumnMapping, DayOrder, EncodingProbe, ImportMode, Plan, Rows};
use velocity_store::imports::{Import, NewImport, Preview, StagedRow};

const CHUNK: usize = 1024 * 1024;
const ROW_BATCH: usize = 2_000;
const SAMPLE_ROWS: usize = 200;

/// The uploaded file, spooled to disk while its encoding is detected and its checksum taken.
struct Spooled {
    path: std::path::PathBuf,
    file_name: String,
    size: u64,
    checksum: String,
    probe: EncodingProbe,
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
    let file_name = field.file_name().unwrap_or("upload.csv").to_string();
    let path = std::env::temp_dir().join(format!("velocity-upload-{}", Uuid::new_v4()));
    let mut spooled = Spooled {
        path,
        file_name,
        size: 0,
        checksum: String::new(),
        probe: EncodingProbe::default(),
    };
    let mut out = std::fs::File::create(&spooled.path).map_err(ApiError::internal)?;
    let mut hash = Sha256::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
        spooled.size += chunk.len() as u64;
        hash.update(&chunk);
        spooled.probe.feed(&chunk);
        out.write_all(&chunk).map_err(ApiError::internal)?;
    }
    spooled.checksum = hex(&hash.finalize());
    Ok(spooled)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    let encoding = spooled
        .probe
        .finish()
        .map_err(|e| ApiError::validation("file", e.to_string()))?;
    let mut head = String::new();
    encoding
        .decode(spooled.probe.head())
        .read_to_string(&mut head)
        .map_err(|e| ApiError::validation("file", e.to_string()))?;
    let layout =
        sniff::sniff_layout(&head).map_err(|e| ApiError::validation("file", e.to_string()))?;
    let sample: Vec<Vec<String>> = Rows::new(head.as_bytes(), &layout)
        .filter_map(Result::ok)
        .take(SAMPLE_ROWS)
        .map(|r| r.values)
        .collect();
    if sample.is_empty() {
        return Err(ApiError::validation(
            "file",
            "the file has a header row but no data rows",
        ));
    }
    let plan = Plan {
        columns: propose(object, &layout.headers, &sample),
        mode: ImportMode::CreateAndUpdate,
        match_keys: default_match_keys(object),
        day_order: DayOrder::detect(
            sample.iter().flatten().map(String::as_str),
            DayOrder::MonthFirst,
        ),
        default_country: "US".into(),
    };
    let new = NewImport {
        object,
        file_name: spooled.file_name.clone(),
        encoding: encoding.name().into(),
        layout: layout.clone(),
        plan,
    };
    let id = state
        .db
        .create_import(
            access.workspace,
            &access.caller.actor().id.unwrap_or_default(),
            &new,
        )
        .await?;
    match store_file(&state, access.workspace, &id, &spooled, encoding, &layout).await {
        Ok(()) => {
            let import = state.db.import(access.workspace, &id).await?;
            state.hub.notify(access.workspace);
            Ok((
                StatusCode::CREATED,
                Json(describe(&state, access.workspace, import).await?),
            ))
        }
        Err(error) => {
            state.db.discard_import(access.workspace, &id).await?;
            Err(error)
        }
    }
}

/// Stores the raw file in chunks and every raw row, reading the spool file on a blocking thread.
async fn store_file(
    state: &AppState,
    workspace: WorkspaceId,
    id: &str,
    spooled: &Spooled,
    encoding: velocity_import::TextEncoding,
    layout: &velocity_import::Layout,
) -> Result<(), ApiError> {
    let mut raw = std::fs::File::open(&spooled.path).map_err(ApiError::internal)?;
    let mut seq = 0;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        (&mut raw)
            .take(CHUNK as u64)
            .read_to_end(&mut chunk)
            .map_err(ApiError::internal)?;
        if chunk.is_empty() {
            break;
        }
        state.db.add_import_chunk(workspace, id, seq, chunk).await?;
        seq += 1;
    }
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Vec<StagedRow>, String>>(2);
    let path = spooled.path.clone();
    let layout = layout.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let Ok(file) = std::fs::File::open(path) else {
            return;
        };
        let mut batch = Vec::with_capacity(ROW_BATCH);
        for (index, row) in
            Rows::new(encoding.decode(std::io::BufReader::new(file)), &layout).enumerate()
        {
            match row {
                Ok(row) => batch.push(StagedRow {
                    row: index as i64 + 1,
                    line: row.line as i64,
                    values: row.values,
                    problem: row.problem,
                }),
                Err(error) => {
                    let _ = sender.blocking_send(Err(error.to_string()));
                    return;
                }
            }
            if batch.len() == ROW_BATCH
                && sender
                    .blocking_send(Ok(std::mem::take(&mut batch)))
                    .is_err()
            {
                return;
            }
        }
        let _ = sender.blocking_send(Ok(batch));
    });
    let mut rows = 0;
    while let Some(batch) = receiver.recv().await {
        let batch = batch.map_err(|message| ApiError::validation("file", message))?;
        rows += batch.len() as i64;
        state.db.add_import_rows(workspace, id, &batch).await?;
    }
    reader.await.map_err(ApiError::internal)?;
    state
        .db
        .finish_upload(workspace, id, &spooled.checksum, spooled.size as i64, rows)
        .await?;
    Ok(())
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

/// The body of `PUT …/mapping`; what is left out keeps its current value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingBody {
    columns: Option<Vec<ColumnChoice>>,
    mode: Option<ImportMode>,
    match_keys: Option<Vec<String>>,
    day_order: Option<DayOrder>,
    default_country: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnChoice {
    column: String,
    target: String,
}

pub async fn set_mapping(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<MappingBody>,
) -> Result<Json<Value>, ApiError> {
    access.require_write()?;
    let id = import_id(&id)?;
    let import = state.db.import(access.workspace, &id).await?;
    let mut plan = import.parsed_plan()?;
    if let Some(choices) = body.columns {
        for choice in choices {
            let chosen = ColumnMapping {
                column: choice.column.clone(),
                target: choice.target,
                confidence: 1.0,
                reason: "chosen by a person".into(),
            };
            match plan.columns.iter_mut().find(|c| c.column == choice.column) {
                Some(existing) => *existing = chosen,
                None => plan.columns.push(chosen),
            }
        }
    }
    plan.mode = body.mode.unwrap_or(plan.mode);
    plan.match_keys = body.match_keys.unwrap_or(plan.match_keys);
    plan.day_order = body.day_order.unwrap_or(plan.day_order);
    plan.default_country = body
        .default_country
        .map(|c| c.to_uppercase())
        .unwrap_or(plan.default_country);
    if let Err(problems) = plan.resolve(import.object_kind()?, &import.headers()) {
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

const OUTCOMES: [&str; 7] = [
    "created", "updated", "merged", "skipped", "error", "undone", "conflict",
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

/// `GET …/errors.csv`: the failed rows with the file's own columns plus `error`, ready to fix
/// and upload again.
pub async fn errors_csv(
    State(state): State<AppState>,
    access: Access,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = import_id(&id)?;
    let import = state.db.import(access.workspace, &id).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = import.headers();
    header.push("error".into());
    out.write_record(&header).map_err(ApiError::internal)?;
    let mut after = 0;
    loop {
        let rows = state
            .db
            .import_rows(access.workspace, &id, Some("error"), after, 1000)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.row;
        for row in rows {
            let mut values = row.values;
            if values.len() < header.len() - 1 {
                values.resize(header.len() - 1, String::new());
            }
            values.push(row.message.unwrap_or_default());
            out.write_record(&values).map_err(ApiError::internal)?;
        }
    }
    let body = out.into_inner().map_err(ApiError::internal)?;
    let name = format!(
        "attachment; filename=\"errors-{}.csv\"",
        import
            .file_name
            .trim_end_matches(".csv")
            .replace(['"', '\\'], "")
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
