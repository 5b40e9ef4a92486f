//! The event log: one append-only row per mutation, written in the same transaction as the
//! change. It is the timeline, the audit trail, each record's history and the live feed.
//!
//! Sequence numbers are per workspace and come from a counter on the workspace row. Bumping it
//! locks that row until commit, so events of one workspace commit in sequence order and a
//! reader resuming from `since=N` can never miss an event that commits late with a lower number.

use crate::bulk::{insert_rows, text, Cell};
use crate::error::{parse_column, StoreError};
use crate::records::sql::SqlKind;
use crate::Db;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{AnyConnection, Row};
use velocity_domain::values::now_timestamp;
use velocity_domain::WorkspaceId;

/// What kind of principal made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    Import,
    Agent,
    System,
}

impl ActorKind {
    fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ApiKey => "api_key",
            ActorKind::Import => "import",
            ActorKind::Agent => "agent",
            ActorKind::System => "system",
        }
    }

    fn parse(text: &str) -> ActorKind {
        [
            ActorKind::User,
            ActorKind::ApiKey,
            ActorKind::Import,
            ActorKind::Agent,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
        .unwrap_or(ActorKind::System)
    }
}

/// Who or what made a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
    /// A readable name (the user's name, the key's name), filled in when events are read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Actor {
    pub fn new(kind: ActorKind, id: impl ToString) -> Actor {
        Actor {
            kind,
            id: Some(id.to_string()),
            name: None,
        }
    }

    pub fn system() -> Actor {
        Actor {
            kind: ActorKind::System,
            id: None,
            name: None,
        }
    }
}

/// Everything a mutation needs to know about where it happens and on whose behalf.
#[derive(Debug, Clone)]
pub struct WriteContext {
    pub workspace: WorkspaceId,
    pub actor: Actor,
    /// The channel the change came through: `api`, `cli`, `demo`, `import`, …
    pub source: String,
    /// When the change is recorded as made; `None` is now. Only trusted writers set it (a
    /// history written after the fact, like the demo's); requests never can.
    pub at: Option<String>,
}

impl WriteContext {
    pub fn new(workspace: WorkspaceId, actor: Actor, source: &str) -> WriteContext {
        WriteContext {
            workspace,
            actor,
            source: source.to_string(),
            at: None,
        }
    }

    /// The same context, dating its changes at `at`.
    pub fn dated(mut self, at: chrono::DateTime<chrono::Utc>) -> WriteContext {
        self.at = Some(velocity_domain::values::format_timestamp(at));
        self
    }

    /// The time stamped on the changes made through this context.
    pub fn now(&self) -> String {
        self.at.clone().unwrap_or_else(now_timestamp)
    }
}

/// One entry of the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    pub workspace_id: WorkspaceId,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    /// `{"field": {"old": …, "new": …}}` for every field the change touched.
    pub changes: Value,
    pub actor: Actor,
    pub source: String,
    pub created_at: String,
}

/// An event about to be appended.
pub(crate) struct Draft {
    pub entity: &'static str,
    pub entity_id: String,
    pub action: &'static str,
    pub changes: Value,
}

/// Appends one event inside the caller's transaction.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    entity: &'static str,
    entity_id: &str,
    action: &'static str,
    changes: Value,
) -> Result<Event, StoreError> {
    let draft = Draft {
        entity,
        entity_id: entity_id.to_string(),
        action,
        changes,
    };
    let mut events = append_many(conn, ctx, vec![draft]).await?;
    events.pop().ok_or(StoreError::NotFound("event"))
}

/// Appends events inside the caller's transaction, numbering them consecutively.
pub(crate) async fn append_many(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    drafts: Vec<Draft>,
) -> Result<Vec<Event>, StoreError> {
    let now = ctx.now();
    append_dated(
        conn,
        ctx,
        drafts.into_iter().map(|d| (d, now.clone())).collect(),
    )
    .await
}

/// [`append_many`] with each event's own time, for a history written after the fact.
pub(crate) async fn append_dated(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    drafts: Vec<(Draft, String)>,
) -> Result<Vec<Event>, StoreError> {
    let ready: Vec<ReadyEvent> = drafts
        .iter()
        .map(|(draft, at)| ReadyEvent::of(draft, at.clone()))
        .collect();
    let first = append_ready(conn, ctx, &ready).await?;
    Ok(drafts
        .into_iter()
        .zip(first..)
        .map(|((draft, created_at), seq)| Event {
            seq,
            workspace_id: ctx.workspace,
            entity: draft.entity.to_string(),
            entity_id: draft.entity_id,
            action: draft.action.to_string(),
            changes: draft.changes,
            actor: ctx.actor.clone(),
            source: ctx.source.clone(),
            created_at,
        })
        .collect())
}

/// An event with its time and its changes serialised, waiting only for its number: a bulk
/// writer serialises the next batch's events while the database writes this one's.
pub(crate) struct ReadyEvent {
    entity: &'static str,
    entity_id: String,
    action: &'static str,
    changes: String,
    at: String,
}

impl ReadyEvent {
    pub(crate) fn new(
        entity: &'static str,
        entity_id: String,
        action: &'static str,
        changes: &Value,
        at: String,
    ) -> ReadyEvent {
        ReadyEvent {
            entity,
            entity_id,
            action,
            changes: changes.to_string(),
            at,
        }
    }

