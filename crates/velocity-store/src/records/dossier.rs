//! The Client 360: one contact with everything around it, read in a handful of indexed queries.

use super::{fetch, sql, ListParams, Record};
use crate::error::StoreError;
use crate::events::Event;
use crate::Db;
use serde::Serialize;
use velocity_domain::{ObjectKind, WorkspaceId};

/// How many related records of each kind the dossier carries; older ones are paged through the
/// list endpoints.
const RELATED_LIMIT: i64 = 100;

#[derive(Debug, Clone, Serialize)]
pub struct ContactDossier {
    pub contact: Record,
    pub account: Option<Record>,
    pub deals: Vec<Record>,
    /// Newest first.
    pub activities: Vec<Record>,
    /// Open tasks first, then by due date.
    pub tasks: Vec<Record>,
    pub history: Vec<Event>,
}

impl Db {
    pub async fn contact_dossier(
        &self,
        workspace: WorkspaceId,
        id: &str,
    ) -> Result<ContactDossier, StoreError> {
        let ws = workspace.to_string();
        let contact = self.get_record(workspace, ObjectKind::Contact, id).await?;
        let account = match contact.get("account_id").and_then(|v| v.as_str()) {
            Some(account_id) => {
                let mut conn = self.reader().acquire().await?;
                fetch(&mut conn, &ws, ObjectKind::Account, account_id, false, "").await?
            }
            None => None,
        };
        let deals = {
            // Driven from the contact's links, so the cost follows the contact's deals rather
            // than the workspace's.
            let statement = format!(
                "SELECT {} FROM deal_contacts dc JOIN deals d ON d.workspace_id = dc.workspace_id \
                 AND d.id = dc.deal_id WHERE dc.workspace_id = $1 AND dc.contact_id = $2 \
                 AND d.deleted_at IS NULL ORDER BY d.created_at DESC, d.id DESC LIMIT $3",
                sql::select_list(ObjectKind::Deal, "d", self.dialect())
            );
            let mut conn = self.reader().acquire().await?;
            let rows = sqlx::query(&statement)
                .bind(&ws)
                .bind(id)
                .bind(RELATED_LIMIT)
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|row| sql::decode_record(ObjectKind::Deal, row))
                .collect::<Result<Vec<_>, _>>()?
        };
        let related = |sort: &str| ListParams {
            limit: Some(RELATED_LIMIT),
            sort: Some(sort.to_string()),
            filters: vec![("contact_id".into(), id.to_string())],
            ..ListParams::default()
        };
        let activities = self
            .list_records(workspace, ObjectKind::Activity, &related("-occurred_at"))
            .await?
            .items;
        let mut tasks = self
            .list_records(workspace, ObjectKind::Task, &related("due_at"))
            .await?
            .items;
        // Open before done, then by due date with undated tasks last, the same on both
        // databases (they place NULLs at opposite ends).
        tasks.sort_by_key(|t| {
            let done = t.get("status").and_then(|s| s.as_str()) == Some("done");
            let due = t.get("due_at").and_then(|d| d.as_str()).map(str::to_string);
            (done, due.is_none(), due)
        });
        let history = self.entity_history(workspace, id, RELATED_LIMIT).await?;
        Ok(ContactDossier {
            contact,
            account,
            deals,
            activities,
            tasks,
            history,
        })
    }
}
