//! Records written with their past: each arrives as the steps of its life (created as it first
//! was, then changed, each step dated), and is stored once in its final state with one dated
//! event per step, exactly as if every step had been made at its time. The rules run at each
//! step with that step's time, so a deal closed on a past day carries that day as its close
//! time. The demo writes its deals this way; intelligence learns from such histories as from
//! lived ones.

use super::create::{insert_prepared, new_record};
use super::{blank, diff, merge, prepare_one, stage_book, Record};
use crate::error::StoreError;
use crate::events::{self, Draft, WriteContext};
use crate::Db;
use chrono::{DateTime, Utc};
use serde_json::Value;
use velocity_domain::values::format_timestamp;
use velocity_domain::{ObjectKind, RecordInput, ValidationErrors};

/// One step of a record's life: when it happened and what it set (the whole record for the
/// first step, a partial update for the others).
pub type Step = (DateTime<Utc>, RecordInput);

impl Db {
    /// Creates records of one kind from their lives, in one transaction: all or none. A step
    /// that changes nothing leaves no event. References are checked on the final state.
    pub async fn create_with_history(
        &self,
        ctx: &WriteContext,
        kind: ObjectKind,
        lives: Vec<Vec<Step>>,
    ) -> Result<Vec<Record>, StoreError> {
        let workspace = ctx.workspace.to_string();
        let mut tx = self.writer().begin().await?;
        let book = stage_book(&mut tx, &workspace, kind).await?;
        let empty = blank(kind);
        let mut records = Vec::with_capacity(lives.len());
        let mut drafts = Vec::new();
        for (index, life) in lives.into_iter().enumerate() {
            let mut steps = life.into_iter();
            let Some((born, first)) = steps.next() else {
                return Err(StoreError::Invalid(ValidationErrors::single(
                    format!("records[{index}]"),
                    "a record's life needs at least its creation",
                )));
            };
            let born = format_timestamp(born);
            let mut record = new_record(kind, &first, &born);
            let id = record["id"].as_str().unwrap_or_default().to_owned();
            prepare_one(&book, kind, None, &mut record, Some(index), &born)?;
            let changes = Value::Object(diff(kind, &empty, &record));
            drafts.push((draft(kind, &id, "created", changes), born));
            for (at, step) in steps {
                let at = format_timestamp(at);
                let mut next = merge(&record, &step);
                prepare_one(&book, kind, Some(&record), &mut next, Some(index), &at)?;
                let changes = diff(kind, &record, &next);
                if changes.is_empty() {
                    continue;
                }
                let version = record["version"].as_i64().unwrap_or(1) + 1;
                next.insert("version".into(), Value::from(version));
                next.insert("updated_at".into(), Value::String(at.clone()));
                drafts.push((draft(kind, &id, "updated", Value::Object(changes)), at));
                record = next;
            }
            records.push(record);
        }
        insert_prepared(&mut tx, &workspace, kind, &records).await?;
        events::append_dated(&mut tx, ctx, drafts).await?;
        tx.commit().await?;
        Ok(records)
    }
}

fn draft(kind: ObjectKind, id: &str, action: &'static str, changes: Value) -> Draft {
    Draft {
        entity: kind.name(),
        entity_id: id.to_owned(),
        action,
        changes,
    }
}