    fn of(draft: &Draft, at: String) -> ReadyEvent {
        let id = draft.entity_id.clone();
        ReadyEvent::new(draft.entity, id, draft.action, &draft.changes, at)
    }
}

/// Numbers events consecutively and inserts them inside the caller's transaction; returns the
/// number of the first.
pub(crate) async fn append_ready(
    conn: &mut AnyConnection,
    ctx: &WriteContext,
    events: &[ReadyEvent],
) -> Result<i64, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let workspace = ctx.workspace.to_string();
    let last: i64 = sqlx::query_scalar(
        "UPDATE workspaces SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq",
    )
    .bind(&workspace)
    .bind(events.len() as i64)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("workspace"))?;
    let first = last - events.len() as i64 + 1;
    let actor_id = ctx.actor.id.clone().map_or(Value::Null, Value::String);
    let rows: Vec<Vec<Cell>> = events
        .iter()
        .zip(first..)
        .map(|(e, seq)| {
            vec![
                text(workspace.as_str()),
                (SqlKind::Int, Value::from(seq)),
                text(e.entity),
                text(e.entity_id.as_str()),
                text(e.action),
                text(e.changes.as_str()),
                text(ctx.actor.kind.as_str()),
                (SqlKind::Text, actor_id.clone()),
                text(ctx.source.as_str()),
                text(e.at.as_str()),
            ]
        })
        .collect();
    let columns = [
        "workspace_id",
        "seq",
        "entity",
        "entity_id",
        "action",
        "changes",
        "actor_kind",
        "actor_id",
        "source",
        "created_at",
    ];
    insert_rows(conn, "events", &columns, &rows).await?;
    Ok(first)
}

const EVENT_COLUMNS: &str = "e.workspace_id, e.seq, e.entity, e.entity_id, e.action, e.changes, \
    e.actor_kind, e.actor_id, e.source, e.created_at, COALESCE(u.name, k.name) AS actor_name \
    FROM events e \
    LEFT JOIN users u ON e.actor_kind = 'user' AND u.id = e.actor_id \
    LEFT JOIN api_keys k ON e.actor_kind = 'api_key' AND k.workspace_id = e.workspace_id AND k.id = e.actor_id";

fn decode(row: &sqlx::any::AnyRow) -> Result<Event, StoreError> {
    let changes: String = row.try_get("changes")?;
    let kind: String = row.try_get("actor_kind")?;
    Ok(Event {
        seq: row.try_get("seq")?,
        workspace_id: parse_column(row, "workspace_id")?,
        entity: row.try_get("entity")?,
        entity_id: row.try_get("entity_id")?,
        action: row.try_get("action")?,
        changes: serde_json::from_str(&changes).map_err(StoreError::corrupt)?,
        actor: Actor {
            kind: ActorKind::parse(&kind),
            id: row.try_get("actor_id")?,
            name: row.try_get("actor_name")?,
        },
        source: row.try_get("source")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Db {
    /// Events of a workspace with a sequence number above `since`, oldest first.
    pub async fn events_since(
        &self,
        workspace: WorkspaceId,
        since: i64,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} WHERE e.workspace_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3");
        self.read_events(
            sqlx::query(&sql)
                .bind(workspace.to_string())
                .bind(since)
                .bind(limit),
        )
        .await
    }

    /// The sequence number of the workspace's newest event (0 before its first).
    pub async fn latest_event_seq(&self, workspace: WorkspaceId) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT MAX(seq) AS seq FROM events WHERE workspace_id = $1")
            .bind(workspace.to_string())
            .fetch_one(self.reader())
            .await?;
        Ok(row.try_get::<Option<i64>, _>("seq")?.unwrap_or(0))
    }

    /// Ids of the records of `entity` that events after `since` touched, or `None` when more
    /// than `limit` such events were written (a caller keeping copies had better read
    /// everything again). Read in sequence order and deduplicated here: asked for distinct ids,
    /// SQLite walks the by-record index of the whole workspace's log instead.
    pub async fn touched_since(
        &self,
        workspace: WorkspaceId,
        entity: &str,
        since: i64,
        limit: usize,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let rows = sqlx::query(
            "SELECT entity_id FROM events WHERE workspace_id = $1 AND seq > $2 AND entity = $3 \
             ORDER BY seq LIMIT $4",
        )
        .bind(workspace.to_string())
        .bind(since)
        .bind(entity)
        .bind(limit as i64 + 1)
        .fetch_all(self.reader())
        .await?;
        if rows.len() > limit {
            return Ok(None);
        }
        let mut ids: Vec<String> = rows
            .iter()
            .map(|row| row.try_get("entity_id"))
            .collect::<Result<_, _>>()?;
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(ids))
    }

    /// Every event that touched one record, oldest first.
    pub async fn entity_history(
        &self,
        workspace: WorkspaceId,
        entity_id: &str,
        limit: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let sql = format!("SELECT {EVENT_COLUMNS} WHERE e.workspace_id = $1 AND e.entity_id = $2 ORDER BY e.seq LIMIT $3");
        self.read_events(
            sqlx::query(&sql)
                .bind(workspace.to_string())
                .bind(entity_id)
                .bind(limit),
        )
        .await
    }

    async fn read_events(
        &self,
        query: crate::records::sql::AnyQuery<'_>,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = query.fetch_all(self.reader()).await?;
        rows.iter().map(decode).collect()
    }
}
