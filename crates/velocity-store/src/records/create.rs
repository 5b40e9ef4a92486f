//! Creating records: one or many of one kind in a transaction, with the same rules, reference
//! checks, search terms and events either way, and the default pipeline of a new workspace.

use super::{
    blank, diff, links, merge, prepare_one, rules, sql, stage_book, Change, Record, Written,
};
use crate::bulk::{insert_rows, Cell};
use crate::error::StoreError;
use crate::events::{self, Draft, WriteContext};
use crate::{search, Db};
use serde_json::{json, Value};
use sqlx::{AnyConnection, AnyPool};
use std::collections::HashSet;
use velocity_domain::{new_id, ObjectKind, RecordInput, WorkspaceId};

/// Inserts records of one kind inside the caller's transaction: the same rules, reference
/// checks and events as single creates, with multi-row statements for the whole batch.
pub(crate) async fn insert_records(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    kind: ObjectKind,
    inputs: Vec<RecordInput>,
) -> Result<Vec<Written>, StoreError> {
    let records = insert_records_without_events(conn, ctx, kind, inputs).await?;
    append_created_events(conn, ctx, kind, records).await
}

/// [`insert_records`] in a transaction of its own.
pub(crate) async fn create_in_transaction(
    writer: &AnyPool,
    ctx: &WriteContext,
    kind: ObjectKind,
    inputs: Vec<RecordInput>,
) -> Result<Vec<Written>, StoreError> {
    let mut tx = writer.begin().await?;
    let written = insert_records(&mut tx, ctx, kind, inputs).await?;
    tx.commit().await?;
    Ok(written)
}

/// [`insert_records`] without the events, for a caller that writes several batches in one
/// transaction and appends all their events last: appending locks the workspace row (it holds
/// the event counter), and taking that lock after every other lock of the transaction keeps
/// concurrent writers on PostgreSQL from waiting on each other in a cycle.
pub(crate) async fn insert_records_without_events(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    kind: ObjectKind,
    inputs: Vec<RecordInput>,
) -> Result<Vec<Record>, StoreError> {
    let workspace = ctx.workspace.to_string();
    let book = stage_book(conn, &workspace, kind).await?;
    let now = ctx.now();
    let several = inputs.len() > 1;
    let mut records = Vec::with_capacity(inputs.len());
    let mut errors = velocity_domain::ValidationErrors::default();
    for (index, input) in inputs.iter().enumerate() {
        let mut record = new_record(kind, new_id().to_string(), input, &now);
        match prepare_one(
            &book,
            kind,
            None,
            &mut record,
            several.then_some(index),
            &now,
        ) {
            Ok(()) => records.push(record),
            Err(StoreError::Invalid(found)) => errors.0.extend(found.0),
            Err(other) => return Err(other),
        }
    }
    errors.into_result(()).map_err(StoreError::Invalid)?;
    insert_prepared(conn, &workspace, kind, &records).await?;
    Ok(records)
}

/// A new record of `kind` holding `input`, with the id `id`, at version 1, created `now`;
/// its rules have not run yet.
pub(crate) fn new_record(kind: ObjectKind, id: String, input: &RecordInput, now: &str) -> Record {
    let mut record = merge(&blank(kind), input);
    record.insert("id".into(), Value::String(id));
    record.insert("version".into(), Value::from(1));
    record.insert("created_at".into(), Value::String(now.to_owned()));
    record.insert("updated_at".into(), Value::String(now.to_owned()));
    record.insert("deleted_at".into(), Value::Null);
    record
}

/// Writes new records whose rules have run: checks their references, inserts them with their
/// links and search terms.
pub(crate) async fn insert_prepared(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    records: &[Record],
) -> Result<(), StoreError> {
    let common = search::common_terms(conn, workspace, kind).await?;
    let rows = NewRows::of(workspace, kind, records, &common)?;
    write_new(conn, workspace, kind, records, &rows).await
}

/// The rows new records add to their table and to the search terms. Making them needs no
/// database, so a bulk writer makes the next batch's while the database writes this one's.
pub(crate) struct NewRows {
    records: Vec<Vec<Cell>>,
    terms: search::TermRows,
}

