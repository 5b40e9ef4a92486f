//! Users (global, one per email), their refresh tokens, and server-wide settings.
//!
//! Refresh tokens rotate: each use marks the token used and issues a successor in the same
//! family. Presenting a used token again means it was stolen or replayed, so the whole family
//! is revoked.

use crate::error::{parse_column, StoreError};
use crate::records::insert_default_pipeline;
use crate::workspaces::{insert_membership, insert_workspace, Workspace};
use crate::Db;
use serde::Serialize;
use sqlx::Row;
use velocity_domain::values::now_timestamp;
use velocity_domain::{Role, UserId};

/// A user as shown to clients.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
}

/// A user with the stored password hash, for login.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was valid; it is now used and its successor is stored.
    Rotated { user: UserId },
    /// The token had been used already; its family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: parse_column(row, "id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
    })
}

impl Db {
    /// Creates a user; with a workspace name, also a workspace owned by that user with its
    /// default pipeline, all in one transaction.
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        workspace_name: Option<&str>,
    ) -> Result<(User, Option<Workspace>), StoreError> {
        let user = User {
            id: UserId::new(),
            email: email.to_string(),
            name: name.to_string(),
        };
        let mut tx = self.writer().begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user.id.to_string())
        .bind(email)
        .bind(name)
        .bind(password_hash)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from);
        if let Err(e) = inserted {
            return Err(if e.is_unique_violation() {
                StoreError::Conflict(format!("an account with the email {email} already exists"))
            } else {
                e
            });
        }
        let workspace = match workspace_name {
            Some(workspace_name) => {
                let workspace = insert_workspace(&mut tx, workspace_name).await?;
                insert_membership(&mut tx, workspace.id, user.id, Role::Owner).await?;
                insert_default_pipeline(&mut tx, workspace.id, user.id).await?;
                Some(workspace)
            }
            None => None,
        };
        tx.commit().await?;
        Ok((user, workspace))
    }

    pub async fn credentials_by_email(
        &self,
        email: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query("SELECT id, email, name, password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(self.reader())
            .await?;
        row.map(|row| {
            Ok(Credentials {
                user: user_from_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    pub async fn user(&self, id: UserId) -> Result<User, StoreError> {
        let row = sqlx::query("SELECT id, email, name FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        user_from_row(&row)
    }

    /// Stores the first refresh token of a new family (at login).
    pub async fn store_refresh_token(
        &self,
        user: UserId,
        token_hash: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        let id = velocity_domain::new_id().to_string();
        sqlx::query(
            "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at, created_at) \
             VALUES ($1, $1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(user.to_string())
        .bind(token_hash)
        .bind(expires_at)
        .bind(now_timestamp())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Uses a refresh token and stores its successor, or revokes the family on reuse.
    pub async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        successor_hash: &str,
        successor_expires_at: &str,
    ) -> Result<Rotation, StoreError> {
        let now = now_timestamp();
        let mut tx = self.writer().begin().await?;
        // Locked, so a second concurrent use of the same token waits, then sees it used and
        // revokes the family instead of slipping through as merely invalid.
        let Some(row) = sqlx::query(&format!(
            "SELECT family_id, user_id, expires_at, used_at, revoked_at FROM refresh_tokens WHERE token_hash = $1{}",
            self.dialect().lock_for_update
        ))
        .bind(presented_hash)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Rotation::Invalid);
        };
        let family: String = row.try_get("family_id")?;
        let user: String = row.try_get("user_id")?;
        let expires_at: String = row.try_get("expires_at")?;
        let used_at: Option<String> = row.try_get("used_at")?;
        let revoked_at: Option<String> = row.try_get("revoked_at")?;
        if revoked_at.is_some() || expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        if used_at.is_some() {
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL")
                .bind(&family)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Rotation::Reused);
        }
        // The used_at guard makes a concurrent second use of the same token lose the race.
        let marked = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
        )
        .bind(presented_hash)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            return Ok(Rotation::Invalid);
        }
        sqlx::query(
            "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(velocity_domain::new_id().to_string())
        .bind(&family)
        .bind(&user)
        .bind(successor_hash)
        .bind(successor_expires_at)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Rotation::Rotated {
            user: user.parse().map_err(StoreError::corrupt)?,
        })
    }

    /// Revokes the family of a refresh token (logout). Unknown tokens are ignored.
    pub async fn revoke_refresh_family(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family_id = \
             (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        )
        .bind(token_hash)
        .bind(now_timestamp())
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// A server-wide setting, created with `generate()` the first time it is asked for (the
    /// token-signing secret lives here so every node of a cluster shares it).
    pub async fn setting_or_init(
        &self,
        key: &str,
        generate: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        let select = "SELECT value FROM server_settings WHERE key = $1";
        if let Some(value) = sqlx::query_scalar(select)
            .bind(key)
            .fetch_optional(self.reader())
            .await?
        {
            return Ok(value);
        }
        sqlx::query(
            "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(generate())
        .execute(self.writer())
        .await?;
        Ok(sqlx::query_scalar(select)
            .bind(key)
            .fetch_one(self.writer())
            .await?)
    }
}
