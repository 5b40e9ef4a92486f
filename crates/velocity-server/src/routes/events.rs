//! The event log over HTTP: a paged list, and a WebSocket that replays from a sequence number
//! and then pushes new events as they are committed.

use crate::error::ApiError;
use crate::extract::{grants_now, Access, BearerToken};
use crate::state::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use velocity_domain::WorkspaceId;

const PAGE: i64 = 500;
/// How often a quiet feed looks at the log anyway, to pick up events written by another
/// process (the CLI, another node).
const POLL_EVERY: Duration = Duration::from_secs(2);

#[derive(Deserialize)]
pub struct EventsQuery {
    since: Option<i64>,
    limit: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    access: Access,
    Query(query): Query<EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::validation("limit", "must be between 1 and 1000"));
    }
    let since = query.since.unwrap_or(0);
    let items = state
        .db
        .events_since(access.workspace, since, limit)
        .await?;
    let next_since = items.last().map_or(since, |e| e.seq);
    Ok(Json(json!({"items": items, "next_since": next_since})))
}

#[derive(Deserialize)]
pub struct StreamQuery {
    /// A sequence number, or `latest` to hear only what happens from now on.
    since: Option<String>,
}

/// Authentication happens in the `Access` extractor, before the upgrade is accepted.
pub async fn stream(
    State(state): State<AppState>,
    access: Access,
    BearerToken(token): BearerToken,
    Query(query): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let since = match query.since.as_deref() {
        None => 0,
        Some("latest") => state.db.latest_event_seq(access.workspace).await?,
        Some(number) => number
            .parse()
            .map_err(|_| ApiError::validation("since", "must be a sequence number or `latest`"))?,
    };
    Ok(upgrade.on_upgrade(move |socket| feed(state, access.workspace, token, since, socket)))
}

async fn feed(
    state: AppState,
    workspace: WorkspaceId,
    token: String,
    mut last: i64,
    mut socket: WebSocket,
) {
    // Subscribe before the first read so nothing committed in between is missed.
    let mut wakeups = state.hub.subscribe();
    let mut poll = tokio::time::interval(POLL_EVERY);
    loop {
        loop {
            let events = match state.db.events_since(workspace, last, PAGE).await {
                Ok(events) => events,
                Err(error) => {
                    tracing::warn!(%error, "event feed read failed");
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            };
            // A connection outlives tokens, memberships and keys, so access is checked again
            // after each read: a removal commits with its own event, so a batch that holds it
            // is never sent to the one removed.
            if !matches!(grants_now(&state, &token, workspace).await, Ok(true)) {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            for event in &events {
                let Ok(text) = serde_json::to_string(event) else {
                    continue;
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
                last = event.seq;
            }
            if (events.len() as i64) < PAGE {
                break;
            }
        }
        if !wait_for_news(&mut wakeups, &mut poll, &mut socket, workspace).await {
            return;
        }
    }
}

/// Waits until this workspace may have new events; `false` when the client has gone.
async fn wait_for_news(
    wakeups: &mut tokio::sync::broadcast::Receiver<WorkspaceId>,
    poll: &mut tokio::time::Interval,
    socket: &mut WebSocket,
    workspace: WorkspaceId,
) -> bool {
    loop {
        tokio::select! {
            wakeup = wakeups.recv() => match wakeup {
                Ok(changed) if changed != workspace => {}
                Ok(_) | Err(RecvError::Lagged(_)) => return true,
                Err(RecvError::Closed) => return false,
            },
            _ = poll.tick() => return true,
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return false,
                Some(Ok(_)) => {}
            },
        }
    }
}