impl NewRows {
    /// The rows of `records`, without entries for the `common` terms; a set read a while ago
    /// only means more entries than needed, since terms never stop being common.
    pub(crate) fn of(
        workspace: &str,
        kind: ObjectKind,
        records: &[Record],
        common: &HashSet<String>,
    ) -> Result<NewRows, StoreError> {
        let terms: Vec<(&Record, Vec<String>)> = records
            .iter()
            .map(|record| (record, search::terms_of(kind, record)))
            .collect();
        let rows = terms
            .iter()
            .map(|(record, terms)| {
                sql::insert_row(kind, workspace, record, search::search_text(terms))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewRows {
            records: rows,
            terms: search::TermRows::of(workspace, kind, &terms, common),
        })
    }
}

/// [`insert_prepared`] with the rows already made: checks the references, inserts the rows
/// and the records' links.
pub(crate) async fn write_new(
    conn: &mut AnyConnection,
    workspace: &str,
    kind: ObjectKind,
    records: &[Record],
    rows: &NewRows,
) -> Result<(), StoreError> {
    let pairs: Vec<Change> = records.iter().map(|r| (None, r)).collect();
    rules::check_references(conn, workspace, kind, &pairs).await?;
    insert_rows(
        conn,
        kind.plural(),
        &sql::insert_columns(kind),
        &rows.records,
    )
    .await?;
    links::save(conn, workspace, kind, &pairs).await?;
    search::insert_term_rows(conn, &rows.terms.rows).await?;
    search::mark_common(conn, workspace, kind, &rows.terms.growing).await
}

/// Appends the `created` events of freshly inserted records.
pub(crate) async fn append_created_events(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    kind: ObjectKind,
    records: Vec<Record>,
) -> Result<Vec<Written>, StoreError> {
    let empty = blank(kind);
    let drafts = records
        .iter()
        .map(|record| Draft {
            entity: kind.name(),
            entity_id: record["id"].as_str().unwrap_or_default().to_string(),
            action: "created",
            changes: Value::Object(diff(kind, &empty, record)),
        })
        .collect();
    let events = events::append_many(conn, ctx, drafts).await?;
    Ok(records
        .into_iter()
        .zip(events)
        .map(|(record, event)| Written {
            record,
            event: Some(event),
        })
        .collect())
}

impl Db {
    /// Creates a record and appends its `created` event.
    pub async fn create_record(
        &self,
        ctx: &WriteContext,
        input: RecordInput,
    ) -> Result<Written, StoreError> {
        // Through the group-commit queue: concurrent creates share a transaction.
        self.creates().create(ctx, input).await
    }

    /// Creates many records of one kind in one transaction: all or none. Validation errors name
    /// the failing record's position (`records[3].email`).
    pub async fn create_records(
        &self,
        ctx: &WriteContext,
        kind: ObjectKind,
        inputs: Vec<RecordInput>,
    ) -> Result<Vec<Written>, StoreError> {
        create_in_transaction(self.writer(), ctx, kind, inputs).await
    }
}

/// The stages every new workspace starts with: a brokerage's or B2B team's usual path from
/// first contact to signature, with the win rates such teams typically see at each step.
const DEFAULT_STAGES: [(&str, f64, &str); 7] = [
    ("Lead", 0.1, "open"),
    ("Qualified", 0.2, "open"),
    ("Site visit / demo", 0.4, "open"),
    ("Proposal", 0.6, "open"),
    ("Negotiation", 0.8, "open"),
    ("Won", 1.0, "won"),
    ("Lost", 0.0, "lost"),
];

/// Creates the default "Sales" pipeline of a new workspace inside the caller's transaction.
pub(crate) async fn insert_default_pipeline(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    creator: velocity_domain::UserId,
) -> Result<Written, StoreError> {
    let stages: Vec<Value> = DEFAULT_STAGES
        .iter()
        .map(|(name, probability, kind)| json!({"name": name, "probability": probability, "kind": kind}))
        .collect();
    let body = json!({"name": "Sales", "stages": stages});
    let input =
        velocity_domain::parse_record(ObjectKind::Pipeline, &body, velocity_domain::Mode::Create)?;
    let ctx = WriteContext::new(
        workspace,
        crate::events::Actor::new(crate::events::ActorKind::User, creator),
        "system",
    );
    let mut written = insert_records(conn, &ctx, ObjectKind::Pipeline, vec![input]).await?;
    written.pop().ok_or(StoreError::NotFound("pipeline"))
}
