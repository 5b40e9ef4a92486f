//! SQLite WAL checkpoints on a connection of their own, off the writer's path.
//!
//! By default the connection that commits a write past the WAL's threshold copies the WAL back
//! into the database file before its commit returns, so every few thousand writes one request
//! (and the whole write queue behind it) waits for tens of megabytes of copying and an fsync:
//! that was the p99 of a create (80–150 ms) and a seventh of an import's time. Here a
//! background task checkpoints passively a few times a second, which copies whatever frames no
//! reader still needs while the writer goes on appending on the other core. The writer keeps a
//! far higher threshold of its own.
//!
//! A passive checkpoint never makes the writer start the WAL over, so under a steady stream of
//! writes the WAL grows until the writer's own threshold (400 MB) checkpoints it, which stalls
//! writes once in a while: on a million deals, 20 s of continuous creates went from 3,222–3,699
//! to 4,302–4,781 a second and their p99 from 115 ms to 20–25 ms, while the slowest create went
//! from 130 ms to 390–405 ms. Tried and measured worse: a 64 MB threshold for the writer (p99
//! back at 120 ms), also cutting the WAL file back to 64 MB at each restart (3,899–3,968 a
//! second, slowest 500 ms), and asking for a restart from this connection (writers failed with
//! `SQLITE_BUSY`).

use sqlx::AnyPool;
use std::time::Duration;

/// How often the WAL is copied back. A passive checkpoint with nothing to copy only reads the
/// WAL index, so idle databases pay next to nothing.
const EVERY: Duration = Duration::from_millis(250);

/// Checkpoints through `pool` (one connection of its own) until the pool is closed.
pub(crate) fn start(pool: AnyPool) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(error) = checkpoint(&pool).await {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(%error, "checkpointing the SQLite WAL failed");
            }
        }
    });
}

async fn checkpoint(pool: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::db::ScratchDatabase;
    use crate::{Actor, ActorKind, WriteContext};
    use serde_json::json;
    use velocity_domain::{parse_record, Mode, ObjectKind};

    /// Writes reach the database file without any commit crossing the writer's threshold:
    /// the background task copied them there.
    #[tokio::test]
    async fn committed_pages_are_copied_into_the_database_file_in_the_background() {
        let scratch = ScratchDatabase::open("ckpt").await;
        let (db, path) = (&scratch.db, &scratch.path);
        let (user, workspace) = db
            .create_user("ckpt@example.com", "Ckpt", "hash", Some("Ckpt"))
            .await
            .unwrap();
        tokio::time::sleep(super::EVERY * 3).await;
        let before = std::fs::metadata(path).unwrap().len();
        let ctx = WriteContext::new(
            workspace.unwrap().id,
            Actor::new(ActorKind::User, user.id),
            "test",
        );
        let contacts = (0..2_000)
            .map(|i| {
                let body = json!({"first_name": format!("Person {i}"), "email": format!("p{i}@example.com")});
                parse_record(ObjectKind::Contact, &body, Mode::Create).unwrap()
            })
            .collect();
        db.create_records(&ctx, ObjectKind::Contact, contacts)
            .await
            .unwrap();
        tokio::time::sleep(super::EVERY * 4).await;
        let after = std::fs::metadata(path).unwrap().len();
        scratch.remove().await;
        assert!(
            after > before + 500_000,
            "the file grew from {before} to {after} bytes"
        );
    }
}
