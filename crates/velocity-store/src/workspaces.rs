//! Workspaces (tenants) and their members. Members are never deleted, only marked removed:
//! records they own keep pointing at them (as HubSpot keeps a deactivated owner), and the
//! foreign keys from records to memberships stay valid.

use crate::error::{parse_column, StoreError};
use crate::events::{self, WriteContext};
use crate::records::insert_default_pipeline;
use crate::Db;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};
use velocity_domain::values::now_timestamp;
use velocity_domain::{Role, UserId, WorkspaceId};

#[derive(Debug, Clone, Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
}

/// A workspace as one of the caller's memberships.
#[derive(Debug, Clone, Serialize)]
pub struct WorkspaceRole {
    pub id: WorkspaceId,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: String,
}

pub(crate) async fn insert_workspace(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Workspace, StoreError> {
    let workspace = Workspace {
        id: WorkspaceId::new(),
        name: name.to_string(),
    };
    sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(workspace.id.to_string())
        .bind(name)
        .bind(now_timestamp())
        .execute(&mut *conn)
        .await?;
    Ok(workspace)
}

pub(crate) async fn insert_membership(
    conn: &mut AnyConnection,
    workspace: WorkspaceId,
    user: UserId,
    role: Role,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(workspace.to_string())
    .bind(user.to_string())
    .bind(role.as_str())
    .bind(now_timestamp())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn parse_role(text: &str) -> Result<Role, StoreError> {
    text.parse().map_err(StoreError::corrupt)
}

impl Db {
    /// Creates a workspace owned by `owner`, with its default pipeline.
    pub async fn create_workspace(
        &self,
        name: &str,
        owner: UserId,
    ) -> Result<Workspace, StoreError> {
        let mut tx = self.writer().begin().await?;
        let workspace = insert_workspace(&mut tx, name).await?;
        insert_membership(&mut tx, workspace.id, owner, Role::Owner).await?;
        insert_default_pipeline(&mut tx, workspace.id, owner).await?;
        tx.commit().await?;
        Ok(workspace)
    }

    /// Every workspace, for jobs that visit them all.
    pub async fn workspace_ids(&self) -> Result<Vec<WorkspaceId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        ids.iter()
            .map(|id| id.parse().map_err(StoreError::corrupt))
            .collect()
    }

    /// A workspace named by its id or, failing that, by its exact name (for the CLI, where
    /// people type names). Two workspaces with that name are a conflict.
    pub async fn find_workspace(&self, id_or_name: &str) -> Result<Workspace, StoreError> {
        let rows = sqlx::query("SELECT id, name FROM workspaces WHERE id = $1 OR name = $1")
            .bind(id_or_name)
            .fetch_all(self.reader())
            .await?;
        let found = rows
            .iter()
            .map(|row| {
                Ok(Workspace {
                    id: parse_column(row, "id")?,
                    name: row.try_get("name")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        if let Some(by_id) = found.iter().find(|w| w.id.to_string() == id_or_name) {
            return Ok(by_id.clone());
        }
        match found.as_slice() {
            [] => Err(StoreError::NotFound("workspace")),
            [one] => Ok(one.clone()),
            many => Err(StoreError::Conflict(format!(
                "{} workspaces are named `{id_or_name}`; use the workspace id",
                many.len()
            ))),
        }
    }

    /// The workspaces a user belongs to, with their role in each.
    pub async fn workspaces_of(&self, user: UserId) -> Result<Vec<WorkspaceRole>, StoreError> {
        let rows = sqlx::query(
            "SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.user_id = $1 AND m.removed_at IS NULL ORDER BY w.created_at, w.id",
        )
        .bind(user.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WorkspaceRole {
                    id: parse_column(row, "id")?,
                    name: row.try_get("name")?,
                    role: parse_column(row, "role")?,
                })
            })
            .collect()
    }

    /// The user's role in the workspace, if they are an active member.
    pub async fn member_role(
        &self,
        workspace: WorkspaceId,
        user: UserId,
    ) -> Result<Option<Role>, StoreError> {
        let role: Option<String> = sqlx::query_scalar(
            "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NULL",
        )
        .bind(workspace.to_string())
        .bind(user.to_string())
        .fetch_optional(self.reader())
        .await?;
        role.as_deref().map(parse_role).transpose()
    }

    pub async fn members(&self, workspace: WorkspaceId) -> Result<Vec<Member>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.email, u.name, m.role, m.created_at FROM memberships m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 AND m.removed_at IS NULL \
             ORDER BY m.created_at, u.id",
        )
        .bind(workspace.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Member {
                    user_id: parse_column(row, "id")?,
                    email: row.try_get("email")?,
                    name: row.try_get("name")?,
                    role: parse_column(row, "role")?,
                    joined_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Adds an existing user (by email) to the workspace, or re-activates a removed member.
    pub async fn add_member(
        &self,
        ctx: &WriteContext,
        email: &str,
        role: Role,
    ) -> Result<Member, StoreError> {
        let mut tx = self.writer().begin().await?;
        let user: Option<(String, String)> =
            sqlx::query("SELECT id, name FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| Ok::<_, sqlx::Error>((row.try_get("id")?, row.try_get("name")?)))
                .transpose()?;
        let Some((user_id, name)) = user else {
            return Err(StoreError::invalid(
                "email",
                "no Velocity user has this email; they must sign up first",
            ));
        };
        let workspace = ctx.workspace.to_string();
        let existing: Option<Option<String>> = sqlx::query_scalar(
            "SELECT removed_at FROM memberships WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(&workspace)
        .bind(&user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let now = now_timestamp();
        match existing {
            Some(None) => return Err(StoreError::Conflict(format!("{email} is already a member"))),
            Some(Some(_)) => {
                sqlx::query(
                    "UPDATE memberships SET role = $3, removed_at = NULL, created_at = $4 \
                     WHERE workspace_id = $1 AND user_id = $2",
                )
                .bind(&workspace)
                .bind(&user_id)
                .bind(role.as_str())
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                let user = user_id.parse().map_err(StoreError::corrupt)?;
                insert_membership(&mut tx, ctx.workspace, user, role).await?;
            }
        }
        let changes =
            json!({"role": {"old": null, "new": role}, "email": {"old": null, "new": email}});
        events::append(&mut tx, ctx, "member", &user_id, "created", changes).await?;
        tx.commit().await?;
        Ok(Member {
            user_id: user_id.parse().map_err(StoreError::corrupt)?,
            email: email.to_string(),
            name,
            role,
            joined_at: now,
        })
    }

    /// Changes a member's role (`Some`) or removes the member (`None`), acting with the role
    /// `by`, which must be allowed to manage the member's current role (checked here, under the
    /// lock, so a concurrent promotion cannot slip past it). The last owner can be neither
    /// demoted nor removed, so a workspace always has someone who can administer it.
    pub async fn change_member(
        &self,
        ctx: &WriteContext,
        by: Role,
        user: UserId,
        role: Option<Role>,
    ) -> Result<Role, StoreError> {
        let workspace = ctx.workspace.to_string();
        let mut tx = self.writer().begin().await?;
        // Member changes of one workspace run one at a time, so two owners demoting each other
        // at once cannot both pass the last-owner check.
        sqlx::query(&format!(
            "SELECT id FROM workspaces WHERE id = $1{}",
            self.dialect().lock_for_update
        ))
        .bind(&workspace)
        .fetch_optional(&mut *tx)
        .await?;
        let current: String = sqlx::query_scalar(&format!(
            "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2 AND removed_at IS NULL{}",
            self.dialect().lock_for_update
        ))
        .bind(&workspace)
        .bind(user.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("member"))?;
        let current = parse_role(&current)?;
        if !by.can_manage(current) {
            return Err(StoreError::Forbidden(
                "only owners can change or remove an owner".into(),
            ));
        }
        if current == Role::Owner && role != Some(Role::Owner) {
            let owners: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner' AND removed_at IS NULL",
            )
            .bind(&workspace)
            .fetch_one(&mut *tx)
            .await?;
            if owners <= 1 {
                return Err(StoreError::Conflict(
                    "a workspace needs at least one owner".into(),
                ));
            }
        }
        let (statement, action, changes) = match role {
            Some(role) => (
                "UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2",
                "updated",
                json!({"role": {"old": current, "new": role}}),
            ),
            None => (
                "UPDATE memberships SET removed_at = $3 WHERE workspace_id = $1 AND user_id = $2",
                "deleted",
                json!({"role": {"old": current, "new": null}}),
            ),
        };
        let value = role.map_or_else(now_timestamp, |r| r.as_str().to_string());
        sqlx::query(statement)
            .bind(&workspace)
            .bind(user.to_string())
            .bind(value)
            .execute(&mut *tx)
            .await?;
        events::append(&mut tx, ctx, "member", &user.to_string(), action, changes).await?;
        tx.commit().await?;
        Ok(current)
    }
}
