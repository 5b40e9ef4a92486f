//! The event log over HTTP and the WebSocket feed.

use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use velocity_testkit::{both_databases, Session, TestApp};

both_databases!(
    the_feed_closes_when_access_ends,
    events_list_every_mutation_in_order,
    the_websocket_replays_then_pushes_live
);

async fn events_list_every_mutation_in_order(app: TestApp) {
    let session = app.signup("events@example.com", "Events").await;
    let account = session.create("accounts", json!({"name": "A"})).await;
    let path = session.ws(&format!("/accounts/{}", account["id"].as_str().unwrap()));
    session.patch(&path, json!({"name": "B"})).await;
    session.delete(&path).await;
    session.post(&format!("{path}/restore"), json!({})).await;
    let (status, page) = session.get(&session.ws("/events?since=0&limit=1000")).await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    let seqs = velocity_testkit::gapless_sequence(&page, "gapless and ordered");
    let mine: Vec<_> = items
        .iter()
        .filter(|e| e["entity_id"] == account["id"])
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(mine, ["created", "updated", "deleted", "restored"]);
    let last = *seqs.last().unwrap();
    let (_, tail) = session
        .get(&session.ws(&format!("/events?since={}&limit=2", last - 2)))
        .await;
    assert_eq!(tail["items"].as_array().unwrap().len(), 2);
    assert_eq!(tail["next_since"], last);
    let (status, _) = session.get(&session.ws("/events?limit=0")).await;
    assert_eq!(status, 422);
}

async fn connect(
    session: &Session,
    since: impl std::fmt::Display,
    token: &str,
    token_in_query: bool,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    let url = format!(
        "{}{}",
        session.app.address.replace("http://", "ws://"),
        session.ws(&format!("/events/stream?since={since}"))
    );
    // Browsers cannot set headers on a WebSocket, so the token may travel in the query.
    let url = if token_in_query {
        format!("{url}&access_token={token}")
    } else {
        url
    };
    let mut request = url.into_client_request().unwrap();
    if !token_in_query {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(other) => panic!("{other}"),
    }
}

async fn next_event(
    socket: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

async fn the_websocket_replays_then_pushes_live(app: TestApp) {
    let alice = app.signup("ws-alice@example.com", "Alice").await;
    let mallory = app.signup("ws-mallory@example.com", "Mallory").await;
    let first = alice
        .create("accounts", json!({"name": "Before connecting"}))
        .await;
    let mut socket = connect(&alice, 0, &alice.token, false)
        .await
        .expect("alice connects");
    // Replay: the pipeline created at sign-up, then the account.
    let mut replayed = Vec::new();
    while replayed
        .last()
        .is_none_or(|e: &Value| e["entity_id"] != first["id"])
    {
        replayed.push(next_event(&mut socket).await);
    }
    let mut mallory_socket = connect(&mallory, 0, &mallory.token, false)
        .await
        .expect("mallory connects to her own feed");
    let _mallory_pipeline = next_event(&mut mallory_socket).await;
    // Live: a change made after connecting arrives without polling by the client.
    let live = alice
        .create("contacts", json!({"first_name": "Live"}))
        .await;
    let event = next_event(&mut socket).await;
    assert_eq!(event["entity_id"], live["id"]);
    assert_eq!(event["action"], "created");
    assert_eq!(
        event["seq"].as_i64().unwrap(),
        replayed.last().unwrap()["seq"].as_i64().unwrap() + 1
    );
    // Mallory's feed never carries Alice's events.
    mallory
        .create("accounts", json!({"name": "Mallory's own"}))
        .await;
    let theirs = next_event(&mut mallory_socket).await;
    assert_eq!(theirs["entity"], "account");
    assert_ne!(theirs["entity_id"], first["id"]);
    assert_eq!(
        theirs["workspace_id"].as_str().unwrap(),
        mallory.workspace_id
    );
    // Authentication happens before the upgrade.
    assert_eq!(
        connect(&alice, 0, "bad-token", false).await.err(),
        Some(401)
    );
    assert_eq!(
        connect(&alice, 0, &mallory.token, false).await.err(),
        Some(404)
    );
    // Resuming from a sequence number skips what was already seen.
    let mut resumed = connect(&alice, event["seq"].as_i64().unwrap(), &alice.token, true)
        .await
        .unwrap();
    let after = alice
        .create("tasks", json!({"title": "After resume"}))
        .await;
    assert_eq!(next_event(&mut resumed).await["entity_id"], after["id"]);
    // `latest` starts at the newest event: the app hears only what happens after it opened.
    let mut fresh = connect(&alice, "latest", &alice.token, false)
        .await
        .unwrap();
    let newest = alice
        .create("products", json!({"name": "Heard live"}))
        .await;
    assert_eq!(next_event(&mut fresh).await["entity_id"], newest["id"]);
    assert_eq!(
        connect(&alice, "yesterday", &alice.token, false)
            .await
            .err(),
        Some(422)
    );
}

async fn the_feed_closes_when_access_ends(app: TestApp) {
    let owner = app.signup("feed-owner@example.com", "Feed").await;
    let member = owner.invite("feed-member@example.com", "member").await;
    let (_, events) = owner.get(&owner.ws("/events?limit=1000")).await;
    let latest = *velocity_testkit::gapless_sequence(&events, "before")
        .last()
        .unwrap();
    let mut socket = connect(&member, latest, &member.token, false)
        .await
        .expect("connects");
    let (status, _) = owner
        .delete(&owner.ws(&format!("/members/{}", member.user_id)))
        .await;
    assert_eq!(status, 204);
    owner
        .create("accounts", json!({"name": "Secret after removal"}))
        .await;
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => return Some(text.to_string()),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .expect("the feed ends within 10 s");
    assert_eq!(outcome, None, "a removed member receives nothing more");
}
