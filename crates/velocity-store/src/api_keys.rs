//! API keys: workspace-scoped credentials for integrations. Only a SHA-256 hash of each key is
//! stored; the key itself is shown once, when it is created.

use crate::error::{parse_column, StoreError};
use crate::events::{self, WriteContext};
use crate::Db;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use velocity_domain::values::now_timestamp;
use velocity_domain::{ApiKeyId, Role, WorkspaceId};

#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, so people can tell keys apart.
    pub prefix: String,
    pub created_at: String,
}

/// What a presented key grants.
#[derive(Debug, Clone, Copy)]
pub struct ApiKeyGrant {
    pub id: ApiKeyId,
    pub workspace: WorkspaceId,
    pub role: Role,
}

impl Db {
    pub async fn create_api_key(
        &self,
        ctx: &WriteContext,
        name: &str,
        role: Role,
        key_hash: &str,
        prefix: &str,
        created_by: &str,
    ) -> Result<ApiKey, StoreError> {
        let key = ApiKey {
            id: ApiKeyId::new(),
            name: name.to_string(),
            role,
            prefix: prefix.to_string(),
            created_at: now_timestamp(),
        };
        let mut tx = self.writer().begin().await?;
        sqlx::query(
            "INSERT INTO api_keys (workspace_id, id, name, role, key_hash, key_prefix, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(ctx.workspace.to_string())
        .bind(key.id.to_string())
        .bind(name)
        .bind(role.as_str())
        .bind(key_hash)
        .bind(prefix)
        .bind(created_by)
        .bind(&key.created_at)
        .execute(&mut *tx)
        .await?;
        let changes =
            json!({"name": {"old": null, "new": name}, "role": {"old": null, "new": role}});
        events::append(
            &mut tx,
            ctx,
            "api_key",
            &key.id.to_string(),
            "created",
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(key)
    }

    pub async fn api_keys(&self, workspace: WorkspaceId) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, role, key_prefix, created_at FROM api_keys \
             WHERE workspace_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
        )
        .bind(workspace.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApiKey {
                    id: parse_column(row, "id")?,
                    name: row.try_get("name")?,
                    role: parse_column(row, "role")?,
                    prefix: row.try_get("key_prefix")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn revoke_api_key(&self, ctx: &WriteContext, id: ApiKeyId) -> Result<(), StoreError> {
        let mut tx = self.writer().begin().await?;
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(ctx.workspace.to_string())
        .bind(id.to_string())
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        if revoked.rows_affected() == 0 {
            return Err(StoreError::NotFound("API key"));
        }
        let changes = json!({"revoked": {"old": false, "new": true}});
        events::append(&mut tx, ctx, "api_key", &id.to_string(), "deleted", changes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The grant of a live key with this hash.
    pub async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKeyGrant>, StoreError> {
        let row = sqlx::query("SELECT workspace_id, id, role FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(key_hash)
            .fetch_optional(self.reader())
            .await?;
        row.map(|row| {
            Ok(ApiKeyGrant {
                id: parse_column(&row, "id")?,
                workspace: parse_column(&row, "workspace_id")?,
                role: parse_column(&row, "role")?,
            })
        })
        .transpose()
    }
}
